"""Every stage change of a lead goes through ``lead_transition``.

It locks the lead, checks the transition table (``lifecycle.state_machine``), checks who may make
the move and what it requires, writes the append-only history row, stamps the stage timestamp of
the cycle, updates the lead status, and publishes ``lead.stage_changed`` after commit.
The action functions below (accept, reject, qualify, ...) are thin: they resolve their inputs
and call it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction

from leadops import clock, events, roles
from leadops.errors import Conflict, Forbidden, IllegalTransition, NotFound, RuleViolation
from leadops.models import User
from leadops.roles import Role
from leadops.selectors import managed_team_ids
from lifecycle import selectors
from lifecycle.models import (
    ActorKind,
    DispositionKind,
    DispositionReason,
    Lead,
    Opportunity,
    StageTransition,
)
from lifecycle.state_machine import (
    FUNNEL,
    SIDE_STAGES,
    STATUS_ON_ENTRY,
    TABLE,
    By,
    Move,
    Requires,
    Stage,
    allowed_targets,
    find_move,
    moves_from,
    starts_new_cycle,
    timestamp_field,
)


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a signed-in user, an API client (a user with the integrator role), or the system."""

    user: User | None
    kind: str

    @classmethod
    def system(cls) -> Actor:
        return cls(user=None, kind=ActorKind.SYSTEM)

    @classmethod
    def of(cls, user: User) -> Actor:
        kind = ActorKind.API_CLIENT if roles.role_of(user) == Role.INTEGRATOR else ActorKind.USER
        return cls(user=user, kind=kind)


@dataclass(frozen=True)
class TransitionResult:
    lead: Lead
    transition: StageTransition | None  # None when the lead already stood in the target stage
    opportunity: Opportunity | None = None


REASON_KIND_FOR: dict[Requires, str] = {
    Requires.REJECTION_REASON: DispositionKind.REJECTION,
    Requires.RECYCLE_REASON: DispositionKind.RECYCLE,
    Requires.DISQUALIFICATION_REASON: DispositionKind.DISQUALIFICATION,
    Requires.LOST_REASON: DispositionKind.CLOSED_LOST,
}
BANT_FIELDS = ("budget", "authority", "need", "timeline")


def _manager_team_ids(actor: Actor) -> list[int] | None:
    """The teams of an acting sales manager, read once per move: the "who" check and the owner check both
    need them. None for anyone else (the selectors then read what they need themselves)."""
    if actor.user is None or roles.role_of(actor.user) != Role.SALES_MANAGER:
        return None
    return managed_team_ids(actor.user)


def acting_as(actor: Actor, lead: Lead, *, team_ids: list[int] | None = None) -> set[By]:
    """The table's "who" entries this actor counts as, for this lead (``team_ids``: ``_manager_team_ids``)."""
    if actor.kind == ActorKind.SYSTEM or actor.user is None:
        return {By.SYSTEM}
    role = roles.role_of(actor.user)
    acting: set[By] = set()
    if role == Role.MARKETING_OPS:
        acting.add(By.MARKETING_OPS)
    if role == Role.INTEGRATOR:
        acting.add(By.INTEGRATOR)
    if role == Role.SALES_MANAGER and selectors.manages_lead(actor.user, lead, team_ids=team_ids):
        acting.add(By.SALES_MANAGER)
    if role == Role.SALES_REP and lead.owner_id == actor.user.pk:
        acting.add(By.OWNER_REP)
    return acting


def resolve_reason(code: str | None, kind: str, *, field: str = "reason") -> DispositionReason:
    if not code:
        raise RuleViolation("A reason is required.", code="reason_required",
                            details={"fields": {field: "This field is required."}})
    reason = DispositionReason.objects.filter(kind=kind, code=code, active=True).first()
    if reason is None:
        choices = list(DispositionReason.objects.filter(kind=kind, active=True).values_list("code", flat=True))
        raise RuleViolation(
            f"Unknown {kind.replace('_', ' ')} reason {code!r}.", code="unknown_reason",
            details={"fields": {field: f"Unknown reason; one of: {', '.join(choices)}."}, "allowed": choices},
        )
    return reason


