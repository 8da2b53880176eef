"""My leads, notifications, the MQL queue and recycled leads."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import F, OuterRef, QuerySet, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse

from leadops import clock, roles
from leadops.csv_safety import safe_cell
from lifecycle import selectors
from lifecycle.forms import FILTER_LABELS, TouchForm
from lifecycle.models import Lead, SavedViewPage
from lifecycle.state_machine import Stage
from lifecycle.views.common import PAGE_SIZE, WORKING_STAGES, ClockState, _clocks_of, _span, _user, clock_state
from lifecycle.views.saved import panel_context
from sla.models import ClockStatus, SlaClock

# --- My leads (the rep's queue) --------------------------------------------------------------------------


@dataclass
class MyRow:
    lead: Lead
    clock: ClockState | None
    outcome: str = ""
    message: str = ""


def _my_rows(leads: list[Lead]) -> list[MyRow]:
    now = clock.now()
    clocks = _clocks_of(leads)
    return [MyRow(lead, clock_state(clocks.get(lead.pk), now)) for lead in leads]


def _my_row_response(request: HttpRequest, lead: Lead, outcome: str, message: str) -> HttpResponse:
    row = _my_rows([lead])[0]
    row.outcome, row.message = outcome, message
    return render(
        request,
        "lifecycle/_my_row.html",
        {"row": row, "required_attempts": selectors.cadence_required_attempts(), "touch_form": TouchForm()},
    )


@login_required
def my_leads(request: HttpRequest) -> HttpResponse:
    """The rep's open leads, the most urgent SLA first (due soonest; leads without an open clock last)."""
    user = _user(request)
    if not roles.works_own_leads(user):
        raise Http404("Not a page of yours.")
    next_due = (
        SlaClock.objects.filter(
            lead=OuterRef("pk"), stopped_at__isnull=True, status__in=[ClockStatus.RUNNING, ClockStatus.BREACHED]
        )
        .order_by("due_at")
        .values("due_at")[:1]
    )
    qs = (
        Lead.objects.filter(owner=user, stage__in=WORKING_STAGES)
        .select_related("latest_campaign", "account")
        .annotate(next_due=Subquery(next_due))
        .order_by(F("next_due").asc(nulls_last=True), "id")
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "lifecycle/my_leads.html",
        {
            "page": page,
            "rows": _my_rows(list(page.object_list)),
            "required_attempts": selectors.cadence_required_attempts(),
            "touch_form": TouchForm(),
        },
    )


# --- notifications (the bell) ----------------------------------------------------------------------------


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    from sla.selectors import notifications_for

    user = _user(request)
    if request.method == "POST":
        from sla.services import notification_mark_read

        changed = notification_mark_read(user=user)
        messages.success(request, f"Marked {changed} notification{'s' if changed != 1 else ''} read.")
        return redirect("lifecycle:notifications")
    qs = notifications_for(user).select_related("lead").order_by("-created_at", "-id")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "lifecycle/notifications.html", {"page": page})


# --- the MQL queue (marketing ops; managers see their teams) ----------------------------------------------


MQL_SORTS: dict[str, tuple[str, list[Any]]] = {
    # each order is served by an index on (stage, ...): lead_stage_became_mql, lead_stage_score
    "oldest": ("Oldest MQL first", [F("became_mql_at").asc(nulls_first=True), F("id").asc()]),
    "newest": ("Newest MQL first", [F("became_mql_at").desc(nulls_last=True), F("id").desc()]),
    "score": ("Highest score first", [F("score").desc(), F("id").desc()]),
}
MAX_PAGE = 400  # OFFSET pagination stops at 10,000 rows; narrow the filters to go further


