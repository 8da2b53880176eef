"""Writers of routing: the rules, the round-robin pick, routing a lead, and retrying the queue.

Lock order (style.md): the lead first (``lead_route`` locks it), then the team's round-robin row
(``round_robin_pick``). Nothing else is locked: availability is read under the team's lock.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction

from leadops import clock, events
from leadops.errors import Conflict, NotFound, RuleViolation
from leadops.models import Team, TeamKind, User
from leadops.roles import Role
from lifecycle.models import Channel, Lead
from lifecycle.selectors import active_lead_type_codes
from lifecycle.state_machine import Stage
from routing import selectors, wrr
from routing.availability import Availability
from routing.decide import Decision, Eligible, decide
from routing.models import (
    ROUTING_METHODS,
    Assignment,
    RoundRobinState,
    RouteTrigger,
    RoutingRule,
    RoutingSettings,
)
from routing.regions import COUNTRIES, REGIONS
from routing.rules import CONDITION_FIELDS

# --- rules --------------------------------------------------------------------------------------------

RULE_FIELDS = ("name", "priority", "active", "is_default", *CONDITION_FIELDS, "target_team", "target_rep")
LIST_FIELDS = ("countries", "regions", "industries", "lead_types", "sources")


def _clean_list(name: str, values: Iterable[str], errors: dict[str, str], *, upper: bool = False,
                allowed: Collection[str] | None = None) -> list[str]:
    cleaned: list[str] = []
    for raw in values:
        value = str(raw).strip()
        value = value.upper() if upper else value
        if not value:
            errors[name] = "Blank entries are not allowed."
            continue
        if value not in cleaned:
            cleaned.append(value)
    if allowed is not None:
        unknown = [v for v in cleaned if v not in allowed]
        if unknown:
            hint = f" Known: {', '.join(sorted(allowed))}." if len(allowed) < 30 else ""
            errors[name] = f"Unknown value(s): {', '.join(unknown)}.{hint}"
    return cleaned


def validate_rule_values(values: dict[str, Any]) -> dict[str, Any]:
    """Check a whole rule (after a patch is merged); 422 naming every bad field."""
    errors: dict[str, str] = {}
    out = dict(values)
    out["name"] = str(values.get("name") or "").strip()
    if not out["name"]:
        errors["name"] = "This field is required."
    elif len(out["name"]) > 120:
        errors["name"] = "At most 120 characters."
    priority = values.get("priority", 100)
    if not isinstance(priority, int) or isinstance(priority, bool) or not 0 <= priority <= 2_000_000_000:
        errors["priority"] = "A whole number from 0 up."
    out["countries"] = _clean_list("countries", values.get("countries") or [], errors, upper=True,
                                   allowed=COUNTRIES)
    out["regions"] = _clean_list("regions", values.get("regions") or [], errors, upper=True, allowed=REGIONS)
    out["industries"] = _clean_list("industries", values.get("industries") or [], errors)
    if any(len(i) > 80 for i in out["industries"]):
        errors["industries"] = "At most 80 characters each."
    out["lead_types"] = _clean_list("lead_types", values.get("lead_types") or [], errors,
                                    allowed=active_lead_type_codes())
    out["sources"] = _clean_list("sources", values.get("sources") or [], errors, allowed=Channel.values)
    low, high = values.get("employee_count_min"), values.get("employee_count_max")
    for name, bound in (("employee_count_min", low), ("employee_count_max", high)):
        if bound is not None and (not isinstance(bound, int) or isinstance(bound, bool) or bound < 0):
            errors[name] = "A whole number of 0 or more."
    bounds_ok = "employee_count_min" not in errors and "employee_count_max" not in errors
    if bounds_ok and isinstance(low, int) and isinstance(high, int) and high < low:
        errors["employee_count_max"] = "Must be at least employee_count_min."
    team, rep = values.get("target_team"), values.get("target_rep")
    if team is None and rep is None:
        errors["target_team"] = errors["target_rep"] = "A rule needs a target: a team or a named rep."
    elif team is not None and rep is not None:
        errors["target_team"] = errors["target_rep"] = "A rule targets a team or a named rep, not both."
    elif isinstance(team, Team) and team.kind not in (TeamKind.SALES, TeamKind.SDR):
        errors["target_team"] = "Only sales and SDR teams take leads."
    elif isinstance(rep, User) and rep.role != Role.SALES_REP:
        errors["target_rep"] = "The named rep must be a sales rep."
    if values.get("is_default"):
        set_conditions = [f for f in CONDITION_FIELDS if out.get(f) not in (None, [], ())]
        for name in set_conditions:
            errors[name] = "The default rule matches every lead; it takes no conditions."
    if errors:
        raise RuleViolation(next(iter(errors.values())) if len(errors) == 1 else "The rule is invalid.",
                            code="invalid_rule", details={"fields": errors})
    return out


def _save_rule(rule: RoutingRule, values: dict[str, Any]) -> RoutingRule:
    if RoutingRule.objects.filter(name__iexact=values["name"]).exclude(pk=rule.pk).exists():
        raise Conflict(f"A routing rule named {values['name']!r} already exists.", code="duplicate",
                       details={"fields": {"name": "Already used by another rule."}})
    if values.get("is_default") and values.get("active", True) and (
            RoutingRule.objects.filter(is_default=True, active=True).exclude(pk=rule.pk).exists()):
        raise Conflict("There is already an active default rule; deactivate it first.", code="duplicate_default",
                       details={"fields": {"is_default": "Another active rule is the default."}})
    for name in RULE_FIELDS:
        if name in values:
            setattr(rule, name, values[name])
    rule.updated_at = clock.now()
    try:
        with transaction.atomic():
            rule.save()
    except IntegrityError as exc:  # a concurrent writer took the name or the default
        raise Conflict("Another rule was saved with the same name or as the default at the same moment.",
                       code="duplicate") from exc
    return rule


@transaction.atomic
def routing_rule_create(
    *, name: str, target_team: Team | None = None, target_rep: User | None = None, priority: int = 100,
    active: bool = True, is_default: bool = False, countries: Iterable[str] = (), regions: Iterable[str] = (),
    employee_count_min: int | None = None, employee_count_max: int | None = None, industries: Iterable[str] = (),
    lead_types: Iterable[str] = (), sources: Iterable[str] = (),
) -> RoutingRule:
    """Create a routing rule (the API, the admin and the demo loader call this). 422 naming the field for bad
    values; 409 for a duplicate name or a second active default rule."""
    values = validate_rule_values({
        "name": name, "priority": priority, "active": active, "is_default": is_default,
        "countries": list(countries), "regions": list(regions), "employee_count_min": employee_count_min,
        "employee_count_max": employee_count_max, "industries": list(industries), "lead_types": list(lead_types),
        "sources": list(sources), "target_team": target_team, "target_rep": target_rep,
    })
    return _save_rule(RoutingRule(created_at=clock.now()), values)


@transaction.atomic
def routing_rule_update(*, rule_id: int, **fields: Any) -> RoutingRule:
    """Change some fields of a rule; the merged rule is checked as a whole."""
    unknown = sorted(set(fields) - set(RULE_FIELDS))
    if unknown:
        raise RuleViolation(f"Unknown field(s): {', '.join(unknown)}.", code="unknown_field",
                            details={"fields": {name: "Unknown field." for name in unknown}})
    rule = RoutingRule.objects.select_for_update().filter(pk=rule_id).first()
    if rule is None:
        raise NotFound("No such routing rule.")
    current = {name: getattr(rule, name) for name in RULE_FIELDS}
    values = validate_rule_values({**current, **fields})
    return _save_rule(rule, values)


# --- the round robin ----------------------------------------------------------------------------------


_STATE = RoundRobinState._meta.db_table
_LOCK_SQL = f"SELECT seq, credits FROM {_STATE} WHERE team_id = %s FOR UPDATE"
_SAVE_SQL = f"UPDATE {_STATE} SET seq = %s, credits = %s::jsonb, updated_at = %s WHERE team_id = %s"


def _locked_state(team_id: int) -> tuple[int, dict[str, Any]]:
    """Lock the team's round-robin row (created on first use) and read it: (last slot, credits)."""
    with connection.cursor() as cursor:
        cursor.execute(_LOCK_SQL, [team_id])
        row = cursor.fetchone()
        if row is None:
            RoundRobinState.objects.bulk_create([RoundRobinState(team_id=team_id)], ignore_conflicts=True)
            cursor.execute(_LOCK_SQL, [team_id])
            row = cursor.fetchone()
    seq, credits = row
    return int(seq), json.loads(credits) if isinstance(credits, str | bytes) else dict(credits or {})