def _check_requirements(
    move: Move, lead: Lead, *, actor: Actor, acting: set[By], trigger: str, reason: DispositionReason | None,
    override: bool, owner: User | None, bant: dict[str, str] | None, opportunity: dict[str, Any] | None,
    team_ids: list[int] | None = None,
) -> bool:
    """Raise if the move's requirement is not met; returns True when a cadence override was used."""
    req = move.requires
    if req == Requires.COMPANY_OR_TITLE and not (lead.company_name.strip() or lead.title.strip()):
        raise RuleViolation("A lead needs a known company or title.", code="requirement_not_met",
                            details={"fields": {"company_name": "Company or title required.",
                                                "title": "Company or title required."}})
    if req == Requires.HIGH_INTENT_EVENT and trigger != "high_intent_event":
        raise IllegalTransition(
            "A disqualified lead re-enters MQL only on a high-intent event.",
            details={"from": lead.stage, "to": move.target, "allowed": allowed_targets(lead.stage)},
        )
    if req == Requires.OWNER:
        chosen = owner or lead.owner
        if chosen is None:
            raise RuleViolation("Accepting needs an owner: the routed rep, or one you choose.",
                                code="owner_required", details={"fields": {"owner": "This field is required."}})
        if actor.user is not None and not selectors.may_own(chosen, manager=actor.user, team_ids=team_ids):
            raise RuleViolation("The owner must be an active sales rep of your teams.", code="invalid_owner",
                                details={"fields": {"owner": "Not an active rep of your teams."}})
    if req in REASON_KIND_FOR:
        kind = REASON_KIND_FOR[req]
        if reason is None or reason.kind != kind:
            raise RuleViolation(f"A {kind.replace('_', ' ')} reason is required.", code="reason_required",
                                details={"fields": {"reason": "This field is required."}})
        if req in (Requires.REJECTION_REASON, Requires.LOST_REASON) and reason.target_stage != move.target:
            raise RuleViolation(f"Reason {reason.code!r} sends a lead to {reason.target_stage}, not {move.target}.",
                                code="reason_mismatch", details={"fields": {"reason": "Wrong reason for this move."}})
        if reason.requires_cadence:
            return _check_cadence(lead, acting=acting, override=override)
    if req == Requires.BANT:
        missing = [name for name in BANT_FIELDS if not (bant or {}).get(name, "").strip()]
        if missing:
            raise RuleViolation("Qualifying needs budget, authority, need and timeline recorded.",
                                code="bant_incomplete",
                                details={"fields": {name: "This field is required." for name in missing}})
    if req == Requires.OPPORTUNITY:
        amount = (opportunity or {}).get("amount")
        if amount is None or not isinstance(amount, Decimal | int) or Decimal(amount) < 0:
            raise RuleViolation("Converting needs an opportunity amount of 0 or more.", code="invalid_opportunity",
                                details={"fields": {"amount": "A number of 0 or more is required."}})
        if not isinstance((opportunity or {}).get("close_date"), dt.date):
            raise RuleViolation("Converting needs a close date.", code="invalid_opportunity",
                                details={"fields": {"close_date": "This field is required."}})
    return False


def _check_cadence(lead: Lead, *, acting: set[By], override: bool) -> bool:
    """Refuse unless the cadence is met; returns True when a manager's override let the move through."""
    required = selectors.cadence_required_attempts()
    if lead.touch_attempts >= required:
        return False
    progress = f"{lead.touch_attempts} of {required} attempts"
    if override and By.SALES_MANAGER in acting:
        return True
    if override:
        message = f"Only a sales manager may override the touch cadence ({progress})."
    else:
        message = f"The touch cadence is not met: {progress}. A sales manager may override."
    raise RuleViolation(message, code="cadence_not_met",
                        details={"attempts": lead.touch_attempts, "required": required, "progress": progress,
                                 "fields": {"reason": progress}})


def _start_cycle(lead: Lead) -> None:
    lead.recycle_count += 1
    for stage in (*FUNNEL, *SIDE_STAGES):
        if stage not in (Stage.SUBSCRIBER, Stage.LEAD):
            setattr(lead, timestamp_field(stage), None)
    lead.touch_attempts = 0
    lead.first_attempt_at = None
    lead.last_touch_at = None
    lead.disposition = None
    lead.disposition_note = ""
    lead.owner = None
    lead.team = None
    lead.assigned_at = None
    lead.high_intent = False
    for name in BANT_FIELDS:
        setattr(lead, name, "")


