"""Manual reassignment by a manager (the routing app writes automatic decisions to the same ledger)."""

from __future__ import annotations

from django.db import transaction

from leadops import clock, events, roles
from leadops.errors import Conflict, Forbidden, NotFound, RuleViolation
from leadops.models import User
from leadops.roles import Role
from lifecycle import selectors
from lifecycle.models import Lead
from lifecycle.state_machine import Stage
from routing.models import Assignment, AssignmentMethod

CLOSED_STAGES = {Stage.CUSTOMER, Stage.DISQUALIFIED, Stage.NURTURE}


def lead_assign(*, lead_id: int, owner_id: int, actor: User, note: str = "",
                expected_stage: str | None = None) -> Assignment:
    """A manager (or admin) hands a lead to another rep; the ledger keeps both owners.

    ``expected_stage`` (the stage the caller saw) turns a reassignment of a lead that moved
    meanwhile into a 409 ``stale``, as for the transitions.
    """
    now = clock.now()
    with transaction.atomic():
        lead = Lead.objects.select_for_update().filter(pk=lead_id).first()
        if lead is None:
            raise NotFound("No such lead.")
        if expected_stage is not None and lead.stage != expected_stage:
            raise Conflict("This lead changed since you opened it.", code="stale",
                           details={"stage": lead.stage, "expected": expected_stage})
        role = roles.role_of(actor)
        team_ids = selectors.managed_team_ids(actor) if role == Role.SALES_MANAGER else None  # read once
        if role != Role.ADMIN and not (role == Role.SALES_MANAGER
                                       and selectors.manages_lead(actor, lead, team_ids=team_ids)):
            raise Forbidden("Only a manager of the lead's team may reassign it.", code="not_allowed")
        rep = User.objects.select_related("rep_profile").filter(pk=owner_id).first()
        if rep is None:
            raise NotFound("No such rep.", details={"fields": {"owner": "Unknown user."}})
        if team_ids is not None and rep.team_id not in team_ids:
            raise NotFound("No such rep in your teams.", details={"fields": {"owner": "Not in your teams."}})
        if not selectors.may_own(rep, manager=actor, team_ids=team_ids):
            raise Conflict("That rep is inactive or not a sales rep.", code="invalid_owner",
                           details={"fields": {"owner": "Inactive or not a sales rep."}})
        if lead.stage in CLOSED_STAGES:
            raise RuleViolation(f"A lead in {lead.stage} is not worked by sales; nothing to reassign.",
                                code="not_assignable", details={"stage": lead.stage})
        previous = lead.owner_id
        if previous == rep.pk:
            raise Conflict("The lead already belongs to that rep.", code="no_change")
        latency = int((now - lead.became_mql_at).total_seconds() * 1000) if lead.became_mql_at else None
        assignment = Assignment.objects.create(
            lead=lead, rep=rep, team_id=rep.team_id, previous_rep_id=previous, method=AssignmentMethod.MANUAL,
            actor=actor, note=note, cycle=lead.recycle_count, decided_at=now, latency_ms=latency,
        )
        lead.owner = rep
        lead.team_id = rep.team_id
        if lead.assigned_at is None:
            lead.assigned_at = now
        lead.updated_at = now
        lead.save(update_fields=["owner", "team", "assigned_at", "updated_at"])
        events.publish(events.DomainEvent("lead.assigned", now, lead.pk, assignment.event_data()))
    return assignment