def _mql_queryset(request: HttpRequest) -> tuple[Any, QuerySet[Lead], str]:
    """The MQLs the caller may see, filtered by the API's ``LeadFilter`` (one implementation) plus "Data
    incomplete" (``MqlQueueFilter``), and sorted."""
    from lifecycle.forms import MqlQueueFilter

    base = selectors.with_data_completeness(selectors.lead_list(_user(request)).filter(stage=Stage.MQL))
    params = request.GET.copy()
    for name in ("stage", "status"):  # this page is the MQL queue: the stage is not a filter here
        params.pop(name, None)
    filterset = MqlQueueFilter(params, queryset=base)
    sort = request.GET.get("sort", "oldest")
    if sort not in MQL_SORTS:
        sort = "oldest"
    qs = filterset.qs if filterset.is_valid() else base.none()
    return filterset, qs.order_by(*MQL_SORTS[sort][1]), sort


def _routing_state(lead: Lead) -> str:
    if lead.owner_id:
        return f"Routed to {lead.owner}"
    if lead.team_id:
        return f"In {lead.team} queue (unassigned)"
    return "Not routed"


@login_required
def mql_queue(request: HttpRequest) -> HttpResponse:
    from leadops.selectors import teams_visible_to
    from lifecycle.api.filters import SLA_STATUS_CHOICES
    from lifecycle.models import Campaign, Channel

    user = _user(request)
    if not roles.may_review_mql_queue(user):
        raise Http404("Not a page of yours.")
    filterset, qs, sort = _mql_queryset(request)
    try:
        number = min(max(int(request.GET.get("page", "1")), 1), MAX_PAGE)
    except ValueError:
        number = 1
    start = (number - 1) * PAGE_SIZE
    # a deferred join: the OFFSET walks ids only (an index), then the page's rows are read with their joins
    ids = list(qs.values_list("id", flat=True)[start : start + PAGE_SIZE + 1])
    has_next = len(ids) > PAGE_SIZE and number < MAX_PAGE
    ids = ids[:PAGE_SIZE]
    found = {lead.pk: lead for lead in selectors.lead_list(user).filter(pk__in=ids)} if ids else {}
    leads = [found[pk] for pk in ids if pk in found]
    selectors.mark_data_history(leads)
    now = clock.now()
    clocks = _clocks_of(leads)
    rows = [
        {
            "lead": lead,
            "clock": clock_state(clocks.get(lead.pk), now),
            "routing": _routing_state(lead),
            "age": _span(now - lead.became_mql_at) if lead.became_mql_at else "—",
            "missing": selectors.missing_data(lead),
        }
        for lead in leads
    ]
    query = request.GET.copy()
    query.pop("page", None)
    filters = query.copy()  # what "Save view" keeps: the filters and sort, not the view marker
    filters.pop("view", None)
    return render(
        request,
        "lifecycle/mql_queue.html",
        {
            "rows": rows,
            "filterset": filterset,
            "errors": {FILTER_LABELS.get(name, name): errs for name, errs in filterset.errors.items()},
            "sort": sort,
            "sorts": [(key, label) for key, (label, _) in MQL_SORTS.items()],
            "channels": Channel.choices,
            "campaigns": Campaign.objects.order_by("name").values_list("id", "name")[:500],
            "teams": teams_visible_to(user).filter(kind="sales").order_by("name").values_list("id", "name"),
            "sla_states": SLA_STATUS_CHOICES,
            "values": request.GET,
            "number": number,
            "has_next": has_next,
            "query": query.urlencode(),
            **panel_context(request, SavedViewPage.MQL_QUEUE, query=filters.urlencode(),
                            active_id=request.GET.get("view", "")),
        },
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


@login_required
def mql_queue_csv(request: HttpRequest) -> HttpResponseBase:
    """The current filter and sort as CSV, streamed in chunks (no page limit)."""
    import csv

    from django.http import StreamingHttpResponse

    user = _user(request)
    if not roles.may_review_mql_queue(user):
        raise Http404("Not a page of yours.")
    filterset, qs, _ = _mql_queryset(request)
    if not filterset.is_valid():
        messages.error(request, "Fix the filters before exporting.")
        return redirect(f"{reverse('lifecycle:mql_queue')}?{request.GET.urlencode()}")
    header = [
        "id",
        "email",
        "first_name",
        "last_name",
        "company",
        "title",
        "score",
        "fit_score",
        "behaviour_score",
        "high_intent",
        "source",
        "campaign",
        "team",
        "owner",
        "became_mql_at",
    ]
    rows = qs.values_list(
        "id",
        "email",
        "first_name",
        "last_name",
        "company_name",
        "title",
        "score",
        "fit_score",
        "behaviour_score",
        "high_intent",
        "source",
        "latest_campaign__name",
        "team__name",
        "owner__username",
        "became_mql_at",
    )
    writer = csv.writer(_Echo())

    def lines() -> Any:
        yield writer.writerow(header)
        for row in rows.iterator(chunk_size=2000):
            yield writer.writerow([safe_cell(v.isoformat() if isinstance(v, dt.datetime) else v) for v in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="mql-queue.csv"'
    return response


# --- recycled leads (marketing ops): what sales sent back, with reasons, by campaign ----------------------


SENT_BACK_TRIGGERS = ("reject", "recycle", "disqualify")
RECYCLED_PERIODS = {"7": 7, "30": 30, "90": 90}


RECYCLED_SUMMARY_TTL = 300


def _recycled_summary(sent_back: QuerySet[Any], days: int) -> list[dict[str, Any]]:
    """Counts by campaign, reason and decision: one join to the lead per sent-back move (~180 ms for 90 days
    at 1M leads), so cached until sales sends another lead back (the newest such move's id is in the key) or
    for five minutes (the period's start moves on)."""
    from django.core.cache import cache
    from django.db.models import Count

    # the newest sent-back move per stage: a backward walk of transition_to_time, bounded by the period
    newest = [sent_back.filter(to_stage=stage).order_by("-occurred_at", "-id").values_list("id", flat=True).first()
              for stage in (Stage.NURTURE, Stage.DISQUALIFIED)]
    key = f"lifecycle:recycled-summary:{days}:{newest[0]}:{newest[1]}"
    found = cache.get(key)
    if found is None:
        found = list(
            sent_back.values("lead__latest_campaign__name", "reason__label", "trigger")
            .annotate(n=Count("id"))
            .order_by("-n", "lead__latest_campaign__name")[:50]
        )
        cache.set(key, found, RECYCLED_SUMMARY_TTL)
    return list(found)


@login_required
def recycled(request: HttpRequest) -> HttpResponse:
    """Rejections, recycles and disqualifications of a period (the ``transition_to_time`` index), counted by
    campaign and reason, and listed newest first."""
    from lifecycle.models import StageTransition

    if not roles.may_see_recycled(_user(request)):
        raise Http404("Not a page of yours.")
    days_key = request.GET.get("days", "30")
    days = RECYCLED_PERIODS.get(days_key, 30)
    since = clock.now() - dt.timedelta(days=days)
    sent_back = StageTransition.objects.filter(
        to_stage__in=[Stage.NURTURE, Stage.DISQUALIFIED], occurred_at__gte=since, trigger__in=SENT_BACK_TRIGGERS
    )
    summary = _recycled_summary(sent_back, days)
    try:
        number = min(max(int(request.GET.get("page", "1")), 1), MAX_PAGE)
    except ValueError:
        number = 1
    start = (number - 1) * PAGE_SIZE
    items = list(
        sent_back.select_related("lead", "lead__latest_campaign", "reason", "actor").order_by("-occurred_at", "-id")[
            start : start + PAGE_SIZE + 1
        ]
    )
    return render(
        request,
        "lifecycle/recycled.html",
        {
            "summary": summary,
            "items": items[:PAGE_SIZE],
            "has_next": len(items) > PAGE_SIZE,
            "number": number,
            "days": days,
            "periods": RECYCLED_PERIODS,
        },
    )
