"""Writers of saved views (docs/workspace.md, "Saved views"): a user's named filter and sort of a queue.

Only the owner renames, shares or deletes a view; sharing shows it to the owner's team (its members and its
manager). Names are unique per owner and page, case-insensitively. The caller (the page) validates the
parameters with the queue's own filter form before saving them.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from leadops import clock
from leadops.errors import Conflict, NotFound, RuleViolation
from leadops.models import User
from lifecycle.models import SavedView, SavedViewPage

MAX_VIEWS_PER_PAGE = 50


def _own(view_id: int, actor: User) -> SavedView:
    """The actor's own view; another's (even one shared with them) is "not found" for writing."""
    view = SavedView.objects.filter(pk=view_id, owner=actor).first()
    if view is None:
        raise NotFound("No such saved view of yours.")
    return view


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise RuleViolation("Give the view a name.", code="validation_error", details={"fields": {"name": "Required."}})
    return name


def _duplicate(name: str) -> Conflict:
    return Conflict(f"You already have a view named “{name}” here.", code="duplicate",
                    details={"fields": {"name": "Already used by another of your views."}})


def saved_view_create(*, owner: User, page: str, name: str, params: dict[str, list[str]]) -> SavedView:
    if page not in SavedViewPage.values:
        raise RuleViolation(f"Unknown page {page!r}.")
    name = _clean_name(name)
    if SavedView.objects.filter(owner=owner, page=page).count() >= MAX_VIEWS_PER_PAGE:
        raise RuleViolation(f"You have {MAX_VIEWS_PER_PAGE} saved views here already; delete one first.",
                            code="too_many")
    try:
        with transaction.atomic():
            return SavedView.objects.create(owner=owner, page=page, name=name, params=params)
    except IntegrityError:
        raise _duplicate(name) from None


def saved_view_rename(*, view_id: int, actor: User, name: str) -> SavedView:
    view = _own(view_id, actor)
    view.name, view.updated_at = _clean_name(name), clock.now()
    try:
        with transaction.atomic():
            view.save(update_fields=["name", "updated_at"])
    except IntegrityError:
        raise _duplicate(view.name) from None
    return view


def saved_view_share(*, view_id: int, actor: User, shared: bool) -> SavedView:
    """Share with the owner's current team, or stop sharing."""
    view = _own(view_id, actor)
    if shared and actor.team_id is None:
        raise RuleViolation("You are not in a team, so there is no one to share with; an admin can add you to one.",
                            code="no_team")
    view.team_id, view.updated_at = (actor.team_id if shared else None), clock.now()
    view.save(update_fields=["team", "updated_at"])
    return view


def saved_view_delete(*, view_id: int, actor: User) -> str:
    view = _own(view_id, actor)
    name = view.name
    view.delete()
    return name
