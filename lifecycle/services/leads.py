"""Creating and editing leads and accounts (contact and firmographic facts; never stage, owner or scores)."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.db.models.functions import Lower

from leadops import clock, events
from leadops.errors import Conflict, RuleViolation
from lifecycle.models import Account, Campaign, Lead, LeadExternalId, Seniority
from lifecycle.services.transitions import Actor, lead_transition
from lifecycle.state_machine import Stage

FREE_MAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "hotmail.com", "outlook.com", "live.com",
    "msn.com", "aol.com", "icloud.com", "me.com", "mac.com", "gmx.com", "gmx.de", "gmx.net", "web.de",
    "proton.me", "protonmail.com", "yandex.ru", "yandex.com", "mail.ru", "qq.com", "163.com", "126.com",
    "zoho.com", "fastmail.com", "hey.com", "tutanota.com", "orange.fr", "free.fr", "btinternet.com",
})

# Editable contact and firmographic fields (api.md PATCH /leads/{id}/)
EDITABLE_FIELDS = (
    "email", "first_name", "last_name", "title", "phone", "company_name", "company_domain", "employee_count",
    "industry", "country", "lead_type", "source",
)

_SENIORITY_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    # supporting roles first: "Assistant to the CEO" is not the CEO, a "Lead Generation Specialist" no manager
    (Seniority.INDIVIDUAL, re.compile(r"\b(assistant|associate|coordinator|specialist|intern|analyst)\b", re.I)),
    (Seniority.VP, re.compile(r"\b(vp|vice[- ]president|svp|evp|avp)\b", re.I)),
    (Seniority.CXO, re.compile(
        r"\b(chief|ceo|cto|cfo|coo|cmo|cio|ciso|cro|founder|co-?founder|president|managing director)\b"
        r"|^\s*(co-?)?owner\s*$|\bbusiness owner\b", re.I)),
    (Seniority.DIRECTOR, re.compile(r"\b(director|head of|head)\b", re.I)),
    (Seniority.MANAGER, re.compile(r"\b(manager|team lead|supervisor)\b", re.I)),
]


def derive_seniority(title: str) -> str:
    if not title.strip():
        return Seniority.UNKNOWN
    for level, pattern in _SENIORITY_PATTERNS:
        if pattern.search(title):
            return level
    return Seniority.INDIVIDUAL


def normalise_email(raw: str) -> str:
    email = (raw or "").strip()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise RuleViolation(f"{raw!r} is not a valid email address.", code="invalid_email",
                            details={"fields": {"email": "Enter a valid email address."}}) from exc
    local, _, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


def normalise_domain(raw: str) -> str:
    domain = (raw or "").strip().lower()
    domain = re.sub(r"^[a-z]+://", "", domain).split("/")[0].split(":")[0]
    return domain.removeprefix("www.").rstrip(".")


def email_domain(email: str) -> str:
    return normalise_domain(email.rpartition("@")[2])


def is_free_mail(domain: str) -> bool:
    return normalise_domain(domain) in FREE_MAIL_DOMAINS


def account_for(*, email: str, company_domain: str = "", company_name: str = "",
                firmographics: dict[str, Any] | None = None) -> Account | None:
    """The account a lead belongs to, by company domain or else email domain; free mail never makes one.

    Creates the account when the domain is new; the newest non-empty firmographics update the account.
    """
    domain = normalise_domain(company_domain) or email_domain(email)
    if not domain or is_free_mail(domain):
        return None
    facts = {k: v for k, v in (firmographics or {}).items() if v not in (None, "")}
    account = Account.objects.filter(domain=domain).first()
    if account is None:
        try:
            with transaction.atomic():
                account = Account.objects.create(name=company_name or domain, domain=domain, **facts)
        except IntegrityError:  # created concurrently
            account = Account.objects.get(domain=domain)
        return account
    changed = [k for k, v in facts.items() if getattr(account, k) != v]
    if changed:
        for key in changed:
            setattr(account, key, facts[key])
        account.save(update_fields=changed)
    return account


def _firmographics(fields: dict[str, Any]) -> dict[str, Any]:
    return {"industry": fields.get("industry"), "employee_count": fields.get("employee_count"),
            "country": fields.get("country")}


def leads_with_email(email: str) -> QuerySet[Lead]:
    """Leads with this email, case-insensitively, through the ``lower(email)`` unique index (``iexact`` would
    compare ``UPPER(email)`` and scan the whole table)."""
    return Lead.objects.alias(email_ci=Lower("email")).filter(email_ci=email.lower())


def _check_email_free(email: str, *, exclude_pk: int | None = None) -> None:
    qs = leads_with_email(email)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    other = qs.values_list("pk", flat=True).first()
    if other is not None:
        raise Conflict(f"Another lead already has the email {email}.", code="duplicate",
                       details={"fields": {"email": "Already used by another lead."}, "lead": other})


@transaction.atomic
def lead_create(
    *, email: str, campaign: Campaign | None = None, external_id: str | None = None, client: Any = None,
    **fields: Any,
) -> Lead:
    """Create a lead (a subscriber; a lead if company or title is known). Publishes ``lead.created``."""
    email = normalise_email(email)
    _check_email_free(email)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise RuleViolation(f"Unknown field(s): {', '.join(sorted(unknown))}.", code="unknown_field",
                            details={"fields": {name: "Unknown field." for name in unknown}})
    now = clock.now()
    lead = Lead(email=email, created_at=now, updated_at=now, first_campaign=campaign, latest_campaign=campaign,
                **{k: v for k, v in fields.items() if v is not None})
    if fields.get("company_domain"):
        lead.company_domain = normalise_domain(fields["company_domain"])
    lead.seniority = derive_seniority(lead.title)
    if not lead.source and campaign is not None:
        lead.source = campaign.channel
    lead.account = account_for(email=email, company_domain=lead.company_domain, company_name=lead.company_name,
                               firmographics=_firmographics(fields))
    try:
        with transaction.atomic():
            lead.save()
    except IntegrityError as exc:
        raise Conflict(f"Another lead already has the email {email}.", code="duplicate",
                       details={"fields": {"email": "Already used by another lead."}}) from exc
    if external_id and client is not None:
        try:
            with transaction.atomic():
                LeadExternalId.objects.create(lead=lead, client=client, external_id=external_id)
        except IntegrityError as exc:
            raise Conflict(f"external_id {external_id!r} is already used by another of your leads.",
                           code="duplicate", details={"fields": {"external_id": "Already used."}}) from exc
    events.publish(events.DomainEvent("lead.created", now, lead.pk, {"stage": lead.stage}))
    return _promote_if_known(lead)


def _promote_if_known(lead: Lead) -> Lead:
    """A subscriber whose company or title becomes known is a lead (the system makes that move).

    "Known" means stated: a company name or a title. An email at a company domain links the account
    but, alone, leaves a subscriber (a newsletter sign-up is not yet a lead)."""
    if lead.stage == Stage.SUBSCRIBER and (lead.company_name.strip() or lead.title.strip()):
        return lead_transition(lead_id=lead.pk, to=Stage.LEAD, actor=Actor.system(), trigger="enriched").lead
    return lead


@transaction.atomic
def lead_update(*, lead_id: int, fields: dict[str, Any]) -> tuple[Lead, list[str]]:
    """Edit contact and firmographic fields; returns the lead and the names of fields that changed."""
    forbidden = set(fields) - set(EDITABLE_FIELDS)
    if forbidden:
        raise RuleViolation(
            f"These fields cannot be written here: {', '.join(sorted(forbidden))}.", code="read_only_field",
            details={"fields": {name: "Read-only: stage, owner and scores move through actions." for name in
                                forbidden}})
    lead = Lead.objects.select_for_update().get(pk=lead_id)
    if "email" in fields:
        fields["email"] = normalise_email(fields["email"])
        _check_email_free(fields["email"], exclude_pk=lead.pk)
    if fields.get("company_domain"):
        fields["company_domain"] = normalise_domain(fields["company_domain"])
    changed = [name for name, value in fields.items() if getattr(lead, name) != value]
    if not changed:
        return lead, []
    for name in changed:
        setattr(lead, name, fields[name])
    if "title" in changed:
        lead.seniority = derive_seniority(lead.title)
    if {"email", "company_domain", "company_name", "industry", "employee_count", "country"} & set(changed):
        account = account_for(email=lead.email, company_domain=lead.company_domain, company_name=lead.company_name,
                              firmographics=_firmographics(fields))
        lead.account = account if account is not None else lead.account
    now = clock.now()
    lead.updated_at = now
    lead.save()
    events.publish(events.DomainEvent("lead.updated", now, lead.pk, {"changed": changed}))
    return _promote_if_known(lead), changed
