"""Creating and editing leads and accounts (contact and firmographic facts; never stage, owner or scores)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.db.models.functions import Lower

from leadops import clock, events, roles
from leadops.errors import Conflict, RuleViolation
from leadops.roles import Role
from lifecycle.models import Account, Campaign, ClientLead, Lead, LeadExternalId, Seniority
from lifecycle.services.lead_types import check_lead_type
from lifecycle.services.rows import insert_values, update_rows
from lifecycle.services.transitions import Actor, lead_transition, move_events, transition_in_memory
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


FIRMOGRAPHICS = ("industry", "employee_count", "country")
# A change of one of these re-resolves the lead's account.
ACCOUNT_FIELDS = frozenset({"email", "company_domain", "company_name", *FIRMOGRAPHICS})


@dataclass(frozen=True)
class AccountWanted:
    """What ``accounts_for_many`` needs of one lead (the arguments of ``account_for``)."""

    email: str
    company_domain: str = ""
    company_name: str = ""
    firmographics: dict[str, Any] | None = None


def accounts_for_many(wanted: list[AccountWanted]) -> list[Account | None]:
    """``account_for`` for many leads at once, in their order, with the same result: the account by company
    domain, else email domain (none for free mail); a new domain makes an account named after the first lead's
    company; each lead's non-empty firmographics update the account in turn (the last one wins). A few
    queries for the whole list: one read, one INSERT of the new accounts (``ON CONFLICT DO NOTHING``, sorted
    by domain so concurrent writers queue instead of deadlocking, then one read of their ids), one UPDATE."""
    domains = [normalise_domain(w.company_domain) or email_domain(w.email) for w in wanted]
    known = {d for d in domains if d and not is_free_mail(d)}
    existing = {a.domain: a for a in Account.objects.filter(domain__in=known)} if known else {}
    new: dict[str, Account] = {}
    dirty: dict[str, set[str]] = {}
    found: list[Account | None] = []
    for want, domain in zip(wanted, domains, strict=True):
        if domain not in known:
            found.append(None)
            continue
        facts = {k: v for k, v in (want.firmographics or {}).items() if v not in (None, "")}
        account = existing.get(domain) or new.get(domain)
        if account is None:
            account = new[domain] = Account(name=want.company_name or domain, domain=domain, **facts)
        else:
            for key, value in facts.items():
                if getattr(account, key) != value:
                    setattr(account, key, value)
                    if domain in existing:
                        dirty.setdefault(domain, set()).add(key)
        found.append(account)
    if new:
        Account.objects.bulk_create(sorted(new.values(), key=lambda a: a.domain), ignore_conflicts=True)
        for stored in Account.objects.filter(domain__in=list(new)):
            mine = new[stored.domain]
            mine.pk, mine.name, mine.created_at = stored.pk, stored.name, stored.created_at
            for key in FIRMOGRAPHICS:  # created by someone else meanwhile: it keeps what we do not say
                ours, theirs = getattr(mine, key), getattr(stored, key)
                if ours in (None, ""):
                    setattr(mine, key, theirs)
                elif ours != theirs:
                    dirty.setdefault(stored.domain, set()).add(key)
    if dirty:
        changed = sorted((existing.get(d) or new[d] for d in dirty), key=lambda a: a.pk)
        update_rows(changed, sorted(set().union(*dirty.values())))
    return found


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


def new_lead(*, email: str, campaign: Campaign | None, fields: dict[str, Any], now: dt.datetime,
             lead_types: Sequence[str] | None = None) -> Lead:
    """A new lead in memory, as ``lead_create`` makes it (a subscriber; no account yet): ``email`` normalised,
    ``fields`` editable ones (``None`` = not given). A ``lead_type`` given must be an active one (422
    ``unknown_lead_type``; ``lead_types``: the active codes, when the caller read them for a batch)."""
    if fields.get("lead_type") is not None:
        check_lead_type(fields["lead_type"], allowed=lead_types)
    lead = Lead(email=email, created_at=now, updated_at=now, first_campaign=campaign, latest_campaign=campaign,
                **{k: v for k, v in fields.items() if v is not None})
    if fields.get("company_domain"):
        lead.company_domain = normalise_domain(fields["company_domain"])
    lead.seniority = derive_seniority(lead.title)
    if not lead.source and campaign is not None:
        lead.source = campaign.channel
    return lead


def unknown_fields_error(fields: dict[str, Any]) -> RuleViolation | None:
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if not unknown:
        return None
    return RuleViolation(f"Unknown field(s): {', '.join(sorted(unknown))}.", code="unknown_field",
                         details={"fields": {name: "Unknown field." for name in unknown}})


def known_enough_to_be_a_lead(lead: Lead) -> bool:
    """A subscriber whose company or title is stated is a lead (the system makes that move).

    "Known" means stated: a company name or a title. An email at a company domain links the account
    but, alone, leaves a subscriber (a newsletter sign-up is not yet a lead)."""
    return lead.stage == Stage.SUBSCRIBER and bool(lead.company_name.strip() or lead.title.strip())


@transaction.atomic
def lead_create(
    *, email: str, campaign: Campaign | None = None, external_id: str | None = None, client: Any = None,
    **fields: Any,
) -> Lead:
    """Create a lead (a subscriber; a lead if company or title is known). Publishes ``lead.created``, and the
    move's events when the system's subscriber -> lead move applies: the new row is written already moved
    (``transition_in_memory``: the table's checks, the history row), as the bulk upsert writes it."""
    email = normalise_email(email)
    unknown = unknown_fields_error(fields)
    if unknown is not None:
        raise unknown
    now = clock.now()
    lead = new_lead(email=email, campaign=campaign, fields=fields, now=now)
    lead.account = account_for(email=email, company_domain=lead.company_domain, company_name=lead.company_name,
                               firmographics=_firmographics(fields))
    system = Actor.system()
    moved = transition_in_memory(lead, to=Stage.LEAD, actor=system, trigger="enriched", now=now) \
        if known_enough_to_be_a_lead(lead) else None
    try:
        with transaction.atomic():
            lead.save()
    except IntegrityError as exc:  # the lower(email) unique index: no read before (one query less per create)
        raise Conflict(f"Another lead already has the email {email}.", code="duplicate",
                       details={"fields": {"email": "Already used by another lead."}}) from exc
    if external_id and client is not None:
        try:
            with transaction.atomic():
                LeadExternalId.objects.create(lead=lead, client=client, external_id=external_id)
        except IntegrityError as exc:
            raise Conflict(f"external_id {external_id!r} is already used by another of your leads.",
                           code="duplicate", details={"fields": {"external_id": "Already used."}}) from exc
    if client is not None:
        link_client(client, [lead.pk], now=now, new=True)
    events.publish(events.DomainEvent("lead.created", now, lead.pk, {"stage": Stage.SUBSCRIBER}))
    if moved is not None:
        moved.lead = lead
        moved.save(force_insert=True)
        events.publish_many(move_events(lead, moved, actor=system))  # batch forms: one clock query, not three
    return lead


def link_client(client: Any, lead_ids: list[int], *, now: dt.datetime, new: bool = False) -> None:
    """Link an API client (role integrator) to leads it created or wrote to: it sees them from now on
    (``lifecycle.selectors.leads_visible_to``). Other callers see by role and get no links. ``new``: the leads
    were just created (no link can exist yet)."""
    if roles.role_of(client) != Role.INTEGRATOR or not lead_ids:
        return
    if not new:
        held = set(ClientLead.objects.filter(client=client, lead_id__in=lead_ids).values_list("lead_id", flat=True))
        lead_ids = [pk for pk in dict.fromkeys(lead_ids) if pk not in held]
        if not lead_ids:
            return
    insert_values(ClientLead, ("client", "lead", "created_at"), [(client.pk, pk, now) for pk in lead_ids],
                  on_conflict_nothing=not new)


def _promote_if_known(lead: Lead) -> Lead:
    """A subscriber whose company or title becomes known is a lead (``known_enough_to_be_a_lead``)."""
    if known_enough_to_be_a_lead(lead):
        return lead_transition(lead_id=lead.pk, to=Stage.LEAD, actor=Actor.system(), trigger="enriched").lead
    return lead


def apply_changes(lead: Lead, fields: dict[str, Any], *, now: dt.datetime,
                  lead_types: Sequence[str] | None = None) -> list[str]:
    """Set the editable ``fields`` (email already normalised and checked free) that differ on the lead, in
    memory, with what follows from them (seniority, ``updated_at``); returns the names that changed. The
    account, if ``ACCOUNT_FIELDS`` changed, is the caller's (``account_for`` or ``accounts_for_many``).
    A changed ``lead_type`` must be an active one (checked before anything is set); an unchanged retired one
    stays."""
    if "lead_type" in fields and fields["lead_type"] != lead.lead_type:
        check_lead_type(fields["lead_type"], allowed=lead_types)
    if fields.get("company_domain"):
        fields["company_domain"] = normalise_domain(fields["company_domain"])
    changed = [name for name, value in fields.items() if getattr(lead, name) != value]
    for name in changed:
        setattr(lead, name, fields[name])
    if "title" in changed:
        lead.seniority = derive_seniority(lead.title)
    if changed:
        lead.updated_at = now
    return changed


def account_wanted(lead: Lead, fields: dict[str, Any]) -> AccountWanted:
    """The account question for an edited lead: its (new) email and company, the firmographics just sent."""
    return AccountWanted(email=lead.email, company_domain=lead.company_domain, company_name=lead.company_name,
                         firmographics=_firmographics(fields))


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
    now = clock.now()
    changed = apply_changes(lead, fields, now=now)
    if not changed:
        return lead, []
    if ACCOUNT_FIELDS & set(changed):
        account = account_for(**vars(account_wanted(lead, fields)))
        lead.account = account if account is not None else lead.account
    lead.save()
    events.publish(events.DomainEvent("lead.updated", now, lead.pk, {"changed": changed}))
    return _promote_if_known(lead), changed
