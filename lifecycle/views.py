"""The browser workspace (issue 8): the SAL review queue, the lead page, "My leads", notifications.

HTML views call the same services and selectors as the API: the transition table (``moves_from``) and
the services' own role rules decide which buttons exist and what happens. Errors from the services
become messages on the page (a stale page gets "this lead changed since you opened it" and the fresh
state), never a 500. Lists are paginated in the database.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import F, OuterRef, QuerySet, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from leadops import clock, roles
from leadops.errors import Conflict, DomainError, RuleViolation
from leadops.models import User
from leadops.roles import Role
from leadops.selectors import managed_team_ids
from lifecycle import selectors, services
from lifecycle.forms import (
    ACTION_FORMS,
    AcceptForm,
    RejectForm,
    TouchForm,
    reason_choices,
)
from lifecycle.models import DispositionKind, Lead
from lifecycle.services import Actor
from lifecycle.services.transitions import acting_as
from lifecycle.state_machine import Stage, moves_from
from sla.models import ClockStatus, SlaClock

PAGE_SIZE = 25
MAX_BULK = 100
WORKING_STAGES = (Stage.MQL, Stage.SAL, Stage.SQL, Stage.OPPORTUNITY)
STALE = "This lead changed since you opened it"
TOUCH_IDS: dict[str, Any] = {"auto_id": "touch_%s", "label_suffix": ""}


# --- small readers ---------------------------------------------------------------------------------------


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def active_reps(team_ids: list[int]) -> QuerySet[User]:
    """Who a manager may hand a lead to: active sales reps of these teams (``selectors.may_own``)."""
    return (User.objects.filter(role=Role.SALES_REP, is_active=True, team_id__in=team_ids)
            .exclude(rep_profile__active=False).order_by("first_name", "last_name", "username"))


def _span(delta: dt.timedelta) -> str:
    minutes = max(int(delta.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {mins} min"
    return f"{mins} min"


@dataclass(frozen=True)
class ClockState:
    """One SLA clock as a person reads it: a word (never colour alone), time left or overdue, and why."""

    clock: SlaClock
    state: str  # on_time, at_risk, breached, met, cancelled
    label: str
    detail: str
    why: str

    @property
    def kind_label(self) -> str:
        return self.clock.kind.replace("_", " ")


def clock_state(c: SlaClock | None, now: dt.datetime) -> ClockState | None:
    if c is None:
        return None
    why = str((c.explanation or {}).get("text", ""))
    overdue = c.stopped_at is None and (c.status == ClockStatus.BREACHED
                                        or (c.status == ClockStatus.RUNNING and c.due_at <= now))
    if overdue:
        return ClockState(c, "breached", "Breached", f"{_span(now - c.due_at)} overdue", why)
    if c.status == ClockStatus.BREACHED:
        return ClockState(c, "breached", "Breached", "stopped late", why)
    if c.status == ClockStatus.MET:
        return ClockState(c, "met", "Met", "", why)
    if c.status == ClockStatus.CANCELLED:
        return ClockState(c, "cancelled", "Cancelled", "", why)
    if c.warn_at <= now:
        return ClockState(c, "at_risk", "At risk", f"{_span(c.due_at - now)} left", why)
    return ClockState(c, "on_time", "On time", f"{_span(c.due_at - now)} left", why)


def _clocks_of(leads: list[Lead], kind: str | None = None) -> dict[int, SlaClock]:
    """The current cycle's clock per lead (of ``kind``, or the soonest open one): one query."""
    qs = SlaClock.objects.filter(lead_id__in=[lead.pk for lead in leads])
    if kind is not None:
        qs = qs.filter(kind=kind)
    else:
        qs = qs.filter(stopped_at__isnull=True, status__in=[ClockStatus.RUNNING, ClockStatus.BREACHED])
    cycles = {lead.pk: lead.recycle_count for lead in leads}
    found: dict[int, SlaClock] = {}
    for c in qs.order_by("due_at", "id"):
        if c.cycle == cycles[c.lead_id] and c.lead_id not in found:
            found[c.lead_id] = c
    return found


def _visible_lead(request: HttpRequest, lead_id: int) -> Lead:
    lead = selectors.lead_detail(_user(request), lead_id)
    if lead is None:
        raise Http404("No such lead.")
    return lead


def _stage_text(lead: Lead) -> str:
    text = f"now {lead.get_stage_display()}"
    if lead.owner_id and lead.owner:
        text += f", owned by {lead.owner}"
    if lead.disposition_id and lead.disposition:
        text += f" ({lead.disposition.label})"
    return text


