"""The SAL review queue (sales managers)."""


from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from leadops import clock, roles
from leadops.errors import Conflict, DomainError
from leadops.models import User
from leadops.selectors import managed_team_ids
from lifecycle import selectors, services
from lifecycle.forms import (
    AcceptForm,
    RejectForm,
    reason_choices,
)
from lifecycle.models import DispositionKind, Lead
from lifecycle.services import Actor
from lifecycle.state_machine import Stage
from lifecycle.views.common import (
    GONE,
    MAX_BULK,
    PAGE_SIZE,
    STALE,
    ClockState,
    _clocks_of,
    _is_htmx,
    _label,
    _lead_for_action,
    _stage_text,
    _user,
    active_reps,
    clock_state,
)

# --- the SAL review queue --------------------------------------------------------------------------------


@dataclass
class SalRow:
    lead: Lead
    clock: ClockState | None
    owners: list[User]
    outcome: str = ""  # done, stale, error
    message: str = ""


def _parse_cursor(raw: str) -> tuple[dt.datetime, int] | None:
    try:
        at, _, pk = raw.partition("_")
        return dt.datetime.fromisoformat(at), int(pk)
    except ValueError:
        return None


def _sal_rows(leads: list[Lead], team_ids: list[int]) -> list[SalRow]:
    now = clock.now()
    clocks = _clocks_of(leads, "sal_review")
    by_team: dict[int | None, list[User]] = defaultdict(list)
    for rep in active_reps(team_ids):
        by_team[rep.team_id].append(rep)
    return [SalRow(lead, clock_state(clocks.get(lead.pk), now), by_team.get(lead.team_id, [])) for lead in leads]


@login_required
def sal_review(request: HttpRequest) -> HttpResponse:
    """MQLs routed to the manager's teams, oldest first, keyset-paginated on (became_mql_at, id)."""
    user = _user(request)
    if not roles.may_review_sal(user):
        raise Http404("Not a page of yours.")
    team_ids = managed_team_ids(user)
    qs = (Lead.objects.filter(stage=Stage.MQL, team_id__in=team_ids)
          .select_related("owner", "team", "latest_campaign").order_by("became_mql_at", "id"))
    cursor = _parse_cursor(request.GET.get("after", ""))
    if cursor is not None:
        at, pk = cursor
        qs = qs.filter(became_mql_at__gte=at).exclude(became_mql_at=at, id__lte=pk)
    leads = list(qs[:PAGE_SIZE + 1])
    next_cursor = ""
    if len(leads) > PAGE_SIZE:
        leads = leads[:PAGE_SIZE]
        last = leads[-1]
        assert last.became_mql_at is not None
        next_cursor = f"{last.became_mql_at.isoformat()}_{last.pk}"
    return render(request, "lifecycle/sal_review.html", {
        "rows": _sal_rows(leads, team_ids),
        "rejection_reasons": reason_choices(DispositionKind.REJECTION),
        "next_cursor": next_cursor,
        "first_page": cursor is None,
    })


def _sal_row_response(request: HttpRequest, lead_id: int, outcome: str, message: str) -> HttpResponse:
    if not _is_htmx(request):
        {"done": messages.success, "stale": messages.warning}.get(outcome, messages.error)(request, message)
        return redirect("lifecycle:sal_review")
    user = _user(request)
    lead = selectors.lead_detail(user, lead_id)
    if lead is None:  # decided, and meanwhile routed away from the manager's teams
        return render(request, "lifecycle/_gone_row.html", {"lead_id": lead_id, "message": f"{message} {GONE}"})
    row = _sal_rows([lead], managed_team_ids(user))[0]
    row.outcome, row.message = outcome, message
    return render(request, "lifecycle/_sal_row.html", {
        "row": row, "rejection_reasons": reason_choices(DispositionKind.REJECTION)})


