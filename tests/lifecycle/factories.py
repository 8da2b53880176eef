"""Factories of the lifecycle app. Leads are made through the services, the way users make them.

``LeadFactory(stage="sal", owner=org.rep_east)`` walks a new lead to ``stage`` through the real
actions (the team's manager accepts, the owner qualifies and converts); ``team=`` alone leaves an
MQL in that team's unassigned queue, as routing would.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import factory

from leadops.models import Team, User
from lifecycle import services
from lifecycle.models import Account, Campaign, Lead, Opportunity, RevenueTarget
from lifecycle.services import Actor
from lifecycle.services import reference as ref

BANT = {"budget": "50k approved", "authority": "VP signs", "need": "routing by hand", "timeline": "this quarter"}
FUNNEL_AFTER_MQL = ("sal", "sql", "opportunity", "customer")


class CampaignFactory(factory.Factory):
    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"Campaign {n}")
    channel = "webinar"
    cost = Decimal("1000.00")
    starts_on = dt.date(2026, 10, 1)
    ends_on = dt.date(2026, 12, 31)

    @classmethod
    def _create(cls, model_class: type[Campaign], *args: Any, **kwargs: Any) -> Campaign:
        return ref.campaign_create(**kwargs)


class AccountFactory(factory.Factory):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"Company {n}")
    domain = factory.Sequence(lambda n: f"company{n}.example")

    @classmethod
    def _create(cls, model_class: type[Account], *args: Any, **kwargs: Any) -> Account:
        return ref.account_create(**kwargs)


class RevenueTargetFactory(factory.Factory):
    class Meta:
        model = RevenueTarget

    period_start = dt.date(2027, 1, 1)
    amount = Decimal("500000.00")
    team = None

    @classmethod
    def _create(cls, model_class: type[RevenueTarget], *args: Any, **kwargs: Any) -> RevenueTarget:
        return ref.revenue_target_create(**kwargs)


def _manager_of(team: Team) -> User:
    assert team.manager is not None, f"team {team} has no manager"
    return team.manager


def _route(lead: Lead, *, owner: User | None, team: Team | None) -> None:
    """What the routing app does on MQL: an owner (and their team), or a team's unassigned queue."""
    if owner is not None:
        admin = User.objects.filter(is_superuser=True).first() or User.objects.create(
            username="factory-admin", role="admin", is_superuser=True, is_staff=True)
        services.lead_assign(lead_id=lead.pk, owner_id=owner.pk, actor=admin)
    elif team is not None:
        Lead.objects.filter(pk=lead.pk).update(team=team)


def advance(lead: Lead, stage: str, *, owner: User | None = None, team: Team | None = None) -> Lead:
    """Walk ``lead`` (a lead-stage lead) to ``stage`` through the services."""
    if stage in ("subscriber", "lead"):
        return lead
    system = Actor.system()
    services.lead_promote(lead_id=lead.pk, to="mql", actor=system)
    _route(lead, owner=owner, team=team)
    if stage == "mql":
        return Lead.objects.get(pk=lead.pk)
    assert owner is not None, f"a lead in {stage} needs an owner"
    manager = Actor.of(_manager_of(owner.team))
    if stage in ("nurture", "disqualified"):
        services.lead_accept(lead_id=lead.pk, actor=manager)
        if stage == "nurture":
            services.lead_recycle(lead_id=lead.pk, actor=Actor.of(owner), reason_code="bad_timing")
        else:
            services.lead_disqualify(lead_id=lead.pk, actor=Actor.of(owner), reason_code="no_budget")
        return Lead.objects.get(pk=lead.pk)
    services.lead_accept(lead_id=lead.pk, actor=manager)
    if stage != "sal":
        services.lead_qualify(lead_id=lead.pk, actor=Actor.of(owner), bant=BANT)
    if stage in ("opportunity", "customer"):
        services.lead_convert(lead_id=lead.pk, actor=Actor.of(owner), amount=Decimal("12000"),
                              close_date=dt.date(2027, 1, 31))
    if stage == "customer":
        opportunity = Opportunity.objects.get(lead_id=lead.pk, deal_stage="discovery")
        services.opportunity_update(opportunity_id=opportunity.pk, deal_stage="closed_won")
    return Lead.objects.get(pk=lead.pk)


class LeadFactory(factory.Factory):
    """A lead made by ``lead_create`` (company known: stage ``lead``), then walked to ``stage``."""

    class Meta:
        model = Lead

    email = factory.Sequence(lambda n: f"person{n}@acme{n}.example")
    first_name = "Pat"
    last_name = factory.Sequence(lambda n: f"Doe{n}")
    company_name = factory.Sequence(lambda n: f"Acme {n}")

    @classmethod
    def _create(cls, model_class: type[Lead], *args: Any, stage: str = "lead", owner: User | None = None,
                team: Team | None = None, **kwargs: Any) -> Lead:
        if stage == "subscriber":
            kwargs["email"] = kwargs["email"].split("@")[0] + "@gmail.com"
            kwargs.pop("company_name", None)
        lead = services.lead_create(**kwargs)
        return advance(lead, stage, owner=owner, team=team)