def _label(form: forms.Form, name: str) -> str:
    field = form.fields.get(name)
    if name == "expected_stage":
        return "Page"
    return str(field.label) if field is not None and field.label else ""


def _apply_errors(form: forms.Form, exc: DomainError) -> None:
    """A service's field errors next to the fields they name; the message itself above the form."""
    fields = (exc.details or {}).get("fields") or {}
    form.add_error(None, exc.message)
    for name, text in fields.items():
        if name in form.fields and str(text) not in exc.message:
            form.add_error(name, str(text))


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
    lead = _visible_lead(request, lead_id)
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
    lead = _visible_lead(request, lead_id)
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
    for lead in selectors.leads_visible_to(user).filter(pk__in=ids).order_by("id"):
        outcome, message = _decide(request, lead, action, data)
        if outcome == "done":
            done += 1
        else:
            (messages.warning if outcome == "stale" else messages.error)(request, message)
    verb = "Accepted" if action == "accept" else "Rejected"
    messages.success(request, f"{verb} {done} of {len(ids)} selected lead{'s' if len(ids) != 1 else ''}.")
    return redirect("lifecycle:sal_review")


# --- the lead page ---------------------------------------------------------------------------------------


ACTION_LABELS = {"accept": "Accept", "reject": "Reject", "qualify": "Qualify", "disqualify": "Disqualify",
                 "recycle": "Recycle", "convert": "Convert"}


def allowed_actions(user: User, lead: Lead) -> list[str]:
    """The moves out of the lead's stage (the transition table) that this viewer may make (its role rules)."""
    acting = acting_as(Actor.of(user), lead)
    found: list[str] = []
    for move in moves_from(lead.stage):
        if acting & move.by and move.action in ACTION_FORMS and move.action not in found:
            found.append(move.action)
    return found


def may_log_touch(user: User, lead: Lead) -> bool:
    return lead.stage in WORKING_STAGES and roles.may_log_touch_on(
        user, owns=lead.owner_id == user.pk, manages=selectors.manages_lead(user, lead))


def _action_form(action: str, lead: Lead, user: User, data: Any = None) -> forms.Form:
    # own ids per form (several forms share field names on one page), so every label names its own control
    options: dict[str, Any] = {"initial": {"expected_stage": lead.stage}, "auto_id": f"{action}_%s",
                               "label_suffix": ""}
    if action == "accept":
        return AcceptForm(data, owners=active_reps(managed_team_ids(user)), **options)
    form = ACTION_FORMS[action](data, **options)
    if action == "disqualify" and roles.role_of(user) != Role.SALES_MANAGER:
        del form.fields["override"]  # the cadence override is a manager's (the service says so too)
    return form


def _render_lead(request: HttpRequest, lead: Lead, bound: dict[str, forms.Form] | None = None,
                 open_action: str = "") -> HttpResponse:
    user = _user(request)
    now = clock.now()
    bound = bound or {}
    allowed = allowed_actions(user, lead)
    actions = [(name, ACTION_LABELS[name], bound.get(name) or _action_form(name, lead, user)) for name in allowed]
    for name, form in bound.items():  # a refused action the page has no form for: say why at the top
        if name not in allowed and name != "touch":
            for error in form.non_field_errors():
                messages.error(request, error)
    clocks = [clock_state(c, now) for c in SlaClock.objects.filter(lead=lead, cycle=lead.recycle_count)
              .order_by("due_at", "id")]
    timeline = selectors.lead_timeline(lead)
    cycles: dict[int, list[Any]] = defaultdict(list)
    for item in timeline:
        cycles[item.cycle or 0].append(item)
    from scoring.selectors import explanation_for

    return render(request, "lifecycle/lead.html", {
        "lead": lead,
        "actions": actions,
        "open_action": open_action,
        "touch_form": bound.get("touch") or (TouchForm(**TOUCH_IDS) if may_log_touch(user, lead) else None),
        "clocks": clocks,
        "cycles": sorted(cycles.items(), reverse=True),
        "timeline_count": len(timeline),
        "score_explanation": explanation_for(lead),
        "required_attempts": selectors.cadence_required_attempts(),
    })


@login_required
def lead_page(request: HttpRequest, lead_id: int) -> HttpResponse:
    return _render_lead(request, _visible_lead(request, lead_id))


