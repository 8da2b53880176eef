"""The transition table of domain.md section 4, as data. The one place that says which moves exist.

Every stage change goes through ``lifecycle.services.transitions.lead_transition``, which asks
``find_move`` here; HTML pages ask ``moves_from`` to decide which buttons to show.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from django.db import models


class Stage(models.TextChoices):
    SUBSCRIBER = "subscriber", "Subscriber"
    LEAD = "lead", "Lead"
    MQL = "mql", "MQL"
    SAL = "sal", "SAL"
    SQL = "sql", "SQL"
    OPPORTUNITY = "opportunity", "Opportunity"
    CUSTOMER = "customer", "Customer"
    NURTURE = "nurture", "Nurture"
    DISQUALIFIED = "disqualified", "Disqualified"


FUNNEL: tuple[Stage, ...] = (
    Stage.SUBSCRIBER, Stage.LEAD, Stage.MQL, Stage.SAL, Stage.SQL, Stage.OPPORTUNITY, Stage.CUSTOMER,
)
SIDE_STAGES: tuple[Stage, ...] = (Stage.NURTURE, Stage.DISQUALIFIED)


class By(enum.StrEnum):
    """Who may make a move (the table's "who" column)."""

    SYSTEM = "system"
    MARKETING_OPS = "marketing_ops"
    SALES_MANAGER = "sales_manager"  # a manager of the lead's team
    OWNER_REP = "owner_rep"  # the rep who owns the lead
    INTEGRATOR = "integrator"


class Requires(enum.StrEnum):
    """What a move requires (the table's "requires" column)."""

    NOTHING = "nothing"
    COMPANY_OR_TITLE = "company_or_title"
    HIGH_INTENT_EVENT = "high_intent_event"
    OWNER = "owner"
    REJECTION_REASON = "rejection_reason"
    BANT = "bant"
    RECYCLE_REASON = "recycle_reason"
    DISQUALIFICATION_REASON = "disqualification_reason"
    OPPORTUNITY = "opportunity"
    OPPORTUNITY_WON = "opportunity_won"
    LOST_REASON = "lost_reason"


@dataclass(frozen=True)
class Move:
    sources: frozenset[Stage]
    target: Stage
    action: str  # the API action / button that makes it
    by: frozenset[By]
    requires: Requires


def _move(sources: set[Stage], target: Stage, action: str, by: set[By], requires: Requires) -> Move:
    return Move(frozenset(sources), target, action, frozenset(by), requires)


S, R = Stage, Requires

TABLE: tuple[Move, ...] = (
    _move({S.SUBSCRIBER}, S.LEAD, "promote", {By.SYSTEM, By.MARKETING_OPS, By.INTEGRATOR}, R.COMPANY_OR_TITLE),
    _move({S.SUBSCRIBER, S.LEAD, S.NURTURE}, S.MQL, "promote", {By.SYSTEM, By.MARKETING_OPS}, R.NOTHING),
    _move({S.DISQUALIFIED}, S.MQL, "promote", {By.SYSTEM}, R.HIGH_INTENT_EVENT),
    _move({S.MQL}, S.SAL, "accept", {By.SALES_MANAGER}, R.OWNER),
    _move({S.MQL}, S.NURTURE, "reject", {By.SALES_MANAGER}, R.REJECTION_REASON),
    _move({S.MQL}, S.DISQUALIFIED, "reject", {By.SALES_MANAGER}, R.REJECTION_REASON),
    _move({S.SAL}, S.SQL, "qualify", {By.OWNER_REP, By.SALES_MANAGER}, R.BANT),
    _move({S.SAL, S.SQL}, S.NURTURE, "recycle", {By.OWNER_REP, By.SALES_MANAGER}, R.RECYCLE_REASON),
    _move({S.SAL, S.SQL}, S.DISQUALIFIED, "disqualify", {By.OWNER_REP, By.SALES_MANAGER},
          R.DISQUALIFICATION_REASON),
    _move({S.SQL}, S.OPPORTUNITY, "convert", {By.OWNER_REP, By.SALES_MANAGER, By.INTEGRATOR}, R.OPPORTUNITY),
    _move({S.OPPORTUNITY}, S.CUSTOMER, "close_won", {By.SYSTEM}, R.OPPORTUNITY_WON),
    _move({S.OPPORTUNITY}, S.NURTURE, "close_lost", {By.SYSTEM}, R.LOST_REASON),
    _move({S.OPPORTUNITY}, S.DISQUALIFIED, "close_lost", {By.SYSTEM}, R.LOST_REASON),
)

# Entering MQL from a side stage starts a new cycle (recycle_count + 1, fresh stage timestamps).
NEW_CYCLE_FROM: frozenset[Stage] = frozenset({S.NURTURE, S.DISQUALIFIED})

# The working status a lead takes on entering a stage (touches move it on inside SAL/MQL).
STATUS_ON_ENTRY: dict[Stage, str] = {
    S.SUBSCRIBER: "new",
    S.LEAD: "new",
    S.MQL: "new",
    S.SAL: "new",
    S.SQL: "connected",
    S.OPPORTUNITY: "open_deal",
    S.CUSTOMER: "connected",
    S.NURTURE: "returned_not_ready",
    S.DISQUALIFIED: "unqualified",
}


def timestamp_field(stage: Stage | str) -> str:
    return f"became_{stage}_at"


def find_move(source: Stage | str, target: Stage | str) -> Move | None:
    for move in TABLE:
        if source in move.sources and move.target == target:
            return move
    return None


def moves_from(source: Stage | str) -> list[Move]:
    return [move for move in TABLE if source in move.sources]


def allowed_targets(source: Stage | str) -> list[str]:
    return [str(move.target) for move in moves_from(source)]


def starts_new_cycle(source: Stage | str, target: Stage | str) -> bool:
    return target == S.MQL and source in NEW_CYCLE_FROM


def check_table() -> list[str]:
    """Problems with the table (used by a system check at start-up): every stage must be reachable
    or a start, appear in the status map, and have its timestamp field on Lead."""
    from lifecycle.models import Lead

    problems = []
    field_names = {f.name for f in Lead._meta.get_fields()}
    mentioned = {stage for move in TABLE for stage in (*move.sources, move.target)}
    for stage in Stage:
        if stage not in mentioned:
            problems.append(f"stage {stage!s} appears in no move of the transition table")
        if stage not in STATUS_ON_ENTRY:
            problems.append(f"stage {stage!s} has no entry status")
        if stage != S.SUBSCRIBER and timestamp_field(stage) not in field_names:
            problems.append(f"Lead has no field {timestamp_field(stage)} for stage {stage!s}")
    return problems
