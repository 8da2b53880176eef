"""SLA records (domain.md section 6): business calendars, versioned policies, clocks and their history,
notifications and the webhook outbox, escalations, capacity notices, and the obligations' settings."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections import OrderedDict

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from leadops import clock as _clock
from leadops.models import validate_time_zone
from sla.calendar_math import CalendarSpec, parse_working_hours

# --- calendars -------------------------------------------------------------------------------------

DEFAULT_CALENDAR_NAME = "24x7"
ALWAYS_OPEN_HOURS = [{"weekday": day, "start": "00:00", "end": "24:00"} for day in range(7)]


class BusinessCalendar(models.Model):
    """A time zone, weekly working intervals (local time, several a day) and holidays (``Holiday``).

    ``version`` grows on every change (hours, zone, holidays); compiled specs are cached per version.
    Running clocks keep the due time computed when they started (domain.md section 6).
    """

    name = models.CharField(max_length=120, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    working_hours = models.JSONField(
        default=list, help_text='[{"weekday": 0-6 (Monday = 0), "start": "HH:MM", "end": "HH:MM"}, ...]'
    )
    is_default = models.BooleanField(default=False, help_text="The calendar of policies created without one.")
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=_clock.now, editable=False)
    updated_at = models.DateTimeField(default=_clock.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=models.Q(is_default=True),
                                    name="sla_one_default_calendar"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.time_zone})"

    def spec(self) -> CalendarSpec:
        """The compiled calendar of this version (cached per process)."""
        return calendar_spec(self)


_SPEC_CACHE: OrderedDict[tuple[int, int], CalendarSpec] = OrderedDict()
_SPEC_LOCK = threading.Lock()
_SPEC_CACHE_SIZE = 64


def calendar_spec(calendar: BusinessCalendar) -> CalendarSpec:
    key = (calendar.pk, calendar.version)
    with _SPEC_LOCK:
        spec = _SPEC_CACHE.get(key)
        if spec is not None:
            _SPEC_CACHE.move_to_end(key)
            return spec
    holidays = dict(Holiday.objects.filter(calendar_id=calendar.pk).values_list("date", "name"))
    spec = CalendarSpec(time_zone=calendar.time_zone, hours=parse_working_hours(calendar.working_hours),
                        holidays=holidays, name=calendar.name)
    with _SPEC_LOCK:
        _SPEC_CACHE[key] = spec
        while len(_SPEC_CACHE) > _SPEC_CACHE_SIZE:
            _SPEC_CACHE.popitem(last=False)
    return spec


class Holiday(models.Model):
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField(help_text="A whole local day of the calendar's time zone.")
    name = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["calendar", "date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="sla_holiday_unique_per_day")]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


# --- policies --------------------------------------------------------------------------------------


class PolicyKind(models.TextChoices):
    FIRST_CONTACT = "first_contact", "First contact"
    TOUCH_CADENCE = "touch_cadence", "Touch cadence"
    DISPOSITION = "disposition", "Disposition"
    SAL_REVIEW = "sal_review", "SAL review"
    ROUTING = "routing", "Routing"


class Side(models.TextChoices):
    SALES = "sales", "Sales"
    MARKETING = "marketing", "Marketing"


SIDE_OF_KIND: dict[str, str] = {
    PolicyKind.FIRST_CONTACT: Side.SALES,
    PolicyKind.TOUCH_CADENCE: Side.SALES,
    PolicyKind.DISPOSITION: Side.SALES,
    PolicyKind.SAL_REVIEW: Side.SALES,
    PolicyKind.ROUTING: Side.MARKETING,
}

# domain.md section 6 defaults (seeded as version 1 of each kind)
# Hour-scale targets count on the accountable team's business hours when the team has a calendar; the
# two-week ones are calendar weeks (P14D of Mon-Fri 9-17 business time would be eight weeks).
POLICY_DEFAULTS: dict[str, dict[str, object]] = {
    PolicyKind.FIRST_CONTACT: {"target": dt.timedelta(hours=24), "high_intent_target": dt.timedelta(hours=4),
                               "use_team_calendar": True},
    PolicyKind.TOUCH_CADENCE: {"target": dt.timedelta(days=14), "required_attempts": 6, "use_team_calendar": False},
    PolicyKind.DISPOSITION: {"target": dt.timedelta(days=14), "use_team_calendar": False},
    PolicyKind.SAL_REVIEW: {"target": dt.timedelta(hours=24), "use_team_calendar": True},
    PolicyKind.ROUTING: {"target": dt.timedelta(minutes=5), "use_team_calendar": True},
}


class SlaPolicy(models.Model):
    """One version of a policy. Versions are never edited: a change writes version n+1 (``services``).

    ``active`` marks the version in force for its kind (at most one); with none active the kind is
    switched off and no new clocks of it start.
    """

    kind = models.CharField(max_length=20, choices=PolicyKind.choices)
    version = models.PositiveIntegerField()
    target = models.DurationField(help_text="Business time from start to due (touch_cadence: the window).")
    high_intent_target = models.DurationField(null=True, blank=True, help_text="first_contact for high intent.")
    required_attempts = models.PositiveSmallIntegerField(null=True, blank=True, help_text="touch_cadence only.")
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.PROTECT, related_name="policies")
    use_team_calendar = models.BooleanField(
        default=True, help_text="A clock whose accountable team has a calendar counts on the team's calendar "
                                "instead of this one.")
    warn_fraction = models.FloatField(
        default=0.75, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="At-risk warning after this share of the window, strictly between 0 and 1.",
    )
    active = models.BooleanField(default=True)
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=_clock.now, editable=False)

    class Meta:
        ordering = ["kind", "-version"]
        verbose_name_plural = "SLA policies"
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="sla_policy_version_unique"),
            models.UniqueConstraint(fields=["kind"], condition=models.Q(active=True), name="sla_one_active_policy"),
            models.CheckConstraint(condition=models.Q(warn_fraction__gt=0) & models.Q(warn_fraction__lt=1),
                                   name="sla_warn_fraction_open_unit"),
            models.CheckConstraint(condition=models.Q(target__gt=dt.timedelta(0)), name="sla_target_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} v{self.version}" + ("" if self.active else " (inactive)")


# --- clocks ----------------------------------------------------------------------------------------


class ClockStatus(models.TextChoices):
    RUNNING = "running", "Running"
    MET = "met", "Met"
    BREACHED = "breached", "Breached"
    CANCELLED = "cancelled", "Cancelled"


class Accountable(models.TextChoices):
    REP = "rep", "Owner rep"
    TEAM = "team", "Team"
    MARKETING_OPS = "marketing_ops", "Marketing ops"


class Cause(models.TextChoices):
    NONE = "", "Unknown"
    REP = "rep", "Rep"
    MANAGER = "manager", "Manager (review)"
    ROUTING = "routing", "Routing (nobody available)"
    DATA = "data", "Data (missing contact data)"
    OUT_OF_OFFICE = "out_of_office", "Out of office"
    OVERRIDE = "override", "Manager override of the cadence"


class SlaClock(models.Model):
    """One SLA clock of one lead (domain.md section 6). ``status`` moves running -> met / breached /
    cancelled; a breached clock stays breached (met late: breached with ``stopped_at``)."""

    lead = models.ForeignKey("lifecycle.Lead", on_delete=models.CASCADE, related_name="sla_clocks")
    policy = models.ForeignKey(SlaPolicy, on_delete=models.PROTECT, related_name="clocks",
                               help_text="The policy version the clock runs under.")
    kind = models.CharField(max_length=20, choices=PolicyKind.choices)
    policy_version = models.PositiveIntegerField()
    cycle = models.PositiveIntegerField(default=0, help_text="The lead's recycle_count when started.")
    started_at = models.DateTimeField()
    due_at = models.DateTimeField()
    warn_at = models.DateTimeField()
    stopped_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=ClockStatus.choices, default=ClockStatus.RUNNING)
    breached_at = models.DateTimeField(null=True, blank=True, help_text="When the breach was recorded.")
    warned_at = models.DateTimeField(null=True, blank=True, help_text="When the at-risk warning was recorded.")
    accountable = models.CharField(max_length=16, choices=Accountable.choices)
    accountable_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                         related_name="sla_clocks")
    team = models.ForeignKey("leadops.Team", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="sla_clocks", help_text="The accountable team.")
    cause = models.CharField(max_length=16, choices=Cause.choices, blank=True, default="")
    stop_reason = models.CharField(max_length=40, blank=True, help_text="touch, attempts, accept, reject, sql ...")
    high_intent = models.BooleanField(default=False)
    retarget_request_at = models.DateTimeField(null=True, blank=True,
                                               help_text="The high-intent request that pulled the due time in.")
    warn_notified = models.BooleanField(default=False)
    breach_notified = models.BooleanField(default=False)
    explanation = models.JSONField(default=dict, blank=True, help_text="Why the due time is what it is.")
    calendar = models.ForeignKey(BusinessCalendar, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                 help_text="The accountable team's calendar the clock counts on; empty: the "
                                           "policy's (domain.md section 6, docs/sla.md).")
    created_at = models.DateTimeField(default=_clock.now, editable=False)
    updated_at = models.DateTimeField(default=_clock.now)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["lead", "kind", "cycle"], name="sla_one_clock_per_kind_cycle"),
            models.CheckConstraint(condition=models.Q(due_at__gte=models.F("started_at")),
                                   name="sla_clock_due_after_start"),
            models.CheckConstraint(condition=models.Q(warn_at__lte=models.F("due_at")),
                                   name="sla_clock_warn_before_due"),
            models.CheckConstraint(condition=~models.Q(status="breached") | models.Q(breached_at__isnull=False),
                                   name="sla_clock_breach_has_time"),
            models.CheckConstraint(condition=models.Q(status="running") | models.Q(status="breached")
                                   | models.Q(stopped_at__isnull=False), name="sla_clock_stopped_has_time"),
        ]
        indexes = [
            # the sweep: only running clocks are in these (partial) indexes, so a quiet sweep is a tiny scan
            models.Index(fields=["due_at"], name="sla_clock_due_running", condition=models.Q(status="running")),
            models.Index(fields=["warn_at"], name="sla_clock_warn_pending",
                         condition=models.Q(status="running", warned_at__isnull=True)),
            models.Index(fields=["lead", "status"], name="sla_clock_lead"),
            models.Index(fields=["accountable_user", "due_at"], name="sla_clock_user_due"),
            models.Index(fields=["team", "due_at"], name="sla_clock_team_due"),
            models.Index(fields=["kind", "due_at"], name="sla_clock_kind_due"),
            models.Index(fields=["due_at", "id"], name="sla_clock_due"),  # the API's default order
        ]

    def __str__(self) -> str:
        return f"{self.kind} of lead {self.lead_id}: {self.status}"

    @property
    def side(self) -> str:
        return SIDE_OF_KIND[self.kind]

    @property
    def at_risk(self) -> bool:
        return self.status == ClockStatus.RUNNING and self.warned_at is not None


class ClockEventKind(models.TextChoices):
    STARTED = "started", "Started"
    RETARGETED = "retargeted", "Re-targeted"
    REASSIGNED = "reassigned", "Accountable changed"
    RECALCULATED = "recalculated", "Recalculated"
    WARNED = "warned", "At risk"
    BREACHED = "breached", "Breached"
    MET = "met", "Met"
    CANCELLED = "cancelled", "Cancelled"
    STOPPED = "stopped", "Stopped after its breach"


class SlaClockEvent(models.Model):
    """The history of a clock: one row per change, with old and new values in ``data`` (append-only)."""

    clock = models.ForeignKey(SlaClock, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=ClockEventKind.choices)
    occurred_at = models.DateTimeField()
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["clock", "occurred_at"], name="sla_clock_event_clock")]

    def __str__(self) -> str:
        return f"{self.clock_id} {self.kind} @ {self.occurred_at:%Y-%m-%d %H:%M}"


# --- notifications and the webhook outbox ------------------------------------------------------------


class NotificationKind(models.TextChoices):
    AT_RISK = "sla.at_risk", "SLA at risk"
    BREACHED = "sla.breached", "SLA breached"
    ESCALATION = "escalation.opened", "Escalation opened"


class EmailStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    SKIPPED = "skipped", "Skipped (no address)"
    FAILED = "failed", "Failed"


class Notification(models.Model):
    """An in-app notification (the bell), and the state of its e-mail copy.

    Written in the same transaction that marks the clock; the unique constraints make a second
    notification of the same kind to the same person for the same clock (or escalation) impossible.
    """

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=24, choices=NotificationKind.choices)
    clock = models.ForeignKey(SlaClock, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications")
    escalation = models.ForeignKey("sla.Escalation", null=True, blank=True, on_delete=models.CASCADE,
                                   related_name="notifications")
    lead = models.ForeignKey("lifecycle.Lead", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=_clock.now)
    read_at = models.DateTimeField(null=True, blank=True)
    email_status = models.CharField(max_length=10, choices=EmailStatus.choices, default=EmailStatus.PENDING)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["clock", "kind", "recipient"], condition=models.Q(clock__isnull=False),
                                    name="sla_notification_once_per_clock"),
            models.UniqueConstraint(fields=["escalation", "kind", "recipient"],
                                    condition=models.Q(escalation__isnull=False),
                                    name="sla_notification_once_per_escalation"),
        ]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="sla_notification_inbox"),
            models.Index(fields=["recipient"], name="sla_notification_unread",
                         condition=models.Q(read_at__isnull=True)),
            models.Index(fields=["created_at"], name="sla_notification_email_due",
                         condition=models.Q(email_status__in=["pending", "sending"])),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient_id}"


class OutboundEvent(models.Model):
    """The webhook outbox: one row per webhook event (``sla.at_risk``, ``sla.breached``,
    ``escalation.opened``), written in the transaction of the change it reports. ``id`` is the stable
    delivery id of api.md; the webhook dispatcher (a later issue) sends undispatched rows and stamps
    ``dispatched_at``. ``key`` makes each event happen once (``clock:42``)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event = models.CharField(max_length=40)
    key = models.CharField(max_length=80)
    occurred_at = models.DateTimeField()
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=_clock.now)
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [models.UniqueConstraint(fields=["event", "key"], name="sla_outbound_event_once")]
        indexes = [models.Index(fields=["created_at"], name="sla_outbox_pending",
                                condition=models.Q(dispatched_at__isnull=True))]

    def __str__(self) -> str:
        return f"{self.event} {self.key}"