def _perform(action: str, lead: Lead, user: User, data: dict[str, Any]) -> str:
    actor, expected = Actor.of(user), data["expected_stage"]
    if action == "accept":
        result = services.lead_accept(lead_id=lead.pk, actor=actor, owner=data["owner"], expected_stage=expected)
    elif action == "reject":
        result = services.lead_reject(lead_id=lead.pk, actor=actor, reason_code=data["reason"], note=data["note"],
                                      expected_stage=expected)
    elif action == "qualify":
        bant = {name: data[name] for name in ("budget", "authority", "need", "timeline")}
        result = services.lead_qualify(lead_id=lead.pk, actor=actor, bant=bant, note=data["note"],
                                       expected_stage=expected)
    elif action == "disqualify":
        result = services.lead_disqualify(lead_id=lead.pk, actor=actor, reason_code=data["reason"],
                                          note=data["note"], override=data.get("override", False),
                                          expected_stage=expected)
    elif action == "recycle":
        result = services.lead_recycle(lead_id=lead.pk, actor=actor, reason_code=data["reason"], note=data["note"],
                                       expected_stage=expected)
    else:
        result = services.lead_convert(lead_id=lead.pk, actor=actor, amount=data["amount"],
                                       close_date=data["close_date"], currency=data["currency"] or "USD",
                                       name=data["name"], expected_stage=expected)
    return f"{ACTION_LABELS[action]}: done, {_stage_text(result.lead)}."


@login_required
@require_POST
def lead_action(request: HttpRequest, lead_id: int, action: str) -> HttpResponse:
    user = _user(request)
    lead = _visible_lead(request, lead_id)
    if action not in ACTION_FORMS:
        raise Http404("No such action.")
    form = _action_form(action, lead, user, request.POST)
    if form.is_valid():
        try:
            messages.success(request, _perform(action, lead, user, form.cleaned_data))
            return redirect("lifecycle:lead", lead_id=lead.pk)
        except Conflict as exc:
            if exc.code in ("stale", "concurrent_change", "already_in_stage"):
                fresh = _visible_lead(request, lead_id)
                messages.warning(request, f"{STALE}: it is {_stage_text(fresh)}. Here is its current state.")
                return redirect("lifecycle:lead", lead_id=lead.pk)
            _apply_errors(form, exc)
        except DomainError as exc:
            _apply_errors(form, exc)
    return _render_lead(request, lead, bound={action: form}, open_action=action)


@login_required
@require_POST
def lead_touch(request: HttpRequest, lead_id: int) -> HttpResponse:
    """Log a touch as the signed-in rep (or manager). From "My leads" (htmx) it answers the updated row."""
    user = _user(request)
    lead = _visible_lead(request, lead_id)
    from_queue = request.POST.get("from") == "my_leads" and _is_htmx(request)
    form = TouchForm(request.POST, **TOUCH_IDS)
    if not may_log_touch(user, lead):
        message = "Touches on this lead are logged by its owner or a manager of its team."
        if from_queue:
            return _my_row_response(request, lead, "error", message)
        messages.error(request, message)
        return redirect("lifecycle:lead", lead_id=lead.pk)
    if form.is_valid():
        try:
            touch = services.touch_log(lead_id=lead.pk, rep=user, channel=form.cleaned_data["channel"],
                                       outcome=form.cleaned_data["outcome"], occurred_at=clock.now(),
                                       note=form.cleaned_data["note"])
        except RuleViolation as exc:
            _apply_errors(form, exc)
        else:
            fresh = _visible_lead(request, lead_id)
            message = (f"Touch logged ({touch.channel_id} · {touch.outcome_id}): "
                       f"{fresh.touch_attempts} of {selectors.cadence_required_attempts()} attempts.")
            if from_queue:
                return _my_row_response(request, fresh, "done", message)
            messages.success(request, message)
            return redirect("lifecycle:lead", lead_id=lead.pk)
    if from_queue:
        return _my_row_response(request, lead, "error", "; ".join(" ".join(e) for e in form.errors.values()))
    return _render_lead(request, lead, bound={"touch": form}, open_action="touch")


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
    return render(request, "lifecycle/_my_row.html", {
        "row": row, "required_attempts": selectors.cadence_required_attempts(), "touch_form": TouchForm()})