def round_robin_pick(*, team_id: int, eligible: Eligible | Mapping[int, int],
                     settings: RoutingSettings | None = None) -> tuple[int, int] | None:
    """Take the team's next slot: lock its round-robin row, ask ``eligible()`` who can take a lead (under the
    lock), advance the smooth weighted round robin and save. Returns (rep id, slot number), or None when
    nobody is eligible (nothing changes). ``eligible`` may be a plain {rep id: weight} mapping.

    The allocation is two statements on one row (lock-and-read, write), in SQL: it is the one step every
    routing decision of a team waits for.
    """
    with transaction.atomic(savepoint=False):
        seq, credits = _locked_state(team_id)
        if callable(eligible):
            weights, members = eligible()
        else:
            weights, members = eligible, eligible
        if not weights:
            return None
        settings = settings or selectors.routing_settings()
        rep, credits = wrr.advance(credits, weights, members, catch_up=settings.catch_up,
                                   cap_leads=settings.catch_up_max_leads)
        with connection.cursor() as cursor:
            cursor.execute(_SAVE_SQL, [seq + 1, json.dumps(credits, separators=(",", ":")), clock.now(), team_id])
        return rep, seq + 1


# --- routing a lead -----------------------------------------------------------------------------------


def _record(lead: Lead, decision: Decision, *, now: dt.datetime, trigger: str) -> Assignment:
    latency = int((now - lead.became_mql_at).total_seconds() * 1000) if lead.became_mql_at else None
    rule = decision.rule
    assignment = Assignment.objects.create(
        lead=lead, rep_id=decision.rep_id, team_id=decision.team_id, method=decision.method,
        rule_id=rule.id if rule else None, rule_name=rule.name if rule else "", candidates=decision.candidates,
        note=decision.explanation, cycle=lead.recycle_count, decided_at=now, latency_ms=latency,
        slot=decision.slot, trigger=trigger,
    )
    fields = ["team", "updated_at"]
    if decision.rep_id is not None:
        lead.owner_id = decision.rep_id
        fields.append("owner")
        if lead.assigned_at is None:
            lead.assigned_at = now
            fields.append("assigned_at")
    if decision.team_id is not None or decision.rep_id is not None:
        lead.team_id = decision.team_id
    lead.updated_at = now
    lead.save(update_fields=fields)
    name = "lead.assigned" if decision.rep_id is not None else "lead.queued"
    events.publish(events.DomainEvent(name, now, lead.pk, assignment.event_data()))
    return assignment


