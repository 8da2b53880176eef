"""Saved views of the queues (docs/workspace.md, "Saved views"): save the current filter and sort under a
name, apply with a click, rename / share / delete one's own. Every action answers the saved-views panel in
place (htmx) or, without JavaScript, redirects back to the queue with a message."""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from leadops import roles
from leadops.errors import DomainError
from leadops.models import User
from lifecycle import selectors
from lifecycle.forms import FILTER_LABELS, MQL_VIEW_PARAMS, SavedViewNameForm, clean_view_params
from lifecycle.models import SavedView, SavedViewPage
from lifecycle.services import saved_views as service
from lifecycle.views.common import _is_htmx, _user


@dataclass(frozen=True)
class SavedPage:
    url_name: str
    may_use: Callable[[User | None], bool]
    sorts: tuple[str, ...]


def _pages() -> dict[str, SavedPage]:
    from lifecycle.views.queues import MQL_SORTS

    # the MQL queue is the one queue with filters; SAL review and My leads have a single fixed order
    return {SavedViewPage.MQL_QUEUE: SavedPage("lifecycle:mql_queue", roles.may_review_mql_queue, tuple(MQL_SORTS))}


def view_query(view: SavedView) -> str:
    """The query string that applies ``view`` (its filters and sort, then ``view=<id>`` to mark it)."""
    pairs = [(name, value) for name, values in sorted(view.params.items()) for value in values]
    return urllib.parse.urlencode([*pairs, ("view", str(view.pk))])


def _value_names(views: list[SavedView]) -> dict[tuple[str, str], str]:
    """How each saved value reads: channel, SLA state and sort labels, team and campaign names (two queries)."""
    from leadops.models import Team
    from lifecycle.api.filters import SLA_STATUS_CHOICES
    from lifecycle.models import Campaign, Channel
    from lifecycle.views.queues import MQL_SORTS

    names: dict[tuple[str, str], str] = {("sort", k): label for k, (label, _) in MQL_SORTS.items()}
    names.update({("source", k): str(label) for k, label in Channel.choices})
    names.update({("sla_status", k): label for k, label in SLA_STATUS_CHOICES})
    for flag in ("high_intent", "data_incomplete"):
        names.update({(flag, "true"): "yes", (flag, "false"): "no"})
    wanted: dict[str, set[int]] = {"team": set(), "campaign": set()}
    for view in views:
        for name in wanted:
            wanted[name].update(int(v) for v in view.params.get(name, []) if str(v).isdigit())
    if wanted["team"]:
        names.update({("team", str(pk)): n for pk, n in Team.objects.filter(pk__in=wanted["team"])
                      .values_list("id", "name")})
    if wanted["campaign"]:
        names.update({("campaign", str(pk)): n for pk, n in Campaign.objects.filter(pk__in=wanted["campaign"])
                      .values_list("id", "name")})
    return names


def describe(params: dict[str, Any], names: dict[tuple[str, str], str] | None = None) -> str:
    """A saved view's filters in words: "Team: Sales West · Data incomplete: yes · Sort: Newest MQL first"."""
    names = names or {}
    order = {name: i for i, name in enumerate(MQL_VIEW_PARAMS)}  # the page's order (jsonb keeps its own)
    parts = [f"{FILTER_LABELS.get(name, name)}: {', '.join(names.get((name, str(v)), str(v)) for v in values)}"
             for name, values in sorted(params.items(), key=lambda item: order.get(item[0], len(order)))]
    return " · ".join(parts) or "no filters"


def panel_context(request: HttpRequest, page: str, *, query: str, active_id: str = "",
                  name_form: SavedViewNameForm | None = None, message: str = "", outcome: str = "",
                  errors: list[str] | None = None) -> dict[str, Any]:
    user = _user(request)
    views = list(selectors.saved_views_for(user, page))
    names = _value_names(views) if views else {}
    items = [{"view": v, "own": v.owner_id == user.pk, "query": view_query(v), "summary": describe(v.params, names),
              "active": str(v.pk) == active_id} for v in views]
    return {"saved": {
        "page": page, "items": items, "query": query, "form": name_form or SavedViewNameForm(),
        "message": message, "outcome": outcome, "errors": errors or [], "may_share": user.team_id is not None,
        "team": user.team, "active": next((i for i in items if i["active"]), None),
    }}


def _answer(request: HttpRequest, page: str, query: str, outcome: str, message: str, *,
            name_form: SavedViewNameForm | None = None, errors: list[str] | None = None,
            go_to: str | None = None) -> HttpResponse:
    spec = _pages()[page]
    if _is_htmx(request):
        ctx = panel_context(request, page, query=query, name_form=name_form, message=message, outcome=outcome,
                            errors=errors, active_id=request.POST.get("active", ""))
        return render(request, "lifecycle/_saved_views.html", ctx)
    {"done": messages.success}.get(outcome, messages.error)(request, message)
    return redirect(f"{reverse(spec.url_name)}?{go_to if go_to is not None else query}")


def _page_of(request: HttpRequest) -> str:
    page = request.POST.get("page", "")
    spec = _pages().get(page)
    if spec is None or not spec.may_use(_user(request)):
        raise Http404("Not a page of yours.")
    return page


@login_required
@require_POST
def saved_view_create(request: HttpRequest) -> HttpResponse:
    page = _page_of(request)
    query = request.POST.get("query", "")
    form = SavedViewNameForm(request.POST)
    params, errors = clean_view_params(QueryDict(query), sorts=_pages()[page].sorts)
    if errors:
        return _answer(request, page, query, "error", "Fix the filters before saving them as a view.",
                       name_form=form, errors=errors)
    if not form.is_valid():
        return _answer(request, page, query, "error", "The view needs a name.", name_form=form)
    try:
        view = service.saved_view_create(owner=_user(request), page=page, name=form.cleaned_data["name"],
                                         params=params)
    except DomainError as exc:
        form.add_error("name", exc.message)
        return _answer(request, page, query, "error", exc.message, name_form=form)
    return _answer(request, page, query, "done", f"Saved the view “{view.name}”.", go_to=view_query(view))


@login_required
@require_POST
def saved_view_change(request: HttpRequest, view_id: int, action: str) -> HttpResponse:
    """Rename, share, unshare or delete one of one's own views."""
    page = _page_of(request)
    query = request.POST.get("query", "")
    user = _user(request)
    try:
        if action == "rename":
            form = SavedViewNameForm(request.POST)
            if not form.is_valid():
                return _answer(request, page, query, "error", "The new name: " + " ".join(form.errors["name"]))
            view = service.saved_view_rename(view_id=view_id, actor=user, name=form.cleaned_data["name"])
            message = f"Renamed the view to “{view.name}”."
        elif action in ("share", "unshare"):
            view = service.saved_view_share(view_id=view_id, actor=user, shared=action == "share")
            message = (f"Shared “{view.name}” with {view.team}." if view.team_id
                       else f"“{view.name}” is private again.")
        elif action == "delete":
            message = f"Deleted the view “{service.saved_view_delete(view_id=view_id, actor=user)}”."
        else:
            raise Http404("No such action.")
    except DomainError as exc:
        return _answer(request, page, query, "error", exc.message)
    return _answer(request, page, query, "done", message)
