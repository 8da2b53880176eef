"""The lead page and its actions."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
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
    TouchForm,
)
from lifecycle.models import Lead
from lifecycle.services import Actor
from lifecycle.services.transitions import acting_as
from lifecycle.state_machine import moves_from
from lifecycle.views.common import (
    GONE,
    STALE,
    TOUCH_IDS,
    WORKING_STAGES,
    _apply_errors,
    _is_htmx,
    _lead_for_action,
    _stage_text,
    _user,
    _visible_lead,
    active_reps,
    clock_state,
    home_queue,
)
from lifecycle.views.queues import _my_row_response
from sla.models import SlaClock

# --- the lead page ---------------------------------------------------------------------------------------


ACTION_LABELS = {
    "accept": "Accept",
    "reject": "Reject",
    "qualify": "Qualify",
    "disqualify": "Disqualify",
    "recycle": "Recycle",
    "convert": "Convert",
}


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
        user, owns=lead.owner_id == user.pk, manages=selectors.manages_lead(user, lead)
    )


def _action_form(action: str, lead: Lead, user: User, data: Any = None) -> forms.Form:
    # own ids per form (several forms share field names on one page), so every label names its own control
    options: dict[str, Any] = {"initial": {"expected_stage": lead.stage}, "auto_id": f"{action}_%s", "label_suffix": ""}
    if action == "accept":
        return AcceptForm(data, owners=active_reps(managed_team_ids(user)), **options)
    form = ACTION_FORMS[action](data, **options)
    if action == "disqualify" and roles.role_of(user) != Role.SALES_MANAGER:
        del form.fields["override"]  # the cadence override is a manager's (the service says so too)
    return form


def _render_lead(
    request: HttpRequest, lead: Lead, bound: dict[str, forms.Form] | None = None, open_action: str = ""
) -> HttpResponse:
    user = _user(request)
    now = clock.now()
    bound = bound or {}
    allowed = allowed_actions(user, lead)
    actions = [(name, ACTION_LABELS[name], bound.get(name) or _action_form(name, lead, user)) for name in allowed]
    for name, form in bound.items():  # a refused action the page has no form for: say why at the top
        if name not in allowed and name != "touch":
            for error in form.non_field_errors():
                messages.error(request, error)
            if not form.non_field_errors():  # e.g. a tampered form for a move the lead's stage does not allow
                messages.error(request, f"{ACTION_LABELS[name]} is not among your actions on this lead while it "
                                        f"is {lead.get_stage_display()}.")
    clocks = [
        clock_state(c, now)
        for c in SlaClock.objects.filter(lead=lead, cycle=lead.recycle_count).order_by("due_at", "id")
    ]
    timeline = selectors.lead_timeline(lead)
    cycles: dict[int, list[Any]] = defaultdict(list)
    for item in timeline:
        cycles[item.cycle or 0].append(item)
    from scoring.selectors import explanation_for

    return render(
        request,
        "lifecycle/lead.html",
        {
            "lead": lead,
            "actions": actions,
            "open_action": open_action,
            "touch_form": bound.get("touch") or (TouchForm(**TOUCH_IDS) if may_log_touch(user, lead) else None),
            "clocks": clocks,
            "cycles": sorted(cycles.items(), reverse=True),
            "timeline_count": len(timeline),
            "score_explanation": explanation_for(lead),
            "required_attempts": selectors.cadence_required_attempts(),
        },
    )


@login_required
def lead_page(request: HttpRequest, lead_id: int) -> HttpResponse:
    return _render_lead(request, _visible_lead(request, lead_id))


def _perform(action: str, lead: Lead, user: User, data: dict[str, Any]) -> str:
    actor, expected = Actor.of(user), data["expected_stage"]
    if action == "accept":
        result = services.lead_accept(lead_id=lead.pk, actor=actor, owner=data["owner"], expected_stage=expected)
    elif action == "reject":
        result = services.lead_reject(
            lead_id=lead.pk, actor=actor, reason_code=data["reason"], note=data["note"], expected_stage=expected
        )
    elif action == "qualify":
        bant = {name: data[name] for name in ("budget", "authority", "need", "timeline")}
        result = services.lead_qualify(
            lead_id=lead.pk, actor=actor, bant=bant, note=data["note"], expected_stage=expected
        )
    elif action == "disqualify":
        result = services.lead_disqualify(
            lead_id=lead.pk,
            actor=actor,
            reason_code=data["reason"],
            note=data["note"],
            override=data.get("override", False),
            expected_stage=expected,
        )
    elif action == "recycle":
        result = services.lead_recycle(
            lead_id=lead.pk, actor=actor, reason_code=data["reason"], note=data["note"], expected_stage=expected
        )
    else:
        result = services.lead_convert(
            lead_id=lead.pk,
            actor=actor,
            amount=data["amount"],
            close_date=data["close_date"],
            currency=data["currency"] or "USD",
            name=data["name"],
            expected_stage=expected,
        )
    return f"{ACTION_LABELS[action]}: done, {_stage_text(result.lead)}."


@login_required
@require_POST
def lead_action(request: HttpRequest, lead_id: int, action: str) -> HttpResponse:
    user = _user(request)
    if action not in ACTION_FORMS:
        raise Http404("No such action.")
    found = _lead_for_action(request, lead_id)
    if found is None:
        messages.warning(request, GONE)
        return redirect(home_queue(user))
    lead = found
    form = _action_form(action, lead, user, request.POST)
    if form.is_valid():
        try:
            messages.success(request, _perform(action, lead, user, form.cleaned_data))
            return redirect("lifecycle:lead", lead_id=lead.pk)
        except Conflict as exc:
            if exc.code in ("stale", "concurrent_change", "already_in_stage"):
                fresh = selectors.lead_detail(user, lead_id)
                if fresh is None:
                    messages.warning(request, GONE)
                    return redirect(home_queue(user))
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
    from_queue = request.POST.get("from") == "my_leads" and _is_htmx(request)
    found = _lead_for_action(request, lead_id)
    if found is None:
        if from_queue:
            return render(request, "lifecycle/_gone_row.html", {"lead_id": lead_id, "message": GONE})
        messages.warning(request, GONE)
        return redirect(home_queue(user))
    lead = found
    form = TouchForm(request.POST, **TOUCH_IDS)
    if not may_log_touch(user, lead):
        message = "Touches on this lead are logged by its owner or a manager of its team."
        if lead.stage not in WORKING_STAGES or (from_queue and lead.owner_id != user.pk):
            message = f"{STALE}: it is {_stage_text(lead)}. {message}"
        if from_queue:
            return _my_row_response(request, lead, "error", message)
        messages.error(request, message)
        return redirect("lifecycle:lead", lead_id=lead.pk)
    if form.is_valid():
        try:
            touch = services.touch_log(
                lead_id=lead.pk,
                rep=user,
                channel=form.cleaned_data["channel"],
                outcome=form.cleaned_data["outcome"],
                occurred_at=clock.now(),
                note=form.cleaned_data["note"],
            )
        except RuleViolation as exc:
            _apply_errors(form, exc)
        else:
            fresh = _visible_lead(request, lead_id)
            message = (
                f"Touch logged ({touch.channel_id} · {touch.outcome_id}): "
                f"{fresh.touch_attempts} of {selectors.cadence_required_attempts()} attempts."
            )
            if from_queue:
                return _my_row_response(request, fresh, "done", message)
            messages.success(request, message)
            return redirect("lifecycle:lead", lead_id=lead.pk)
    if from_queue:
        return _my_row_response(request, lead, "error", "; ".join(" ".join(e) for e in form.errors.values()))
    return _render_lead(request, lead, bound={"touch": form}, open_action="touch")
