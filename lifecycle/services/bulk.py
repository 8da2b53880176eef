"""Bulk upsert of leads (``POST /leads/bulk/``): up to 1,000 items keyed by the client's external id or email.

Set-based: the batch is validated (by the caller) and deduplicated here, then written with a few statements
whatever its size (docs/api-integrators.md, "Bulk upsert"; figures in docs/performance.md):

1. find the existing leads: the client's external ids (one query), the leads by id or email, locked in id
   order (one query), the emails of new leads already taken by a lead the caller may not see (one query);
2. decide every item in memory with the same helpers the one-lead services use (``new_lead``,
   ``apply_changes``, ``known_enough_to_be_a_lead``) and the transition table itself
   (``transition_in_memory``: the subscriber -> lead move of a lead whose company or title is known);
3. write: accounts (``accounts_for_many``), one INSERT of the new leads, one UPDATE of the changed ones, one
   INSERT each of the history rows, external ids and client links;
4. publish the batch's domain events at once (``events.publish_many``): in-transaction subscribers with a
   batch form (the webhook outbox, the SLA clocks) run once per batch, and after commit scoring enqueues
   one task per 250 leads (``events.subscribe_batch``).

Everything runs in one transaction. If the set-based write meets a conflict it cannot decide in memory (a
lead or account created concurrently with the same email or external id, a deadlock), its savepoint is
rolled back and the batch is written again item by item, one savepoint per item, through ``lead_create`` /
``lead_update`` (the slow path: same results, conflicts become per-item errors).

Results, in the order of the items: ``{"index", "status": created/updated/unchanged/error, "id", "errors"}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Q
from django.db.models.functions import Lower

from leadops import clock, events, roles
from leadops.errors import DomainError
from leadops.models import User
from leadops.roles import Role
from lifecycle import selectors
from lifecycle.models import Lead, LeadExternalId, StageTransition
from lifecycle.services.leads import (
    ACCOUNT_FIELDS,
    EDITABLE_FIELDS,
    AccountWanted,
    account_wanted,
    accounts_for_many,
    apply_changes,
    known_enough_to_be_a_lead,
    lead_create,
    lead_update,
    link_client,
    new_lead,
    normalise_domain,
    normalise_email,
)
from lifecycle.services.rows import insert_rows, insert_values, update_rows
from lifecycle.services.transitions import Actor, move_events, transition_in_memory
from lifecycle.state_machine import Stage


@dataclass
class BulkItem:
    """One item: its validated values, or the errors validation found (``{"code", "message", "details"}``)."""

    values: dict[str, Any] | None = None
    errors: dict[str, Any] | None = None


def _error(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"code": code, "message": message, "details": details or {}}


def _result(index: int, status: str, lead_id: int | None = None,
            errors: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"index": index, "status": status, "id": lead_id, "errors": errors}


def _domain_error(index: int, exc: DomainError) -> dict[str, Any]:
    return _result(index, "error", errors=_error(exc.code, exc.message, exc.details))


def _comparable(lead: Lead, name: str, value: Any) -> bool:
    """Whether ``value`` differs from the lead's ``name`` (normalised like the services store it)."""
    if name == "company_domain" and value:
        value = normalise_domain(value)
    current = getattr(lead, name)
    if value is None:
        return False  # null never overwrites: an omitted fact
    if name == "email":  # the key is case-insensitive; a different case is the same address
        return str(current).lower() != str(value).lower()
    return current != value


@dataclass
class _Todo:
    index: int
    values: dict[str, Any]
    external_id: str | None = None
    lead: Lead | None = None  # the existing lead it names; None: a create
    events: list[events.DomainEvent] = field(default_factory=list)


def leads_bulk_upsert(*, client: User, items: list[BulkItem]) -> list[dict[str, Any]]:
    results: list[dict[str, Any] | None] = [None] * len(items)
    todo = _dedupe(items, results)
    with transaction.atomic(), events.batch():
        try:
            with transaction.atomic():
                _write_set(client, todo, results)
        except (IntegrityError, OperationalError):  # a concurrent writer; decided again item by item
            for item in todo:
                results[item.index] = None
            _write_each(client, todo, results)
    return [r for r in results if r is not None]


def _dedupe(items: list[BulkItem], results: list[dict[str, Any] | None]) -> list[_Todo]:
    """Normalise the emails and drop the second of two items with the same key (the first wins)."""
    seen_external: dict[str, int] = {}
    seen_email: dict[str, int] = {}
    todo: list[_Todo] = []
    for index, item in enumerate(items):
        if item.errors is not None or item.values is None:
            results[index] = _result(index, "error", errors=item.errors)
            continue
        values = dict(item.values)
        try:
            values["email"] = normalise_email(values["email"])
        except DomainError as exc:
            results[index] = _domain_error(index, exc)
            continue
        external_id = values.pop("external_id", None) or None
        email_key = values["email"].lower()
        first = seen_external.get(external_id) if external_id else None
        if first is None:
            first = seen_email.get(email_key)
        if first is not None:
            results[index] = _result(index, "error", errors=_error(
                "duplicate_in_batch", f"Item {first} of this batch has the same external_id or email.",
                {"first_index": first}))
            continue
        if external_id:
            seen_external[external_id] = index
        seen_email[email_key] = index
        todo.append(_Todo(index, values, external_id))
    return todo


