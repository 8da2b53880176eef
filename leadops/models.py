"""The organisation: people, roles, teams, rep profiles, and API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
import zoneinfo

from django.contrib.auth.models import AbstractUser
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models

from leadops import clock
from leadops.roles import Role


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(f"Unknown time zone {value!r}.") from exc


class TeamKind(models.TextChoices):
    MARKETING = "marketing", "Marketing"
    SALES = "sales", "Sales"
    SDR = "sdr", "SDR"


class Team(models.Model):
    name = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=16, choices=TeamKind.choices)
    manager = models.ForeignKey(
        "leadops.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="managed_teams"
    )
    capacity = models.PositiveIntegerField(
        null=True, blank=True, help_text="Maximum open leads for the whole team (optional)."
    )
    calendar = models.ForeignKey(
        "sla.BusinessCalendar", null=True, blank=True, on_delete=models.PROTECT, related_name="teams",
        help_text="The team's business hours (optional). SLA clocks this team is accountable for count time on "
                  "it instead of the policy's calendar.",
    )
    created_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.SALES_REP)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="members")

    class Meta:
        ordering = ["username"]
        indexes = [models.Index(fields=["role"]), models.Index(fields=["team"])]

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class RepProfile(models.Model):
    """Routing facts of a sales rep or SDR: weight, capacity, time zone, availability."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="rep_profile")
    weight = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1)])
    capacity = models.PositiveIntegerField(default=50, help_text="Maximum open leads owned.")
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["user__username"]
        constraints = [models.CheckConstraint(condition=models.Q(weight__gte=1), name="rep_weight_positive")]

    def __str__(self) -> str:
        return f"{self.user} (rep)"

    @property
    def team(self) -> Team | None:
        return self.user.team


class OutOfOffice(models.Model):
    rep = models.ForeignKey(RepProfile, on_delete=models.CASCADE, related_name="out_of_office")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="ooo_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rep.user} away {self.starts_at:%Y-%m-%d} - {self.ends_at:%Y-%m-%d}"


class Scope(models.TextChoices):
    LEADS_READ = "leads:read", "Read leads"
    LEADS_WRITE = "leads:write", "Write leads"
    EVENTS_WRITE = "events:write", "Write marketing events"
    TOUCHES_WRITE = "touches:write", "Write touches"
    REPORTS_READ = "reports:read", "Read reports"
    ADMIN = "admin", "Administer configuration"


RATE_PATTERN = re.compile(r"^\d+/(s|sec|second|m|min|minute|h|hour|d|day)$")


def validate_rate(value: str) -> None:
    if value and not RATE_PATTERN.match(value):
        raise ValidationError(f"{value!r} is not a rate such as '600/min', '20/s' or '10000/hour'.")


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token. Only its SHA-256 is stored; the raw key is shown once at creation."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=120, blank=True)
    prefix = models.CharField(max_length=12, help_text="First characters of the key, to recognise it.")
    key_hash = models.CharField(max_length=64, unique=True)
    scopes = ArrayField(models.CharField(max_length=32, choices=Scope.choices), default=list)
    created_at = models.DateTimeField(default=clock.now, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    rate_limit = models.CharField(
        max_length=20, blank=True, default="", validators=[validate_rate],
        help_text="Requests allowed for this client, e.g. '600/min' or '20/s'; empty: the default "
                  "(settings.LEADOPS_API_CLIENT_RATE).")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def new_key() -> str:
        return "lo_" + secrets.token_urlsafe(32)

    def is_usable(self) -> bool:
        now = clock.now()
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > now


class Heartbeat(models.Model):
    """Last time a worker ran the beat's heartbeat task (shown on /healthz)."""

    name = models.CharField(max_length=40, primary_key=True)
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} @ {self.beat_at:%Y-%m-%d %H:%M:%S}"


class IdempotencyKey(models.Model):
    """The first answer to a write sent with an ``Idempotency-Key`` header (per principal, 24 h).

    A row is inserted (unique per user and key) before the write runs, with ``status_code`` empty while
    it runs; the answer is stored when it completes. See ``leadops.api.idempotency``.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    body_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.BinaryField(default=bytes)
    content_type = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")]
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return f"{self.key} ({self.method} {self.path})"
