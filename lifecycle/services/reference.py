"""Writers of the reference data: campaigns, accounts and revenue targets.

Each checks the rules that do not fit a database constraint (dates in order, a quarter start, a
normalised domain) and turns a unique clash into a 409 ``duplicate``; the API and the HTML pages
call these, never ``Model.objects.create`` themselves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction

from leadops import clock
from leadops.errors import Conflict, NotFound, RuleViolation
from leadops.models import Team, User
from leadops.roles import Role
from leadops.services import save_unique
from lifecycle.models import Account, Campaign, RevenueTarget
from lifecycle.services.leads import normalise_domain

CAMPAIGN_FIELDS = frozenset({"name", "channel", "type", "cost", "starts_on", "ends_on", "expected_volume"})
ACCOUNT_FIELDS = frozenset({"name", "domain", "industry", "employee_count", "country", "annual_revenue", "owner"})
TARGET_FIELDS = frozenset({"team", "period_start", "amount", "currency"})
QUARTER_START_MONTHS = (1, 4, 7, 10)


def _refuse_unknown(fields: Mapping[str, Any], allowed: frozenset[str]) -> None:
    unknown = set(fields) - allowed
    if unknown:
        raise RuleViolation(f"These fields cannot be written: {', '.join(sorted(unknown))}.", code="unknown_field",
                            details={"fields": {name: "Unknown or read-only field." for name in sorted(unknown)}})


def _not_negative(name: str, value: Decimal | int | None) -> None:
    if value is not None and value < 0:
        raise RuleViolation(f"{name} must be 0 or more.", details={"fields": {name: "Must be 0 or more."}})


# --- campaigns ------------------------------------------------------------------------------------


def _check_campaign(campaign: Campaign) -> None:
    _not_negative("cost", campaign.cost)
    if campaign.starts_on and campaign.ends_on and campaign.ends_on < campaign.starts_on:
        raise RuleViolation("A campaign cannot end before it starts.",
                            details={"fields": {"ends_on": "Must be on or after starts_on."}})


def _save_campaign(campaign: Campaign) -> Campaign:
    return save_unique(campaign, Campaign.objects.filter(name__iexact=campaign.name), lambda _: Conflict(
        f"A campaign named {campaign.name!r} already exists.", code="duplicate",
        details={"fields": {"name": "Already used by another campaign."}}))


@transaction.atomic
def campaign_create(
    *, name: str, channel: str, type: str = "", cost: Decimal = Decimal(0), starts_on: dt.date | None = None,
    ends_on: dt.date | None = None, expected_volume: int | None = None,
) -> Campaign:
    campaign = Campaign(name=name.strip(), channel=channel, type=type, cost=cost, starts_on=starts_on,
                        ends_on=ends_on, expected_volume=expected_volume, created_at=clock.now())
    _check_campaign(campaign)
    return _save_campaign(campaign)


@transaction.atomic
def campaign_update(*, campaign_id: int, fields: Mapping[str, Any]) -> Campaign:
    """Edit a campaign; the date order is checked against the stored dates the call leaves alone."""
    _refuse_unknown(fields, CAMPAIGN_FIELDS)
    campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
    if campaign is None:
        raise NotFound("No such campaign.")
    for name, value in fields.items():
        setattr(campaign, name, value.strip() if name == "name" else value)
    _check_campaign(campaign)
    return _save_campaign(campaign)


# --- accounts -------------------------------------------------------------------------------------


def _check_account(account: Account) -> None:
    if not account.domain or "." not in account.domain or " " in account.domain:
        raise RuleViolation(f"{account.domain!r} is not a domain.", code="invalid_domain",
                            details={"fields": {"domain": "Enter a domain such as example.com."}})
    _not_negative("annual_revenue", account.annual_revenue)
    _not_negative("employee_count", account.employee_count)
    owner = account.owner
    if owner is not None and (owner.role != Role.SALES_REP or not owner.is_active):
        raise RuleViolation("An account's owner is an active sales rep (routing hands them the account's leads).",
                            code="invalid_owner", details={"fields": {"owner": "Not an active sales rep."}})


def _save_account(account: Account) -> Account:
    return save_unique(account, Account.objects.filter(domain=account.domain), lambda other: Conflict(
        f"An account with the domain {account.domain} already exists.", code="duplicate",
        details={"fields": {"domain": "Already used by another account."},
                 **({"account": other} if other is not None else {})}))


@transaction.atomic
def account_create(
    *, name: str, domain: str, industry: str = "", employee_count: int | None = None, country: str = "",
    annual_revenue: Decimal | None = None, owner: User | None = None,
) -> Account:
    """Create an account; the domain is normalised (lower case, no scheme, no ``www.``) and unique."""
    account = Account(name=name.strip(), domain=normalise_domain(domain), industry=industry,
                      employee_count=employee_count, country=country.upper(), annual_revenue=annual_revenue,
                      owner=owner, created_at=clock.now())
    _check_account(account)
    return _save_account(account)


@transaction.atomic
def account_update(*, account_id: int, fields: Mapping[str, Any]) -> Account:
    _refuse_unknown(fields, ACCOUNT_FIELDS)
    account = Account.objects.select_for_update().filter(pk=account_id).first()
    if account is None:
        raise NotFound("No such account.")
    for name, value in fields.items():
        if name == "domain":
            value = normalise_domain(value)
        elif name == "country":
            value = value.upper()
        elif name == "name":
            value = value.strip()
        setattr(account, name, value)
    _check_account(account)
    return _save_account(account)


# --- revenue targets ------------------------------------------------------------------------------


def is_quarter_start(day: dt.date) -> bool:
    return day.day == 1 and day.month in QUARTER_START_MONTHS


def _check_target(target: RevenueTarget) -> None:
    if not is_quarter_start(target.period_start):
        raise RuleViolation("A revenue target's period starts on the first day of a quarter.", code="not_a_quarter",
                            details={"fields": {"period_start": "Must be 1 January, 1 April, 1 July or 1 October."}})
    _not_negative("amount", target.amount)


def _save_target(target: RevenueTarget) -> RevenueTarget:
    clash = RevenueTarget.objects.filter(team=target.team, period_start=target.period_start)
    return save_unique(target, clash, lambda _: Conflict(
        "There is already a target for that team and quarter.", code="duplicate",
        details={"fields": {"period_start": "This team already has a target for the quarter."}}))


@transaction.atomic
def revenue_target_create(
    *, period_start: dt.date, amount: Decimal, team: Team | None = None, currency: str = "USD",
) -> RevenueTarget:
    """A quarter's revenue target for a team, or for the company when ``team`` is None."""
    target = RevenueTarget(team=team, period_start=period_start, amount=amount, currency=currency.upper())
    _check_target(target)
    return _save_target(target)


@transaction.atomic
def revenue_target_update(*, target_id: int, fields: Mapping[str, Any]) -> RevenueTarget:
    _refuse_unknown(fields, TARGET_FIELDS)
    target = RevenueTarget.objects.select_for_update().filter(pk=target_id).first()
    if target is None:
        raise NotFound("No such revenue target.")
    for name, value in fields.items():
        setattr(target, name, value.upper() if name == "currency" else value)
    _check_target(target)
    return _save_target(target)
