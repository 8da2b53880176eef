"""The demo organisation (``manage.py demo_data``): what a visitor of the demo would notice."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db.models import Model

from leadops import clock, demo
from leadops.demo_logins import DEMO_LOGINS, DEMO_PASSWORD
from leadops.models import RepProfile, Team, User
from lifecycle.catalogue import DISPOSITIONS
from lifecycle.models import (
    Account,
    Campaign,
    DealStage,
    DispositionReason,
    Lead,
    MarketingEvent,
    Opportunity,
    RevenueTarget,
    StageTransition,
    Touch,
    TouchChannel,
    TouchOutcome,
)
from lifecycle.selectors import lead_timeline, leads_visible_to
from lifecycle.state_machine import Stage
from routing.models import Assignment

pytestmark = pytest.mark.django_db

LEADS = "400"


def run(*args: str) -> str:
    out = StringIO()
    call_command("demo_data", *args, stdout=out)
    return out.getvalue()


def stage_counts() -> dict[str, int]:
    counts = Counter(Lead.objects.values_list("stage", flat=True))
    return {stage: counts.get(stage, 0) for stage in Stage.values}


def reasons_used() -> set[tuple[str, str]]:
    used = set(StageTransition.objects.filter(reason__isnull=False).values_list("reason__kind", "reason__code"))
    return used | set(Opportunity.objects.filter(lost_reason__isnull=False)
                      .values_list("lost_reason__kind", "lost_reason__code"))


def test_the_demo_looks_like_a_working_revenue_team_and_the_same_seed_gives_the_same_demo():
    output = run("--seed", "7", "--leads", LEADS)

    # every stage of the lifecycle has leads, and the summary says so
    counts = stage_counts()
    assert sum(counts.values()) == int(LEADS)
    assert all(counts[stage] > 0 for stage in Stage.values), counts
    assert "Leads per stage: subscriber" in output and "riley" in output and DEMO_PASSWORD in output

    # every seeded reason of every kind was used at least once
    seeded = {(kind, code) for kind, code, *_ in DISPOSITIONS}
    assert seeded <= reasons_used(), seeded - reasons_used()

    # "unresponsive" disqualifications: one with the cadence met (6 attempts), one by a manager's override
    unresponsive = StageTransition.objects.filter(reason__kind="disqualification", reason__code="unresponsive")
    cadence_met = unresponsive.filter(override=False).first()
    assert cadence_met is not None
    attempts = Touch.objects.filter(lead=cadence_met.lead, cycle=cadence_met.cycle, counts_as_attempt=True,
                                    occurred_at__lte=cadence_met.occurred_at).count()
    assert attempts >= 6
    overridden = unresponsive.filter(override=True).select_related("actor").first()
    assert overridden is not None and overridden.actor.role == "sales_manager"

    # leads that came back: a second cycle, and a few a third, each with its whole history kept
    assert Lead.objects.filter(recycle_count__gte=1).count() >= 5
    assert Lead.objects.filter(recycle_count__gte=2).exists()
    lead = Lead.objects.filter(recycle_count=1).order_by("id").first()
    history = list(lead.transitions.order_by("seq"))
    assert {t.cycle for t in history} == {0, 1}
    comeback = next(t for t in history if t.cycle == 1)
    assert comeback.from_stage in (Stage.NURTURE, Stage.DISQUALIFIED) and comeback.to_stage == Stage.MQL
    assert [t.seq for t in history] == list(range(1, len(history) + 1))
    assert {item.cycle for item in lead_timeline(lead) if item.kind == "transition"} == {0, 1}

    # every deal stage is on show, open deals included
    assert set(Opportunity.objects.values_list("deal_stage", flat=True)) == set(DealStage.values)
    assert Opportunity.objects.filter(deal_stage=DealStage.CLOSED_WON, lead__stage=Stage.CUSTOMER).exists()

    # riley's "My leads" is not empty
    riley = User.objects.get(username="riley")
    mine = leads_visible_to(riley).filter(owner=riley, stage__in=[Stage.MQL, Stage.SAL, Stage.SQL])
    assert mine.count() >= 5
    assert {Stage.MQL, Stage.SAL, Stage.SQL} <= set(mine.values_list("stage", flat=True))
    assert riley.team.name == "Mid-market Sales"

    # MQLs waiting unassigned in team queues, high-intent ones among them
    queue = Lead.objects.filter(stage=Stage.MQL, owner__isnull=True, team__isnull=False)
    assert queue.count() >= 3 and queue.filter(high_intent=True).exists()
    assert MarketingEvent.objects.filter(type="demo_request").exists()

    # the people: every demo login signs in with the demo password; the API client has no password
    for username, _ in DEMO_LOGINS:
        assert authenticate(username=username, password=DEMO_PASSWORD) is not None, username
    assert User.objects.get(username="admin").is_superuser
    assert User.objects.get(username="sam").managed_teams.count() == 2
    assert not User.objects.get(username="mapi").has_usable_password()
    reps = RepProfile.objects.select_related("user")
    assert reps.count() >= 13
    assert {r.time_zone for r in reps} >= {"America/New_York", "America/Los_Angeles", "Europe/London",
                                           "Europe/Berlin", "Asia/Singapore", "Australia/Sydney"}
    assert reps.filter(active=False).count() == 1
    now = clock.now()
    assert reps.filter(out_of_office__starts_at__lte=now, out_of_office__ends_at__gt=now).exists()
    assert Team.objects.filter(kind="sdr", manager__role="sales_manager").exists()

    # the market around them
    assert Account.objects.count() == 300 and Account.objects.filter(owner__isnull=False).exists()
    assert Campaign.objects.values("channel").distinct().count() >= 9
    assert RevenueTarget.objects.filter(team__isnull=True).count() == 2
    assert RevenueTarget.objects.filter(team__kind="sales").count() == 4
    assert not Lead.objects.filter(created_at__gt=now).exists()
    assert not Lead.objects.filter(created_at__lt=now - dt.timedelta(days=366)).exists()

    # loading again: refused without --reset, skipped with --if-empty, the same demo after --reset
    first = (counts, reasons_used(), Counter(Opportunity.objects.values_list("deal_stage", flat=True)))
    with pytest.raises(CommandError, match="--reset"):
        run("--seed", "7", "--leads", LEADS)
    last_id = Lead.objects.order_by("-id").values_list("id", flat=True)[0]
    assert "nothing loaded" in run("--if-empty", "--seed", "3")
    assert Lead.objects.order_by("-id").values_list("id", flat=True)[0] == last_id
    assert stage_counts() == counts

    assert "deleted the previous demo data" in run("--reset", "--seed", "7", "--leads", LEADS)
    again = (stage_counts(), reasons_used(), Counter(Opportunity.objects.values_list("deal_stage", flat=True)))
    assert again == first
    assert User.objects.filter(username="riley").count() == 1


# --- the bulk path writes exactly what the services write --------------------------------------------------------


def _natural_keys() -> dict[type[Model], Any]:
    return {
        User: lambda pk: User.objects.get(pk=pk).username,
        Team: lambda pk: Team.objects.get(pk=pk).name,
        Campaign: lambda pk: Campaign.objects.get(pk=pk).name,
        Account: lambda pk: Account.objects.get(pk=pk).domain,
        Lead: lambda pk: Lead.objects.get(pk=pk).email,
        DispositionReason: lambda pk: (DispositionReason.objects.get(pk=pk).kind,
                                       DispositionReason.objects.get(pk=pk).code),
        TouchChannel: lambda pk: pk,
        TouchOutcome: lambda pk: pk,
    }


def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every row the stories wrote, with ids replaced by natural keys (ids differ between runs)."""
    keys = _natural_keys()
    cache: dict[tuple[type[Model], Any], Any] = {}
    tables: dict[str, list[dict[str, Any]]] = {}
    for model in (Lead, StageTransition, MarketingEvent, Touch, Assignment, Opportunity):
        rows = []
        for obj in model.objects.all():
            row = {}
            for f in model._meta.concrete_fields:
                if f.primary_key:
                    continue
                value = getattr(obj, f.attname)
                if f.is_relation and value is not None:
                    related = f.related_model
                    cache_key = (related, value)
                    if cache_key not in cache:
                        cache[cache_key] = keys[related](value)
                    value = cache[cache_key]
                row[f.name] = value
            if model is Assignment:  # the routing ledger's candidates name reps and teams by id too
                row["candidates"] = [{k: v for k, v in c.items() if k not in ("rep", "team")}
                                     for c in row["candidates"]]
            rows.append(row)
        tables[model.__name__] = sorted(rows, key=repr)
    return tables


