"""Writers for the organisation: people, teams, rep profiles, tokens."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction

from leadops import clock, events
from leadops.errors import Conflict, NotFound, RuleViolation
from leadops.models import RATE_PATTERN, ApiToken, Heartbeat, OutOfOffice, RepProfile, Scope, Team, User, hash_token
from leadops.roles import Role

M = TypeVar("M", bound=models.Model)


def save_unique(obj: M, clash: models.QuerySet[M], duplicate: Callable[[int | None], Conflict]) -> M:
    """Save ``obj`` unless ``clash`` (the rows holding its unique value) finds another row: then 409
    ``duplicate(that row's id)``. A twin written concurrently is caught by the unique constraint and gets
    ``duplicate(None)``."""
    other = clash.exclude(pk=obj.pk).values_list("pk", flat=True).first()
    if other is not None:
        raise duplicate(other)
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as exc:
        raise duplicate(None) from exc
    return obj


REP_ROLES = {Role.SALES_REP}


@transaction.atomic
def user_create(
    *,
    username: str,
    email: str = "",
    role: str,
    team: Team | None = None,
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
    rep: dict[str, Any] | None = None,
) -> User:
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict(
            f"A user named {username!r} already exists.", code="duplicate", details={"field": "username"}
        )
    user = User(
        username=username,
        email=email,
        role=role,
        team=team,
        first_name=first_name,
        last_name=last_name,
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
    )
    if password and role != Role.INTEGRATOR:
        user.set_password(password)
    else:
        user.set_unusable_password()
    try:
        user.save()
    except IntegrityError as exc:
        raise Conflict("That user already exists.", code="duplicate") from exc
    if role in REP_ROLES:
        RepProfile.objects.create(user=user, **(rep or {}))
    return user


@transaction.atomic
def user_update(*, user: User, **fields: Any) -> User:
    password = fields.pop("password", None)
    for name, value in fields.items():
        setattr(user, name, value)
    if password:
        user.set_password(password)
    if "role" in fields:
        user.is_staff = user.is_superuser = user.role == Role.ADMIN
    user.save()
    if user.role in REP_ROLES:
        RepProfile.objects.get_or_create(user=user)
    return user


def team_create(*, name: str, kind: str, manager: User | None = None, capacity: int | None = None,
                calendar: Any = None) -> Team:
    """A team; ``calendar`` (optional) is the business calendar its SLA clocks count on (docs/sla.md)."""
    if Team.objects.filter(name__iexact=name).exists():
        raise Conflict(f"A team named {name!r} already exists.", code="duplicate", details={"field": "name"})
    return Team.objects.create(name=name, kind=kind, manager=manager, capacity=capacity, calendar=calendar)


def team_update(*, team: Team, **fields: Any) -> Team:
    for name, value in fields.items():
        setattr(team, name, value)
    team.save()
    return team


@transaction.atomic
def rep_update(
    *, rep: RepProfile, out_of_office: Iterable[dict[str, Any]] | None = None, **fields: Any
) -> RepProfile:
    """Update a rep's routing facts; ``out_of_office`` (if given) replaces the ranges."""
    rep = RepProfile.objects.select_for_update().get(pk=rep.pk)
    for name, value in fields.items():
        setattr(rep, name, value)
    rep.save()
    if out_of_office is not None:
        ranges = list(out_of_office)
        for index, item in enumerate(ranges):
            if item["ends_at"] <= item["starts_at"]:
                raise RuleViolation(
                    "An out-of-office range must end after it starts.",
                    details={"fields": {"out_of_office": {str(index): "ends_at must be after starts_at"}}},
                )
        rep.out_of_office.all().delete()
        OutOfOffice.objects.bulk_create(
            OutOfOffice(rep=rep, starts_at=r["starts_at"], ends_at=r["ends_at"], note=r.get("note", ""))
            for r in ranges
        )
    # after commit, routing retries the rep's team queue (the rep may be back, or have room again)
    changed = sorted(fields) + (["out_of_office"] if out_of_office is not None else [])
    events.publish(events.DomainEvent("rep.updated", clock.now(), None, {"rep": rep.pk, "user": rep.user_id,
                                                                          "changed": changed}))
    return rep


def token_issue(
    *, user: User, scopes: Iterable[str], name: str = "", expires_at: dt.datetime | None = None,
    rate_limit: str = "",
) -> tuple[ApiToken, str]:
    """Create a token; returns it and the raw key, which is never stored and never shown again."""
    scopes = list(dict.fromkeys(scopes))
    unknown = [s for s in scopes if s not in Scope.values]
    if unknown:
        raise RuleViolation(
            f"Unknown scope(s): {', '.join(unknown)}.", details={"fields": {"scopes": sorted(Scope.values)}}
        )
    if expires_at is not None and expires_at <= clock.now():
        raise RuleViolation(
            "A token must expire in the future.", details={"fields": {"expires_at": "in the past"}}
        )
    if rate_limit and not RATE_PATTERN.match(rate_limit):
        raise RuleViolation(
            f"{rate_limit!r} is not a rate such as '600/min'.", details={"fields": {"rate_limit": "e.g. 600/min"}}
        )
    raw = ApiToken.new_key()
    token = ApiToken.objects.create(
        user=user, name=name, prefix=raw[:10], key_hash=hash_token(raw), scopes=scopes, expires_at=expires_at,
        rate_limit=rate_limit,
    )
    return token, raw


def token_revoke(*, token_id: int) -> ApiToken:
    token = ApiToken.objects.filter(pk=token_id).first()
    if token is None:
        raise NotFound("No such token.")
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        token.save(update_fields=["revoked_at"])
    return token


def heartbeat_record(*, name: str = "worker") -> dt.datetime:
    now = clock.now()
    Heartbeat.objects.update_or_create(name=name, defaults={"beat_at": now})
    return now