def lead_transition(
    *,
    lead_id: int,
    to: str,
    actor: Actor,
    trigger: str = "",
    reason: DispositionReason | None = None,
    note: str = "",
    override: bool = False,
    owner: User | None = None,
    bant: dict[str, str] | None = None,
    opportunity: dict[str, Any] | None = None,
    expected_stage: str | None = None,
    action: str | None = None,
) -> TransitionResult:
    """Move a lead to ``to``; the one writer of stages. See the module docstring.

    ``action`` (accept, reject, ...) pins the move to that row of the table: a reject that arrives
    after the lead was accepted is refused (409), not read as a disqualification of the SAL.

    ``expected_stage`` (from a page the user opened earlier) turns a move on a lead that changed
    meanwhile into a 409 ``stale`` instead of acting on a state the user never saw.
    """
    if to not in Stage.values:
        raise RuleViolation(f"Unknown stage {to!r}.", code="unknown_stage",
                            details={"fields": {"to": f"One of: {', '.join(Stage.values)}."}})
    now = clock.now()
    locked = Lead.objects.select_for_update(of=("self",))
    if any(m.requires == Requires.OWNER for m in TABLE if m.target == to):
        # only the lead is locked; its owner (and the owner's rep profile) come along for the owner check
        locked = locked.select_related("owner__rep_profile")
    with transaction.atomic():
        lead = locked.filter(pk=lead_id).first()
        if lead is None:
            raise NotFound("No such lead.")
        if expected_stage is not None and lead.stage != expected_stage:
            raise Conflict("This lead changed since you opened it.", code="stale",
                           details={"stage": lead.stage, "expected": expected_stage})
        team_ids = _manager_team_ids(actor)
        if lead.stage == to:
            return _already_there(lead, to=to, actor=actor, reason=reason, team_ids=team_ids)
        move, acting, overridden = _checked_move(
            lead, to, actor=actor, action=action, trigger=trigger, reason=reason, override=override, owner=owner,
            bant=bant, opportunity=opportunity, team_ids=team_ids)
        stored = _columns(lead)
        transition = _enter(lead, move, to=to, actor=actor, trigger=trigger, reason=reason, note=note,
                            overridden=overridden, bant=bant, now=now)
        assignment = None
        if move.requires == Requires.OWNER:
            chosen = owner or lead.owner
            if chosen is not None and chosen.pk != lead.owner_id:
                assignment = _record_owner_choice(lead, chosen, actor=actor, now=now)
        opp = None
        if move.requires == Requires.OPPORTUNITY and opportunity is not None:
            opp = Opportunity.objects.create(
                lead=lead, account_id=lead.account_id, owner_id=lead.owner_id,
                name=opportunity.get("name") or f"{lead.company_name or lead.email} - new business",
                amount=opportunity["amount"], currency=opportunity.get("currency") or "USD",
                close_date=opportunity["close_date"], cycle=lead.recycle_count, created_at=now,
            )
        try:
            # no savepoint of its own: a failure leaves this atomic block at once, which rolls it all back
            transition.save(force_insert=True)
        except IntegrityError as exc:  # the (lead, seq) constraint: a concurrent writer got there first
            raise Conflict("This lead was changed by someone else at the same moment; try again.",
                           code="concurrent_change") from exc
        lead.save(update_fields=[name for name, value in _columns(lead).items() if stored[name] != value])
        for event in move_events(lead, transition, actor=actor, assignment=assignment):
            events.publish(event)
    return TransitionResult(lead=lead, transition=transition, opportunity=opp)


def _checked_move(
    lead: Lead, to: str, *, actor: Actor, action: str | None, trigger: str, reason: DispositionReason | None,
    override: bool, owner: User | None, bant: dict[str, str] | None, opportunity: dict[str, Any] | None,
    team_ids: list[int] | None,
) -> tuple[Move, set[By], bool]:
    """The table's move from the lead's stage to ``to``, checked: it exists (and is ``action``'s), the actor
    may make it, its requirement is met. Returns the move, who the actor acts as, and whether a cadence
    override was used. Raises the DomainError the caller answers."""
    move = find_move(lead.stage, to)
    if move is None or (action is not None and move.action != action):
        raise IllegalTransition(
            f"A lead cannot move from {lead.stage} to {to}"
            + (f" by {action}." if action else ".") + f" Allowed from {lead.stage}: "
            + (", ".join(allowed_targets(lead.stage)) or "nothing") + ".",
            details={"from": lead.stage, "to": to, "allowed": allowed_targets(lead.stage),
                     "allowed_actions": sorted({m.action for m in moves_from(lead.stage)})},
        )
    acting = acting_as(actor, lead, team_ids=team_ids)
    if not acting & move.by:
        who = ", ".join(sorted(str(b).replace("_", " ") for b in move.by))
        raise Forbidden(f"Moving a lead from {lead.stage} to {to} is for: {who}.", code="not_allowed",
                        details={"from": lead.stage, "to": to, "who": sorted(str(b) for b in move.by)})
    overridden = _check_requirements(move, lead, actor=actor, acting=acting, trigger=trigger, reason=reason,
                                     override=override, owner=owner, bant=bant, opportunity=opportunity,
                                     team_ids=team_ids)
    return move, acting, overridden