def _find(client: User, todo: list[_Todo], results: list[dict[str, Any] | None], *, lock: bool
          ) -> tuple[list[_Todo], set[int]]:
    """Attach the existing lead each item names (by the client's external id, else email); items whose
    external id names a lead the client no longer sees get ``not_found``. Returns the items to write and the
    ids of the leads the client already holds an external id for."""
    by_external = dict(LeadExternalId.objects.filter(
        client=client, external_id__in=[t.external_id for t in todo if t.external_id])
        .values_list("external_id", "lead_id"))
    emails = [t.values["email"].lower() for t in todo]
    # An API client reaches any lead by its email (and is linked to it, docs/api-integrators.md); other roles
    # only the leads their role sees.
    searched = Lead.objects.all() if roles.role_of(client) == Role.INTEGRATOR else selectors.leads_visible_to(client)
    query = searched.alias(email_ci=Lower("email")).filter(
        Q(email_ci__in=emails) | Q(pk__in=list(by_external.values()))).order_by("pk")
    if lock:
        query = query.select_for_update(of=("self",))
    leads = {lead.pk: lead for lead in query}
    by_email = {lead.email.lower(): lead for lead in leads.values()}
    has_external = set(LeadExternalId.objects.filter(client=client, lead_id__in=list(leads))
                       .values_list("lead_id", flat=True)) if leads else set()
    kept: list[_Todo] = []
    for item in todo:
        item.lead = None
        if item.external_id and item.external_id in by_external:
            item.lead = leads.get(by_external[item.external_id])
            if item.lead is None:  # the client's id names a lead it can no longer see
                results[item.index] = _result(item.index, "error", errors=_error("not_found", "Not found."))
                continue
        if item.lead is None:
            item.lead = by_email.get(item.values["email"].lower())
        kept.append(item)
    return kept, has_external