@login_required
def my_leads(request: HttpRequest) -> HttpResponse:
    """The rep's open leads, the most urgent SLA first (due soonest; leads without an open clock last)."""
    user = _user(request)
    if not roles.works_own_leads(user):
        raise Http404("Not a page of yours.")
    next_due = (SlaClock.objects.filter(lead=OuterRef("pk"), stopped_at__isnull=True,
                                        status__in=[ClockStatus.RUNNING, ClockStatus.BREACHED])
                .order_by("due_at").values("due_at")[:1])
    qs = (Lead.objects.filter(owner=user, stage__in=WORKING_STAGES)
          .select_related("latest_campaign", "account")
          .annotate(next_due=Subquery(next_due))
          .order_by(F("next_due").asc(nulls_last=True), "id"))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "lifecycle/my_leads.html", {
        "page": page, "rows": _my_rows(list(page.object_list)),
        "required_attempts": selectors.cadence_required_attempts(), "touch_form": TouchForm(),
    })


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
    """The MQLs the caller may see, filtered by the API's ``LeadFilter`` (one implementation) and sorted."""
    from lifecycle.api.filters import LeadFilter

    base = selectors.lead_list(_user(request)).filter(stage=Stage.MQL)
    params = request.GET.copy()
    for name in ("stage", "status"):  # this page is the MQL queue: the stage is not a filter here
        params.pop(name, None)
    filterset = LeadFilter(params, queryset=base)
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
    leads = list(qs[start:start + PAGE_SIZE + 1])
    has_next = len(leads) > PAGE_SIZE and number < MAX_PAGE
    leads = leads[:PAGE_SIZE]
    now = clock.now()
    clocks = _clocks_of(leads)
    rows = [{"lead": lead, "clock": clock_state(clocks.get(lead.pk), now), "routing": _routing_state(lead),
             "age": _span(now - lead.became_mql_at) if lead.became_mql_at else "—"} for lead in leads]
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "lifecycle/mql_queue.html", {
        "rows": rows, "filterset": filterset, "errors": filterset.errors, "sort": sort,
        "sorts": [(key, label) for key, (label, _) in MQL_SORTS.items()],
        "channels": Channel.choices,
        "campaigns": Campaign.objects.order_by("name").values_list("id", "name")[:500],
        "teams": teams_visible_to(user).filter(kind="sales").order_by("name").values_list("id", "name"),
        "sla_states": SLA_STATUS_CHOICES,
        "values": request.GET, "number": number, "has_next": has_next,
        "query": query.urlencode(),
    })


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> str:
    """A cell a spreadsheet will not run: text starting with = + - @ tab or CR gets a leading apostrophe
    (OWASP CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


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
    header = ["id", "email", "first_name", "last_name", "company", "title", "score", "fit_score",
              "behaviour_score", "high_intent", "source", "campaign", "team", "owner", "became_mql_at"]
    rows = qs.values_list("id", "email", "first_name", "last_name", "company_name", "title", "score", "fit_score",
                          "behaviour_score", "high_intent", "source", "latest_campaign__name", "team__name",
                          "owner__username", "became_mql_at")
    writer = csv.writer(_Echo())

    def lines() -> Any:
        yield writer.writerow(header)
        for row in rows.iterator(chunk_size=2000):
            yield writer.writerow([csv_safe(v.isoformat() if isinstance(v, dt.datetime) else v) for v in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="mql-queue.csv"'
    return response


# --- recycled leads (marketing ops): what sales sent back, with reasons, by campaign ----------------------


SENT_BACK_TRIGGERS = ("reject", "recycle", "disqualify")
RECYCLED_PERIODS = {"7": 7, "30": 30, "90": 90}


@login_required
def recycled(request: HttpRequest) -> HttpResponse:
    """Rejections, recycles and disqualifications of a period (the ``transition_to_time`` index), counted by
    campaign and reason, and listed newest first."""
    from django.db.models import Count

    from lifecycle.models import StageTransition

    if not roles.may_see_recycled(_user(request)):
        raise Http404("Not a page of yours.")
    days_key = request.GET.get("days", "30")
    days = RECYCLED_PERIODS.get(days_key, 30)
    since = clock.now() - dt.timedelta(days=days)
    sent_back = StageTransition.objects.filter(
        to_stage__in=[Stage.NURTURE, Stage.DISQUALIFIED], occurred_at__gte=since, trigger__in=SENT_BACK_TRIGGERS)
    summary = list(sent_back.values("lead__latest_campaign__name", "reason__label", "trigger")
                   .annotate(n=Count("id")).order_by("-n", "lead__latest_campaign__name")[:50])
    try:
        number = min(max(int(request.GET.get("page", "1")), 1), MAX_PAGE)
    except ValueError:
        number = 1
    start = (number - 1) * PAGE_SIZE
    items = list(sent_back.select_related("lead", "lead__latest_campaign", "reason", "actor")
                 .order_by("-occurred_at", "-id")[start:start + PAGE_SIZE + 1])
    return render(request, "lifecycle/recycled.html", {
        "summary": summary, "items": items[:PAGE_SIZE], "has_next": len(items) > PAGE_SIZE, "number": number,
        "days": days, "periods": RECYCLED_PERIODS,
    })