def _decide(request: HttpRequest, lead: Lead, action: str, data: dict[str, Any]) -> tuple[str, str]:
    """Accept or reject one MQL for the SAL queue; returns (outcome, message)."""
    user = _user(request)
    name = lead.email
    if action == "accept":
        form: forms.Form = AcceptForm(data, owners=active_reps(managed_team_ids(user)))
    else:
        form = RejectForm(data)
    if not form.is_valid():
        errors = "; ".join(f"{_label(form, f)}: {' '.join(e)}".lstrip(": ") for f, e in form.errors.items())
        return "error", f"{name}: {errors}"
    try:
        if action == "accept":
            result = services.lead_accept(lead_id=lead.pk, actor=Actor.of(user), owner=form.cleaned_data["owner"],
                                          expected_stage=form.cleaned_data["expected_stage"])
            return "done", f"Accepted {name}: {_stage_text(result.lead)}."
        result = services.lead_reject(lead_id=lead.pk, actor=Actor.of(user), reason_code=form.cleaned_data["reason"],
                                      note=form.cleaned_data["note"],
                                      expected_stage=form.cleaned_data["expected_stage"])
        return "done", f"Rejected {name}: {_stage_text(result.lead)}."
    except Conflict as exc:
        fresh = selectors.lead_detail(user, lead.pk)
        state = _stage_text(fresh) if fresh is not None else "no longer in your queue"
        if exc.code in ("stale", "concurrent_change", "already_in_stage"):
            return "stale", f"{STALE}: {name} is {state}."
        return "error", f"{name}: {exc.message}"
    except DomainError as exc:
        return "error", f"{name}: {exc.message}"


@login_required
@require_POST
def sal_decide(request: HttpRequest, lead_id: int, action: str) -> HttpResponse:
    if not roles.may_review_sal(_user(request)) or action not in ("accept", "reject"):
        raise Http404("Not a page of yours.")
    lead = _lead_for_action(request, lead_id)
    if lead is None:  # the page showed it, but it left the manager's teams meanwhile
        if not _is_htmx(request):
            messages.warning(request, GONE)
            return redirect("lifecycle:sal_review")
        return render(request, "lifecycle/_gone_row.html", {"lead_id": lead_id, "message": GONE})
    outcome, message = _decide(request, lead, action, request.POST.dict())
    return _sal_row_response(request, lead_id, outcome, message)


@login_required
@require_POST
def sal_bulk(request: HttpRequest) -> HttpResponse:
    """Accept (keeping each routed owner) or reject (one reason) the checked rows, each in its own transaction."""
    user = _user(request)
    if not roles.may_review_sal(user):
        raise Http404("Not a page of yours.")
    action = request.POST.get("bulk_action", "")
    ids = [int(v) for v in request.POST.getlist("lead") if v.isdigit()][:MAX_BULK]
    if action not in ("accept", "reject") or not ids:
        messages.error(request, "Check at least one lead, then choose Accept selected or Reject selected.")
        return redirect("lifecycle:sal_review")
    data = {"expected_stage": Stage.MQL, "reason": request.POST.get("bulk_reason", ""),
            "note": request.POST.get("bulk_note", "")}
    if action == "reject" and not data["reason"]:
        messages.error(request, "Choose a Reason for the selected leads.")
        return redirect("lifecycle:sal_review")
    done = 0
    leads = list(selectors.leads_visible_to(user).filter(pk__in=ids).order_by("id"))
    gone = len(set(ids) - {lead.pk for lead in leads})
    if gone:
        messages.warning(request, f"{STALE}: {gone} of the selected leads {'is' if gone == 1 else 'are'} no longer "
                                  "in your teams' queue (reassigned, or routed to another team).")
    for lead in leads:
        outcome, message = _decide(request, lead, action, data)
        if outcome == "done":
            done += 1
        else:
            (messages.warning if outcome == "stale" else messages.error)(request, message)
    verb = "Accepted" if action == "accept" else "Rejected"
    messages.success(request, f"{verb} {done} of {len(ids)} selected lead{'s' if len(ids) != 1 else ''}.")
    return redirect("lifecycle:sal_review")
