"""Opportunities after conversion: editing, and closing won or lost (which moves the lead)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction

from leadops import clock, events
from leadops.errors import Conflict, RuleViolation
from lifecycle.models import CLOSED_DEAL_STAGES, DealStage, DispositionKind, Opportunity
from lifecycle.services.transitions import Actor, lead_transition, resolve_reason
from lifecycle.state_machine import Stage


def opportunity_update(
    *, opportunity_id: int, deal_stage: str | None = None, amount: Decimal | None = None,
    close_date: dt.date | None = None, lost_reason: str | None = None, name: str | None = None,
    currency: str | None = None,
) -> Opportunity:
    """Edit a deal. Closing it won makes the lead a customer; closing it lost sends the lead to nurture or
    disqualified according to the lost reason (domain.md section 4). Closed deals are final."""
    now = clock.now()
    with transaction.atomic():
        opp = Opportunity.objects.select_for_update().select_related("lead").get(pk=opportunity_id)
        if opp.deal_stage in CLOSED_DEAL_STAGES:
            raise Conflict("This opportunity is closed.", code="closed",
                           details={"deal_stage": opp.deal_stage})
        if amount is not None:
            if amount < 0:
                raise RuleViolation("Amount must be 0 or more.", details={"fields": {"amount": "Must be >= 0."}})
            opp.amount = amount
        for attr, value in (("close_date", close_date), ("name", name), ("currency", currency)):
            if value is not None:
                setattr(opp, attr, value)
        reason = None
        if deal_stage == DealStage.CLOSED_LOST:
            reason = resolve_reason(lost_reason, DispositionKind.CLOSED_LOST, field="lost_reason")
            opp.lost_reason = reason
        elif lost_reason:
            raise RuleViolation("A lost reason goes with closing the deal lost.",
                                details={"fields": {"lost_reason": "Only with deal_stage closed_lost."}})
        previous = opp.deal_stage
        if deal_stage is not None:
            opp.deal_stage = deal_stage
        if opp.deal_stage in CLOSED_DEAL_STAGES:
            opp.closed_at = now
        opp.save()
        if previous != opp.deal_stage:
            data: dict[str, Any] = {"opportunity_id": opp.pk, "from": previous, "to": opp.deal_stage}
            events.publish(events.DomainEvent("opportunity.stage_changed", now, opp.lead_id, data))
        if opp.deal_stage == DealStage.CLOSED_WON and opp.lead.stage == Stage.OPPORTUNITY:
            lead_transition(lead_id=opp.lead_id, to=Stage.CUSTOMER, actor=Actor.system(), trigger="closed_won")
        if opp.deal_stage == DealStage.CLOSED_LOST and opp.lead.stage == Stage.OPPORTUNITY and reason is not None:
            lead_transition(lead_id=opp.lead_id, to=reason.target_stage, actor=Actor.system(), reason=reason,
                            trigger="closed_lost")
    return opp
