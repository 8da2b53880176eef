"""Readers for the organisation."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from leadops import roles
from leadops.models import RepProfile, Team, User
from leadops.roles import Role


def managed_team_ids(user: User) -> list[int]:
    """Teams a sales manager answers for: the ones they manage, and their own team."""
    ids = list(Team.objects.filter(manager=user).values_list("id", flat=True))
    if user.team_id is not None and user.team_id not in ids:
        ids.append(user.team_id)
    return ids


def users_visible_to(user: User) -> QuerySet[User]:
    qs = User.objects.select_related("team").order_by("id")
    if roles.sees_whole_org(user):
        return qs
    if roles.role_of(user) == Role.SALES_MANAGER:
        return qs.filter(Q(team_id__in=managed_team_ids(user)) | Q(pk=user.pk))
    return qs.filter(Q(team_id=user.team_id) | Q(pk=user.pk)) if user.team_id else qs.filter(pk=user.pk)


def teams_visible_to(user: User) -> QuerySet[Team]:
    return Team.objects.select_related("manager").order_by("id")


def reps_visible_to(user: User) -> QuerySet[RepProfile]:
    qs = (
        RepProfile.objects.select_related("user", "user__team")
        .prefetch_related("out_of_office")
        .order_by("id")
    )
    if roles.sees_whole_org(user):
        return qs
    if roles.role_of(user) == Role.SALES_MANAGER:
        return qs.filter(Q(user__team_id__in=managed_team_ids(user)) | Q(user=user))
    if user.team_id:
        return qs.filter(user__team_id=user.team_id)
    return qs.filter(user=user)