# --- escalations, obligations ----------------------------------------------------------------------------


class Escalation(models.Model):
    """A rung of the escalation ladder, opened automatically with its evidence, closed on recovery
    (or when the next rung replaces it). At most one open escalation per team and side."""

    team = models.ForeignKey("leadops.Team", null=True, blank=True, on_delete=models.CASCADE,
                             related_name="escalations", help_text="Empty: company-wide (level 3).")
    side = models.CharField(max_length=10, choices=Side.choices)
    level = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(3)])
    week = models.DateField(help_text="Monday of the ISO week whose review opened it.")
    compliance = models.FloatField(null=True, blank=True)
    target = models.FloatField()
    weeks_under = models.PositiveSmallIntegerField(default=1)
    evidence = models.JSONField(default=dict, help_text="The weeks, their compliance, and the breached clocks.")
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(max_length=40, blank=True, help_text="recovered, raised")

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["team", "side"], condition=models.Q(closed_at__isnull=True),
                                    name="sla_one_open_escalation", nulls_distinct=False),
            models.CheckConstraint(condition=models.Q(level__gte=1, level__lte=3), name="sla_escalation_level"),
        ]
        indexes = [models.Index(fields=["team", "level"], name="sla_escalation_team_level")]

    def __str__(self) -> str:
        return f"L{self.level} {self.side} {self.team or 'company'}"

    @property
    def open(self) -> bool:
        return self.closed_at is None