def _enter(lead: Lead, move: Move, *, to: str, actor: Actor, trigger: str, reason: DispositionReason | None,
           note: str, overridden: bool, bant: dict[str, str] | None, now: dt.datetime) -> StageTransition:
    """Change the lead (in memory) as entering ``to`` by ``move`` does, and return its history row, unsaved."""
    source = lead.stage
    if starts_new_cycle(source, to):
        _start_cycle(lead)
    lead.stage = to
    lead.status = STATUS_ON_ENTRY[Stage(to)]
    setattr(lead, timestamp_field(to), now)
    if reason is not None:
        lead.disposition = reason
        lead.disposition_note = note
    if move.requires == Requires.BANT and bant:
        for name in BANT_FIELDS:
            setattr(lead, name, bant[name].strip())
    if trigger == "high_intent_event":
        lead.high_intent = True
    lead.transition_count += 1
    lead.updated_at = now
    return StageTransition(
        lead=lead, seq=lead.transition_count, cycle=lead.recycle_count, from_stage=source, to_stage=to,
        actor_kind=actor.kind, actor=actor.user, reason=reason, trigger=trigger or move.action, note=note,
        override=overridden, occurred_at=now,
    )


def move_events(lead: Lead, transition: StageTransition, *, actor: Actor, assignment: Any = None
                ) -> list[events.DomainEvent]:
    """The domain events of a saved move: ``lead.stage_changed``, and ``lead.mql``, ``lead.cadence_override``,
    ``lead.assigned`` when they apply."""
    now = transition.occurred_at
    reason = transition.reason if transition.reason_id is not None else None
    data = {"from": transition.from_stage, "to": transition.to_stage, "cycle": transition.cycle,
            "trigger": transition.trigger, "reason": reason.code if reason is not None else None,
            "override": transition.override, "actor": actor.user.pk if actor.user else None,
            "transition_id": transition.pk}
    found = [events.DomainEvent("lead.stage_changed", now, lead.pk, data)]
    if transition.to_stage == Stage.MQL:
        found.append(events.DomainEvent("lead.mql", now, lead.pk, data))
    if transition.override:
        found.append(events.DomainEvent("lead.cadence_override", now, lead.pk, data))
    if assignment is not None:
        found.append(events.DomainEvent("lead.assigned", now, lead.pk, assignment.event_data()))
    return found


# Moves whose requirement writes rows of its own (the ledger, an opportunity): only ``lead_transition`` makes them.
_WRITING_REQUIREMENTS = frozenset({Requires.OWNER, Requires.OPPORTUNITY})


def transition_in_memory(lead: Lead, *, to: str, actor: Actor, trigger: str = "", note: str = "",
                         now: dt.datetime) -> StageTransition | None:
    """For a set-based writer (the bulk upsert): the same checks and the same changes as ``lead_transition``
    on a lead the caller holds (new and not yet saved, or locked by it), without writing anything. The caller
    saves the lead, saves the returned history row (``bulk_create`` after the leads have ids) and publishes
    ``move_events``. None when the lead already stands in ``to``. Moves that need an owner or an opportunity
    are refused (ValueError): those go through ``lead_transition``."""
    if lead.stage == to:
        return None
    move, _, overridden = _checked_move(lead, to, actor=actor, action=None, trigger=trigger, reason=None,
                                        override=False, owner=None, bant=None, opportunity=None, team_ids=None)
    if move.requires in _WRITING_REQUIREMENTS:
        raise ValueError(f"{move.action} writes rows of its own: use lead_transition")
    return _enter(lead, move, to=to, actor=actor, trigger=trigger, reason=None, note=note, overridden=overridden,
                  bant=None, now=now)


def _columns(lead: Lead) -> dict[str, Any]:
    """The lead's stored columns by field name: what a move changed is what it writes (``update_fields``)."""
    return {f.name: getattr(lead, f.attname) for f in Lead._meta.concrete_fields if not f.primary_key}


def _already_there(lead: Lead, *, to: str, actor: Actor, reason: DispositionReason | None,
                   team_ids: list[int] | None = None) -> TransitionResult:
    """A move to the stage the lead already stands in writes nothing. It is a quiet success for a repeat of
    the same decision (two accepts), but a different decision (another reason) is a conflict, and someone who
    could never make a move into this stage is refused as usual."""
    may = set().union(*(m.by for m in TABLE if m.target == to))
    if not acting_as(actor, lead, team_ids=team_ids) & may:
        raise Forbidden(f"Moving a lead to {to} is not for you.", code="not_allowed", details={"to": to})
    if reason is not None and lead.disposition_id != reason.pk:
        current = lead.disposition.code if lead.disposition_id and lead.disposition else None
        raise Conflict(f"This lead is already in {to}" + (f" (reason {current})." if current else "."),
                       code="already_in_stage", details={"stage": lead.stage, "reason": current})
    return TransitionResult(lead=lead, transition=None)