def _write_set(client: User, todo: list[_Todo], results: list[dict[str, Any] | None]) -> None:
    now = clock.now()
    system = Actor.system()
    todo, has_external = _find(client, todo, results, lock=True)
    creates = [t for t in todo if t.lead is None]
    updates = [t for t in todo if t.lead is not None]

    # emails of new leads that a lead the caller may not see already has (other roles than API clients)
    taken: set[str] = set()
    if creates and roles.role_of(client) != Role.INTEGRATOR:
        taken = set(Lead.objects.annotate(email_ci=Lower("email"))
                    .filter(email_ci__in=[t.values["email"].lower() for t in creates])
                    .values_list("email_ci", flat=True))
    # emails that updates change to: taken by another lead?
    moving = {t.values["email"].lower(): t for t in updates
              if t.lead is not None and _comparable(t.lead, "email", t.values["email"])}
    taken_by_other = {email: pk for email, pk in Lead.objects.annotate(email_ci=Lower("email"))
                      .filter(email_ci__in=list(moving)).values_list("email_ci", "pk")} if moving else {}

    lead_types = selectors.active_lead_type_codes()  # once per batch: every item's lead_type is checked on it
    new_leads: list[tuple[_Todo, Lead]] = []
    changed_leads: list[tuple[_Todo, Lead, list[str], bool]] = []
    attach: list[tuple[_Todo, Lead]] = []
    wanted: list[AccountWanted] = []
    account_of: list[Lead] = []
    for item in todo:
        values = dict(item.values)
        campaign = values.pop("campaign", None)
        if item.lead is None:
            email = values.pop("email")
            if email.lower() in taken:
                results[item.index] = _result(item.index, "error", errors=_error(
                    "duplicate", f"Another lead already has the email {email}.",
                    {"fields": {"email": "Already used by another lead."}}))
                continue
            try:
                lead = new_lead(email=email, campaign=campaign, fields=values, now=now, lead_types=lead_types)
            except DomainError as exc:  # an unknown or retired lead_type: as lead_create refuses it
                results[item.index] = _domain_error(item.index, exc)
                continue
            wanted.append(AccountWanted(email=email, company_domain=lead.company_domain,
                                        company_name=lead.company_name, firmographics=_firmographics(values)))
            account_of.append(lead)
            new_leads.append((item, lead))
            continue
        lead = item.lead
        fields = {k: v for k, v in values.items() if k in EDITABLE_FIELDS and _comparable(lead, k, v)}
        other = taken_by_other.get(fields["email"].lower()) if "email" in fields else None
        if other is not None and other != lead.pk:
            results[item.index] = _result(item.index, "error", errors=_error(
                "duplicate", f"Another lead already has the email {fields['email']}.",
                {"fields": {"email": "Already used by another lead."}, "lead": other}))
            continue
        try:
            names = apply_changes(lead, fields, now=now, lead_types=lead_types)
        except DomainError as exc:  # as lead_update refuses it (checked before the lead is changed)
            results[item.index] = _domain_error(item.index, exc)
            continue
        if ACCOUNT_FIELDS & set(names):
            wanted.append(account_wanted(lead, fields))
            account_of.append(lead)
        is_attach = bool(item.external_id) and lead.pk not in has_external
        if is_attach:
            attach.append((item, lead))
            has_external.add(lead.pk)
        changed_leads.append((item, lead, names, is_attach))

    # accounts, in item order (the last firmographics win); an edited lead without one keeps its account
    for lead, account in zip(account_of, accounts_for_many(wanted), strict=True):
        if account is not None or lead.pk is None:
            lead.account = account

    # the subscriber -> lead move of the table for leads whose company or title is known
    transitions: list[tuple[_Todo, Lead, StageTransition]] = []
    for item, lead in new_leads:
        moved = transition_in_memory(lead, to=Stage.LEAD, actor=system, trigger="enriched", now=now) \
            if known_enough_to_be_a_lead(lead) else None
        if moved is not None:
            transitions.append((item, lead, moved))
    stage_names: set[str] = set()
    for item, lead, names, _ in changed_leads:
        if names and known_enough_to_be_a_lead(lead):
            stored_stage = _stage_columns(lead)
            moved = transition_in_memory(lead, to=Stage.LEAD, actor=system, trigger="enriched", now=now)
            if moved is not None:
                stage_names |= {k for k, v in _stage_columns(lead).items() if stored_stage[k] != v}
                transitions.append((item, lead, moved))

    insert_rows([lead for _, lead in new_leads])
    to_save = [(lead, names) for _, lead, names, _ in changed_leads if names]
    if to_save:
        columns = set().union(*(names for _, names in to_save)) | {"updated_at"} | stage_names
        if "title" in columns:
            columns.add("seniority")
        if ACCOUNT_FIELDS & columns:
            columns.add("account")
        update_rows(list({lead.pk: lead for lead, _ in to_save}.values()), sorted(columns))
    for _, _, moved in transitions:
        moved.lead_id = moved.lead.pk
    insert_rows([moved for _, _, moved in transitions])
    insert_values(LeadExternalId, ("lead", "client", "external_id"),
                  [(lead.pk, client.pk, item.external_id) for item, lead in [*new_leads, *attach] if item.external_id])
    link_client(client, [lead.pk for _, lead in new_leads], now=now, new=True)
    link_client(client, [lead.pk for _, lead, _, _ in changed_leads], now=now)

    # the domain events, item by item in order (each lead's own in the order lead_create / lead_update give)
    for item, lead in new_leads:
        item.events.append(events.DomainEvent("lead.created", now, lead.pk, {"stage": Stage.SUBSCRIBER}))
    for item, lead, names, _ in changed_leads:
        if names:
            item.events.append(events.DomainEvent("lead.updated", now, lead.pk, {"changed": names}))
    for item, lead, moved in transitions:
        item.events.extend(move_events(lead, moved, actor=system))
    events.publish_many([event for item in todo for event in item.events])

    for item, lead in new_leads:
        results[item.index] = _result(item.index, "created", lead.pk)
    for item, lead, names, is_attach in changed_leads:
        results[item.index] = _result(item.index, "updated" if names or is_attach else "unchanged", lead.pk)


def _stage_columns(lead: Lead) -> dict[str, Any]:
    return {"stage": lead.stage, "status": lead.status, "became_lead_at": lead.became_lead_at,
            "transition_count": lead.transition_count, "high_intent": lead.high_intent}


def _firmographics(values: dict[str, Any]) -> dict[str, Any]:
    return {"industry": values.get("industry"), "employee_count": values.get("employee_count"),
            "country": values.get("country")}


# --- the slow path: one item at a time, one savepoint each -------------------------------------------------


def _write_each(client: User, todo: list[_Todo], results: list[dict[str, Any] | None]) -> None:
    todo, has_external = _find(client, todo, results, lock=False)
    for item in todo:
        item.events.clear()
        try:
            with transaction.atomic():
                results[item.index] = _upsert_one(item, client, has_external)
        except DomainError as exc:
            results[item.index] = _domain_error(item.index, exc)
        except IntegrityError:
            results[item.index] = _result(item.index, "error", errors=_error(
                "conflict", "The lead was changed concurrently; retry the item."))


def _upsert_one(item: _Todo, client: User, has_external: set[int]) -> dict[str, Any]:
    values = dict(item.values)
    campaign = values.pop("campaign", None)
    lead = item.lead
    if lead is None:
        created = lead_create(client=client, external_id=item.external_id, campaign=campaign, **values)
        return _result(item.index, "created", created.pk)
    fields = {k: v for k, v in values.items() if k in EDITABLE_FIELDS}
    changed = {k: v for k, v in fields.items() if _comparable(lead, k, v)}
    attach = bool(item.external_id) and lead.pk not in has_external
    names: list[str] = []
    if changed:
        _, names = lead_update(lead_id=lead.pk, fields=changed)
    if attach and item.external_id:
        LeadExternalId.objects.create(lead=lead, client=client, external_id=item.external_id)
        has_external.add(lead.pk)
    link_client(client, [lead.pk], now=clock.now())
    return _result(item.index, "updated" if names or attach else "unchanged", lead.pk)
