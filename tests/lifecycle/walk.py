"""Walk a lead to any stage through the real services (the way users would get it there)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from lifecycle import services
from lifecycle.models import Lead, Opportunity
from lifecycle.services import Actor

_seq = itertools.count(1)
BANT = {"budget": "50k approved", "authority": "VP signs", "need": "manual routing hurts", "timeline": "Q1"}


def new_lead(**fields) -> Lead:
    n = next(_seq)
    fields.setdefault("company_name", f"Acme {n}")
    return services.lead_create(email=f"person{n}@acme{n}.example", first_name="Pat", last_name=f"Doe{n}", **fields)


def walk(org, stage: str, *, owner=None) -> Lead:
    """A lead of team East standing in ``stage`` (owner ``rep_east`` from SAL on)."""
    owner = owner or org.rep_east
    mops, mgr, admin = Actor.of(org.mops), Actor.of(org.manager_east), org.admin
    if stage == "subscriber":
        return services.lead_create(email=f"sub{next(_seq)}@gmail.com")
    lead = new_lead()
    if stage == "lead":
        return lead
    services.lead_promote(lead_id=lead.pk, to="mql", actor=mops)
    services.lead_assign(lead_id=lead.pk, owner_id=owner.pk, actor=admin)
    if stage == "mql":
        return Lead.objects.get(pk=lead.pk)
    if stage in ("nurture", "disqualified"):
        reason = "insufficient_budget" if stage == "nurture" else "wrong_company_size"
        return services.lead_reject(lead_id=lead.pk, actor=mgr, reason_code=reason).lead
    services.lead_accept(lead_id=lead.pk, actor=mgr)
    if stage == "sal":
        return Lead.objects.get(pk=lead.pk)
    services.lead_qualify(lead_id=lead.pk, actor=Actor.of(owner), bant=BANT)
    if stage == "sql":
        return Lead.objects.get(pk=lead.pk)
    services.lead_convert(lead_id=lead.pk, actor=Actor.of(owner), amount=Decimal("12000"),
                          close_date=dt.date(2027, 1, 31))
    if stage == "opportunity":
        return Lead.objects.get(pk=lead.pk)
    opp = Opportunity.objects.get(lead=lead)
    services.opportunity_update(opportunity_id=opp.pk, deal_stage="closed_won")
    assert stage == "customer", stage
    return Lead.objects.get(pk=lead.pk)