def _record_owner_choice(lead: Lead, chosen: User, *, actor: Actor, now: dt.datetime) -> Any:
    """A manager choosing another owner on acceptance: written to the assignment ledger like any reassignment.
    The first-contact receipt (assigned_at) is kept when the lead was already assigned."""
    from routing.models import Assignment, AssignmentMethod

    latency = int((now - lead.became_mql_at).total_seconds() * 1000) if lead.became_mql_at else None
    assignment = Assignment.objects.create(
        lead=lead, rep=chosen, team_id=chosen.team_id, previous_rep_id=lead.owner_id,
        method=AssignmentMethod.ACCEPT, actor=actor.user, cycle=lead.recycle_count, decided_at=now,
        latency_ms=latency,
    )
    lead.owner = chosen
    lead.team_id = chosen.team_id
    if lead.assigned_at is None:
        lead.assigned_at = now
    return assignment


# --- the actions of api.md ------------------------------------------------------------------------


def lead_promote(*, lead_id: int, to: str, actor: Actor, note: str = "", trigger: str = "",
                 expected_stage: str | None = None) -> TransitionResult:
    """Marketing ops' (or the system's) move forward: subscriber -> lead, or -> MQL."""
    if to not in (Stage.LEAD, Stage.MQL):
        raise RuleViolation("Promote moves a lead to 'lead' or 'mql'.", code="invalid_target",
                            details={"fields": {"to": "One of: lead, mql."}})
    return lead_transition(lead_id=lead_id, to=to, actor=actor, note=note, trigger=trigger or "promote",
                           expected_stage=expected_stage, action="promote")


def lead_accept(*, lead_id: int, actor: Actor, owner: User | None = None, note: str = "",
                expected_stage: str | None = None) -> TransitionResult:
    return lead_transition(lead_id=lead_id, to=Stage.SAL, actor=actor, owner=owner, note=note, trigger="accept",
                           expected_stage=expected_stage, action="accept")


def lead_reject(*, lead_id: int, actor: Actor, reason_code: str, note: str = "",
                expected_stage: str | None = None) -> TransitionResult:
    reason = resolve_reason(reason_code, DispositionKind.REJECTION)
    return lead_transition(lead_id=lead_id, to=reason.target_stage, actor=actor, reason=reason, note=note,
                           trigger="reject", expected_stage=expected_stage, action="reject")


def lead_qualify(*, lead_id: int, actor: Actor, bant: dict[str, str], note: str = "",
                 expected_stage: str | None = None) -> TransitionResult:
    return lead_transition(lead_id=lead_id, to=Stage.SQL, actor=actor, bant=bant, note=note, trigger="qualify",
                           expected_stage=expected_stage, action="qualify")


def lead_disqualify(*, lead_id: int, actor: Actor, reason_code: str, note: str = "", override: bool = False,
                    expected_stage: str | None = None) -> TransitionResult:
    reason = resolve_reason(reason_code, DispositionKind.DISQUALIFICATION)
    return lead_transition(lead_id=lead_id, to=Stage.DISQUALIFIED, actor=actor, reason=reason, note=note,
                           override=override, trigger="disqualify", expected_stage=expected_stage,
                           action="disqualify")


def lead_recycle(*, lead_id: int, actor: Actor, reason_code: str, note: str = "", override: bool = False,
                 expected_stage: str | None = None) -> TransitionResult:
    reason = resolve_reason(reason_code, DispositionKind.RECYCLE)
    return lead_transition(lead_id=lead_id, to=Stage.NURTURE, actor=actor, reason=reason, note=note,
                           override=override,
                           trigger="recycle", expected_stage=expected_stage, action="recycle")


def lead_convert(*, lead_id: int, actor: Actor, amount: Decimal, close_date: dt.date, currency: str = "USD",
                 name: str = "", expected_stage: str | None = None) -> TransitionResult:
    return lead_transition(
        lead_id=lead_id, to=Stage.OPPORTUNITY, actor=actor, trigger="convert", expected_stage=expected_stage,
        action="convert",
        opportunity={"amount": amount, "close_date": close_date, "currency": currency, "name": name},
    )
