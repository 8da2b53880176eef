"""The demo organisation: ``python manage.py demo_data`` (and ``leadops up --demo``).

Two halves:

* ``build_plan(seed=, leads=, base=)`` decides everything with ``random.Random(seed)``: the people, accounts,
  campaigns, and for every lead a story (its steps, each with a moment relative to ``base``, midnight UTC of
  today). It reads no database and no wall clock, so a seed gives the same leads, stages and reasons on any day.
* ``load(plan)`` writes it in one transaction. The scripted stories (the ones that guarantee every reason, deal
  stage, cycle and queue is on show) and every ``service_every``-th other story are replayed through the real
  services at their historical moments (``clock.frozen_at``). The rest go through ``Replay``, an in-memory
  mirror of the same services whose rows are bulk-inserted, because 3,000 leads through the services take
  minutes. tests/leadops/test_demo_data.py plays the same stories both ways and compares every row, so the
  mirror cannot drift from the services unnoticed.

Stand-ins until the routing and scoring services are committed: the routing decision of an MQL is written by
``load.route_write`` as the router writes it (one ``Assignment`` row with the rule name, the candidates in the
router's ledger shape and the latency; the owner and team on the lead), and each lead gets the fit and behaviour
score of domain.md section 5's default rules as of ``base``. Both should then call the real services.

The package, in the order the data flows:

* ``data``: the fixed tables (teams, people, leave, countries, names, titles, campaigns, notes).
* ``records``: what a plan is made of (``DemoPlan``, ``LeadPlan``, ``Step``, the account and campaign specs).
* ``scores``: the stand-in fit and behaviour scores.
* ``gen``: the world the stories happen in (accounts, campaigns, prospects, working hours, routing decisions).
* ``scripts``: the scripted stories; ``story``: one lead's story, step by step; ``plan``: ``build_plan``.
* ``context``: the rows the plan names, shared by both ways of writing; ``replay``: ``Replay``, the mirror;
  ``load``: ``load`` (the org, then every story), ``reset``, ``existing_data``, ``summary``.
"""

from leadops.demo.data import DEFAULT_LEADS, MIN_LEADS
from leadops.demo.load import base_moment, existing_data, load, reset, summary
from leadops.demo.plan import build_plan

__all__ = ["DEFAULT_LEADS", "MIN_LEADS", "base_moment", "build_plan", "existing_data", "load", "reset", "summary"]