def _fast_commit() -> None:
    """The routing transaction commits without waiting for the WAL flush (``synchronous_commit`` off for it
    alone). The team's round-robin row stays locked until the commit, so a commit waiting for the disk made
    every other decision of the team wait too. Nothing is at risk: a crash can lose only the last few
    decisions, each as a whole (ledger row, owner, round-robin slot, the SLA clocks and webhook outbox rows
    written with it), and the lead is then an unrouted MQL again, which the beat's retry pass routes within
    a minute (docs/routing.md)."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit TO OFF")


def lead_route(*, lead_id: int, trigger: str = RouteTrigger.MQL) -> Assignment | None:
    """Route one MQL and write the decision to the ledger; returns the ledger row, or None when nothing
    was written.

    Idempotent: nothing happens for a lead that is not in mql, already has an owner, or (trigger ``mql``)
    already has a routing decision in its current cycle. A ``retry`` re-decides a queued lead and writes
    only when the outcome changes (a rep takes it, or another queue); a lead locked by someone else is
    skipped (the next pass takes it).
    """
    now = clock.now()
    with transaction.atomic():
        _fast_commit()
        lead = (Lead.objects.select_for_update(of=("self",), skip_locked=trigger == RouteTrigger.RETRY)
                .select_related("account").filter(pk=lead_id).first())
        if lead is None or lead.stage != Stage.MQL or lead.owner_id is not None:
            return None
        previous = selectors.last_decision(lead)
        if previous is not None and trigger == RouteTrigger.MQL:
            return None
        settings, rules = selectors.routing_config()
        decision = decide(
            lead, now=now, rules=rules, availability=Availability(now),
            pick=lambda team_id, eligible: round_robin_pick(team_id=team_id, eligible=eligible, settings=settings),
            account_match=settings.account_match)
        if previous is not None and not decision.assigned and (
                (previous.method, previous.team_id) == (decision.method, decision.team_id)):
            return None
        return _record(lead, decision, now=now, trigger=trigger)


@dataclass(frozen=True)
class RetryResult:
    looked_at: int
    assigned: int
    requeued: int
    unchanged: int


def _anyone(team_id: int, eligible: Eligible) -> tuple[int, int] | None:
    """The retry's pre-check: is anyone eligible? (any of them stands for the real pick; no slot is taken)"""
    weights, _ = eligible()
    return (next(iter(weights)), 0) if weights else None