class CapacityNotice(models.Model):
    """A sales team announcing a capacity change; less than the required lead time is flagged."""

    team = models.ForeignKey("leadops.Team", on_delete=models.CASCADE, related_name="capacity_notices")
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    filed_at = models.DateTimeField(default=_clock.now)
    effective_on = models.DateField()
    new_capacity = models.PositiveIntegerField(null=True, blank=True, help_text="Open leads the team can take.")
    note = models.TextField(blank=True)
    lead_time_days = models.IntegerField(help_text="Days from filing to the change.")
    short_notice = models.BooleanField(help_text="Filed with less than the required lead time.")

    class Meta:
        ordering = ["-filed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.team} from {self.effective_on}"


class MqlTarget(models.Model):
    """Marketing's monthly MQL volume target per team (empty team: the company)."""

    team = models.ForeignKey("leadops.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text="First day of the month.")
    target = models.PositiveIntegerField()

    class Meta:
        ordering = ["-month"]
        constraints = [models.UniqueConstraint(fields=["team", "month"], name="sla_mql_target_unique",
                                               nulls_distinct=False)]

    def __str__(self) -> str:
        return f"{self.team or 'Company'} {self.month:%Y-%m}: {self.target}"


class SlaSettings(models.Model):
    """The configurable thresholds of the marketing SLAs, obligations and the ladder (one row)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    compliance_target = models.FloatField(default=0.90)
    acceptance_floor = models.FloatField(default=0.60)
    quality_floor = models.FloatField(default=0.20)
    quality_healthy = models.FloatField(default=0.40)
    completeness_floor = models.FloatField(default=0.95)
    capacity_notice_days = models.PositiveSmallIntegerField(default=30)
    level2_weeks = models.PositiveSmallIntegerField(default=4)
    level3_weeks = models.PositiveSmallIntegerField(default=8, help_text="Two months of weeks under target.")

    class Meta:
        verbose_name_plural = "SLA settings"
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="sla_settings_singleton")]

    def __str__(self) -> str:
        return "SLA settings"
