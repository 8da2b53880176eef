"""The routing decision (domain.md section 7), shared by the router and the dry run.

``decide`` reads; it never writes. The one step that changes state, taking the next round-robin slot of
a team, is the ``pick`` function it is given: the router passes ``services.round_robin_pick`` (locks
the team's row, advances it), the dry run passes ``selectors.round_robin_peek`` (reads the row and
computes the same pick without saving it). Both call back ``eligible()`` once they hold (or read) the
team's state, so the router reads availability under the team's lock.

Order: (1) the lead's account has an owner who is available: that owner; (2) the first matching rule in
priority order, the default rule last: its named rep if available, else weighted round robin over its
team (a named rep's own team when the rep is unavailable); (3) nobody available: the team's queue;
no rule at all: ``unmatched``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lifecycle.models import Lead
from routing.availability import Availability, Candidate, TeamPool
from routing.models import AssignmentMethod
from routing.rules import LeadFacts, RuleSpec, first_match

# () -> ({eligible rep id: weight}, {every rep of the team: weight}), read when the team's state is held
Eligible = Callable[[], tuple[Mapping[int, int], Mapping[int, int]]]
Pick = Callable[[int, Eligible], "tuple[int, int] | None"]  # (team id, eligible) -> (rep id, slot) or None


@dataclass
class Decision:
    method: str
    rep_id: int | None
    rep_name: str
    team_id: int | None
    team_name: str
    rule: RuleSpec | None
    candidates: list[dict[str, Any]]
    explanation: str
    facts: LeadFacts
    slot: int | None = None
    rules_tried: list[dict[str, Any]] = field(default_factory=list)

    @property
    def assigned(self) -> bool:
        return self.rep_id is not None


def _because(rule: RuleSpec | None) -> str:
    if rule is None:
        return ""
    if rule.is_default:
        return f" because the default rule {rule.name!r} applies"
    return f" because rule {rule.name!r} matched"


def decide(lead: Lead, *, now: dt.datetime, rules: Sequence[RuleSpec], availability: Availability, pick: Pick,
           account_match: bool = True) -> Decision:
    """Where ``lead`` goes now. ``rules`` are the active rules in priority order (``rules.ordered``)."""
    facts = LeadFacts.of(lead)
    candidates: list[dict[str, Any]] = []

    account = lead.account if lead.account_id else None
    if account_match and account is not None and account.owner_id is not None:
        owner = availability.rep(account.owner_id)
        if owner is not None and owner.available:
            return Decision(
                AssignmentMethod.ACCOUNT_MATCH, owner.rep, owner.username, owner.team, "", None,
                [owner.entry(now, via="account_owner", chosen=True)],
                f"{owner.username} owns the account {account.name} and is available", facts)
        if owner is not None:
            candidates.append(owner.entry(now, via="account_owner"))

    rule, tried = first_match(rules, facts)
    if rule is None:
        return Decision(AssignmentMethod.UNMATCHED, None, "", None, "", None, candidates,
                        "no active rule matches and there is no default rule", facts, rules_tried=tried)

    team_id = rule.target_team_id
    if rule.target_rep_id is not None:
        named = availability.rep(rule.target_rep_id)
        if named is not None and named.available:
            candidates.append(named.entry(now, via="named_rep", chosen=True))
            return Decision(AssignmentMethod.RULE_REP, named.rep, named.username, named.team, "", rule, candidates,
                            f"{named.username} is the rule's named rep" + _because(rule), facts, rules_tried=tried)
        if named is not None:
            candidates.append(named.entry(now, via="named_rep"))
        team_id = named.team if named is not None else None
    if team_id is None:
        return Decision(AssignmentMethod.QUEUE, None, "", None, "", rule, candidates,
                        "the rule's named rep is unavailable and has no team" + _because(rule), facts,
                        rules_tried=tried)
    pool_team: int = team_id

    pools: list[TeamPool | None] = []

    def eligible() -> tuple[Mapping[int, int], Mapping[int, int]]:
        pool = availability.team(pool_team)
        pools.append(pool)
        if pool is None:
            return {}, {}
        return pool.eligible(), {c.rep: c.weight for c in pool.candidates}

    picked = pick(pool_team, eligible)
    pool = pools[-1] if pools else None
    team_name = pool.name if pool is not None else ""
    members: list[Candidate] = pool.candidates if pool is not None else []
    if picked is None:
        candidates += [c.entry(now, via="team") for c in members]
        why = "nobody in the team is available" if members else "the team has no sales reps"
        return Decision(AssignmentMethod.QUEUE, None, "", team_id, team_name, rule, candidates,
                        f"queued for {team_name}: {why}" + _because(rule), facts, rules_tried=tried)
    rep_id, slot = picked
    chosen = next(c for c in members if c.rep == rep_id)
    candidates += [c.entry(now, via="team", chosen=c.rep == rep_id) for c in members]
    return Decision(
        AssignmentMethod.ROUND_ROBIN, rep_id, chosen.username, team_id, team_name, rule, candidates,
        f"weighted round robin in {team_name} chose {chosen.username} (slot {slot})" + _because(rule), facts,
        slot=slot, rules_tried=tried)