def queued_leads_retry(*, team_id: int | None = None, limit: int | None = None) -> RetryResult:
    """Re-route queued MQLs, oldest first (the beat's pass every minute, and the nudge when a rep frees up).

    A cheap pre-check decides each lead on cached availability without locking anything; only leads whose
    outcome would change are routed for real (``lead_route`` with trigger ``retry``, which decides again
    under the locks). Leads never routed at all (a lost task) are routed here too.
    """
    now = clock.now()
    settings, rules = selectors.routing_config()
    leads = list(selectors.queued_leads(team_id=team_id, limit=limit or settings.retry_limit))
    if not leads:
        return RetryResult(0, 0, 0, 0)
    cycles = {lead.pk: lead.recycle_count for lead in leads}
    previous: dict[int, tuple[str, int | None]] = {}
    for row in (Assignment.objects.filter(lead_id__in=list(cycles), method__in=ROUTING_METHODS)
                .order_by("lead_id", "-decided_at", "-id").values("lead_id", "cycle", "method", "team_id")):
        if row["cycle"] == cycles[row["lead_id"]] and row["lead_id"] not in previous:
            previous[row["lead_id"]] = (row["method"], row["team_id"])
    availability = Availability(now, cache=True)
    assigned = requeued = unchanged = 0
    for lead in leads:
        guess = decide(lead, now=now, rules=rules, availability=availability, pick=_anyone,
                       account_match=settings.account_match)
        before = previous.get(lead.pk)
        if before is not None and not guess.assigned and before == (guess.method, guess.team_id):
            unchanged += 1
            continue
        assignment = lead_route(lead_id=lead.pk, trigger=RouteTrigger.RETRY)
        if assignment is None:
            unchanged += 1
        elif assignment.rep_id is not None:
            assigned += 1
            availability.forget()  # open-lead counts changed
        else:
            requeued += 1
    return RetryResult(len(leads), assigned, requeued, unchanged)


__all__ = ["RULE_FIELDS", "RetryResult", "lead_route", "queued_leads_retry", "round_robin_pick",
           "routing_rule_create", "routing_rule_update", "validate_rule_values"]
