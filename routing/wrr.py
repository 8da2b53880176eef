"""Smooth weighted round robin (the nginx algorithm), as a pure function over a team's credits.

Each pick, every eligible rep's credit grows by its weight; the rep with the highest credit is chosen
and pays the total weight of the round back. Over any run of picks with the same eligible reps, a rep
of weight w out of a total W gets w/W of the picks, spread evenly (weights 1:2:3 give C B A B C B ...,
never a burst). Ties go to the higher weight, then to the lower user id: the order is deterministic,
so concurrent workers that take turns under the team's row lock produce exactly the sequence one
worker would.

Reps who are not eligible for a pick (out of office, at capacity, inactive) take no part in that round,
and a returning rep keeps no positive credit (``min(credit, 0)``): they rejoin level with the others,
never ahead, and keep any debt. What else they get on return is the catch-up policy:

* ``none`` (default): nothing. A rep back from two weeks of leave gets their normal share from then on.
* ``capped``: while away a rep is owed, each pick, the share their weight would have given them
  (weight / the round's total weight), up to ``cap_leads`` leads. Back, they take one owed lead per pick
  before the rotation resumes, so they get at most ``cap_leads`` extra leads, and the others' rotation
  is untouched.

State per rep (``credits[str(user id)]``): ``credit`` (int), ``weight``, ``present`` (eligible at the last
pick), ``owed`` (capped catch-up only).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Credits = dict[str, dict[str, Any]]

NONE = "none"
CAPPED = "capped"


def advance(credits: Mapping[str, Mapping[str, Any]], eligible: Mapping[int, int], members: Mapping[int, int], *,
            catch_up: str = NONE, cap_leads: int = 0) -> tuple[int, Credits]:
    """One pick. ``eligible`` maps rep id to weight (at least one rep); ``members`` maps every rep of the team,
    eligible or not, to their weight (reps in neither are forgotten). Returns the chosen rep and the new
    credits."""
    if not eligible:
        raise ValueError("nobody is eligible")
    total = sum(eligible.values())
    cap = float(max(cap_leads, 0)) if catch_up == CAPPED else 0.0
    new: Credits = {}
    for rep, weight in members.items():
        if rep in eligible:
            continue
        entry = credits.get(str(rep)) or {}
        owed = min(float(entry.get("owed", 0.0)) + weight / total, cap) if cap else 0.0
        new[str(rep)] = {"credit": int(entry.get("credit", 0)), "weight": weight, "present": False, "owed": owed}
    for rep, weight in eligible.items():
        entry = credits.get(str(rep)) or {}
        credit = int(entry.get("credit", 0))
        if not entry.get("present", True):  # back from leave or from capacity
            credit = min(credit, 0)
        owed = min(float(entry.get("owed", 0.0)), cap) if cap else 0.0
        new[str(rep)] = {"credit": credit, "weight": weight, "present": True, "owed": owed}
    owing = [rep for rep in eligible if new[str(rep)]["owed"] >= 1]
    if owing:  # a catch-up slot: the rotation does not move
        chosen = max(owing, key=lambda rep: (new[str(rep)]["owed"], eligible[rep], -rep))
        new[str(chosen)]["owed"] -= 1
        return chosen, new
    for rep, weight in eligible.items():
        new[str(rep)]["credit"] += weight
    chosen = max(eligible, key=lambda rep: (new[str(rep)]["credit"], eligible[rep], -rep))
    new[str(chosen)]["credit"] -= total
    return chosen, new