def test_bulk_written_stories_are_exactly_what_the_services_write():
    base = demo.base_moment()
    plan = demo.build_plan(seed=5, leads=demo.MIN_LEADS, base=base)
    # a small set of stories that between them use every kind of step and every variant of it
    features: set[Any] = set()
    chosen = []
    for lead_plan in plan.leads:
        mine = {(s.kind, s.actor is None, s.args.get("trigger"), s.args.get("method"), s.args.get("deal_stage"),
                 s.args.get("reason"), s.args.get("override"), s.args.get("lost_reason"), s.args.get("outcome"))
                for s in lead_plan.steps} | {("final", lead_plan.stage, lead_plan.cycles)}
        if mine - features:
            features |= mine
            chosen.append(lead_plan)
    assert 10 < len(chosen) < 60
    subset = dataclasses.replace(plan, leads=chosen)

    for lead_plan in chosen:
        lead_plan.via_services = True
    demo.load(subset)
    through_services = snapshot()

    demo.reset()
    for lead_plan in chosen:
        lead_plan.via_services = False
    result = demo.load(subset)
    assert result.via_replay == len(chosen) and result.via_services == 0
    bulk_written = snapshot()

    for table, rows in through_services.items():
        assert len(bulk_written[table]) == len(rows), table
        for expected, actual in zip(rows, bulk_written[table], strict=True):
            assert actual == expected, table
