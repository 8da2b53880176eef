"""Bulk upsert of leads (``POST /leads/bulk/``): up to 1,000 items keyed by the client's external id or email.

One transaction for the batch and a savepoint per item, so good items land when others fail. Existing leads
are found with two queries for the whole batch (the client's external ids, then the emails); each item then
goes through the one implementation of the rules (``lead_create`` / ``lead_update``). The domain events of
the batch are dispatched together after commit (``events.batch()``), so scoring gets one task per few
hundred leads (``scoring.tasks.rescore_leads``) and routing follows from scoring's ``lead.mql``.

Results, in the order of the items: ``{"index", "status": created/updated/unchanged/error, "id", "errors"}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower

from leadops import events
from leadops.errors import DomainError
from leadops.models import User
from lifecycle import selectors
from lifecycle.models import Lead, LeadExternalId
from lifecycle.services.leads import EDITABLE_FIELDS, lead_create, lead_update, normalise_domain, normalise_email


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


def leads_bulk_upsert(*, client: User, items: list[BulkItem]) -> list[dict[str, Any]]:
    results: list[dict[str, Any] | None] = [None] * len(items)
    # 1. normalise and dedupe within the batch (the first occurrence wins)
    seen_external: dict[str, int] = {}
    seen_email: dict[str, int] = {}
    todo: list[tuple[int, dict[str, Any]]] = []
    for index, item in enumerate(items):
        if item.errors is not None or item.values is None:
            results[index] = _result(index, "error", errors=item.errors)
            continue
        values = dict(item.values)
        try:
            values["email"] = normalise_email(values["email"])
        except DomainError as exc:
            results[index] = _result(index, "error", errors=_error(exc.code, exc.message, exc.details))
            continue
        external_id = values.get("external_id")
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
        todo.append((index, values))

    # 2. the existing leads, in two queries for the batch (only leads the client may see)
    visible = selectors.leads_visible_to(client)
    by_external = dict(
        LeadExternalId.objects.filter(client=client, external_id__in=list(seen_external))
        .values_list("external_id", "lead_id"))
    leads = {lead.pk: lead for lead in visible.filter(pk__in=list(by_external.values()))}
    for found in visible.annotate(email_ci=Lower("email")).filter(email_ci__in=list(seen_email)):
        leads[found.pk] = found
    by_email = {lead.email.lower(): lead for lead in leads.values()}
    has_external = set(LeadExternalId.objects.filter(client=client, lead_id__in=list(leads))
                       .values_list("lead_id", flat=True))

    # 3. one savepoint per item inside one transaction; events dispatched together after commit
    with transaction.atomic(), events.batch():
        for index, values in todo:
            external_id = values.pop("external_id", None)
            lead: Lead | None = None
            if external_id and external_id in by_external:
                lead = leads.get(by_external[external_id])
                if lead is None:  # the client's id names a lead it can no longer see
                    results[index] = _result(index, "error", errors=_error("not_found", "Not found."))
                    continue
            if lead is None:
                lead = by_email.get(values["email"].lower())
            try:
                with transaction.atomic():
                    results[index] = _upsert_one(index, client, lead, external_id, values, has_external)
            except DomainError as exc:
                results[index] = _result(index, "error", errors=_error(exc.code, exc.message, exc.details))
            except IntegrityError:
                results[index] = _result(index, "error", errors=_error(
                    "conflict", "The lead was changed concurrently; retry the item."))
    return [r for r in results if r is not None]


def _upsert_one(index: int, client: User, lead: Lead | None, external_id: str | None, values: dict[str, Any],
                has_external: set[int]) -> dict[str, Any]:
    campaign = values.pop("campaign", None)
    if lead is None:
        created = lead_create(client=client, external_id=external_id, campaign=campaign, **values)
        return _result(index, "created", created.pk)
    fields = {k: v for k, v in values.items() if k in EDITABLE_FIELDS}
    changed = {k: v for k, v in fields.items() if _comparable(lead, k, v)}
    attach = bool(external_id) and lead.pk not in has_external
    if not changed and not attach:
        return _result(index, "unchanged", lead.pk)
    names: list[str] = []
    if changed:
        _, names = lead_update(lead_id=lead.pk, fields=changed)
    if attach and external_id:
        LeadExternalId.objects.create(lead=lead, client=client, external_id=external_id)
        has_external.add(lead.pk)
    return _result(index, "updated" if names or attach else "unchanged", lead.pk)
