"""Serializers of the SLA endpoints: separate input (``...In``) and output (``...Out``) shapes; inputs refuse
keys they do not declare (mass assignment is a bug)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.dateparse import parse_duration
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from leadops.api.strict import StrictSerializer
from leadops.models import Team
from sla.calendar_math import iso_duration
from sla.models import (
    Accountable,
    BusinessCalendar,
    CapacityNotice,
    Cause,
    ClockStatus,
    Escalation,
    Notification,
    NotificationKind,
    PolicyKind,
    Side,
    SlaClock,
    SlaPolicy,
)

EXPLANATION_SCHEMA = {"type": "object", "additionalProperties": {},
                      "description": "Why the due time is what it is: calendar, time_zone, hours, holidays_skipped, "
                                     "closed_days_skipped, business_duration, rule, text."}


def choice_field(choices: list[tuple[Any, Any]], enum_id: str, **kwargs: Any) -> serializers.ChoiceField:
    """A choice field whose enum has its own identity (``enum_id``), so its schema component is named after
    the serializer and field, never colliding with another app's ``kind`` or ``status``."""
    values = [value for value, _ in choices]

    @extend_schema_field({"type": "string", "enum": values, "x-spec-enum-id": f"sla.{enum_id}"})
    class InlineChoiceField(serializers.ChoiceField):
        pass

    return InlineChoiceField(choices=choices, **kwargs)


@extend_schema_field({"type": "string", "format": "duration", "example": "PT4H",
                      "description": "ISO 8601 duration (PT4H, PT5M, P14D)."})
class IsoDurationField(serializers.Field):
    default_error_messages = {
        "invalid": "Use an ISO 8601 duration such as PT4H, PT5M or P14D (days, hours, minutes, seconds).",
        "not_positive": "Must be a positive duration.",
    }

    def to_internal_value(self, data: Any) -> dt.timedelta:
        if not isinstance(data, str) or not data.strip().upper().startswith(("P", "-P", "+P")):
            self.fail("invalid")
        value = parse_duration(data.strip().upper())
        if value is None:
            self.fail("invalid")
        assert value is not None
        if value <= dt.timedelta(0):
            self.fail("not_positive")
        return value

    def to_representation(self, value: dt.timedelta) -> str:
        return iso_duration(value)


# --- clocks -----------------------------------------------------------------------------------------


class AccountableOut(serializers.Serializer):
    kind = choice_field(Accountable.choices, "accountable-kind",
                        help_text="Who answers for the clock: the owner rep, the team, or marketing ops.")
    user = serializers.IntegerField(allow_null=True, help_text="The accountable user's id (the owner rep).")
    team = serializers.IntegerField(allow_null=True, help_text="The accountable team's id.")


class ClockOut(serializers.ModelSerializer):
    policy = choice_field(PolicyKind.choices, "clock-policy", source="kind", read_only=True,
                          help_text="The policy kind.")
    policy_id = serializers.IntegerField(read_only=True, help_text="The policy version's id.")
    at_risk = serializers.BooleanField(read_only=True, help_text="Running and past its warning time.")
    accountable = serializers.SerializerMethodField()
    explanation = serializers.SerializerMethodField()
    status = choice_field(ClockStatus.choices, "clock-status", read_only=True)
    cause = choice_field(Cause.choices, "clock-cause", read_only=True, help_text="Why it breached, where known.")

    class Meta:
        model = SlaClock
        fields = ["id", "lead", "policy", "policy_id", "policy_version", "cycle", "status", "at_risk", "started_at",
                  "due_at", "warn_at", "stopped_at", "breached_at", "warned_at", "accountable", "cause",
                  "stop_reason", "high_intent", "explanation"]
        read_only_fields = fields

    @extend_schema_field(AccountableOut)
    def get_accountable(self, c: SlaClock) -> dict[str, Any]:
        return {"kind": c.accountable, "user": c.accountable_user_id, "team": c.team_id}

    @extend_schema_field(EXPLANATION_SCHEMA)
    def get_explanation(self, c: SlaClock) -> dict[str, Any]:
        return c.explanation or {}


# --- calendars --------------------------------------------------------------------------------------------


class IntervalSerializer(StrictSerializer):
    weekday = serializers.IntegerField(min_value=0, max_value=6, help_text="0 = Monday ... 6 = Sunday.")
    start = serializers.RegexField(r"^\d{2}:\d{2}$", help_text="HH:MM, local time.")
    end = serializers.RegexField(r"^\d{2}:\d{2}$", help_text="HH:MM, local time; 24:00 is the end of the day.")


class HolidaySerializer(StrictSerializer):
    date = serializers.DateField()
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class CalendarOut(serializers.ModelSerializer):
    working_hours = IntervalSerializer(many=True, read_only=True)
    holidays = serializers.SerializerMethodField()
    hours = serializers.SerializerMethodField(help_text="The weekly hours in words (Mon-Fri 09:00-17:00).")

    class Meta:
        model = BusinessCalendar
        fields = ["id", "name", "time_zone", "working_hours", "hours", "holidays", "is_default", "version",
                  "created_at", "updated_at"]
        read_only_fields = fields

    @extend_schema_field(HolidaySerializer(many=True))
    def get_holidays(self, calendar: BusinessCalendar) -> list[dict[str, str]]:
        return [{"date": h.date.isoformat(), "name": h.name} for h in calendar.holidays.all()]

    def get_hours(self, calendar: BusinessCalendar) -> str:
        return calendar.spec().describe_hours()


class CalendarIn(StrictSerializer):
    name = serializers.CharField(max_length=120)
    time_zone = serializers.CharField(max_length=64, help_text="An IANA zone, e.g. Europe/Berlin.")
    working_hours = IntervalSerializer(many=True, required=False,
                                       help_text="Weekly intervals; several per day; none overlapping. "
                                                 "Default: 24x7.")
    holidays = HolidaySerializer(many=True, required=False, help_text="Replaces the holidays when given.")
    is_default = serializers.BooleanField(required=False)


class IcsImportIn(StrictSerializer):
    ics = serializers.CharField(max_length=1_000_000, trim_whitespace=False, help_text="iCalendar text (VEVENTs).")
    replace = serializers.BooleanField(required=False, default=False,
                                       help_text="Replace the existing holidays instead of adding to them.")


class IcsImportOut(serializers.Serializer):
    events = serializers.IntegerField()
    holidays_found = serializers.IntegerField()
    created = serializers.IntegerField()
    already_present = serializers.IntegerField()
    skipped = serializers.ListField(child=serializers.CharField())
    calendar = CalendarOut()


class ExplainIn(StrictSerializer):
    start = serializers.DateTimeField()
    duration = IsoDurationField()


class ExplainOut(serializers.Serializer):
    start = serializers.DateTimeField()
    due = serializers.DateTimeField()
    explanation = serializers.DictField()


# --- policies -------------------------------------------------------------------------------------------


class PolicyOut(serializers.ModelSerializer):
    kind = choice_field(PolicyKind.choices, "policy-out-kind", read_only=True)
    target = IsoDurationField(read_only=True)
    high_intent_target = IsoDurationField(read_only=True, allow_null=True)

    class Meta:
        model = SlaPolicy
        fields = ["id", "kind", "target", "high_intent_target", "required_attempts", "calendar", "use_team_calendar",
                  "warn_fraction", "version", "active", "note", "created_by", "created_at"]
        read_only_fields = fields


class PolicyIn(StrictSerializer):
    kind = choice_field(PolicyKind.choices, "policy-in-kind")
    target = IsoDurationField(help_text="Business time from start to due (touch_cadence: the window).")
    high_intent_target = IsoDurationField(required=False, allow_null=True, help_text="first_contact only.")
    required_attempts = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=100,
                                                 help_text="touch_cadence only.")
    calendar = serializers.PrimaryKeyRelatedField(queryset=BusinessCalendar.objects.all(), required=False,
                                                  help_text="Default: the default calendar.")
    use_team_calendar = serializers.BooleanField(
        required=False, help_text="Clocks of a team with its own calendar count on the team's calendar. Default: "
                                  "true for first_contact, sal_review and routing; false for the two-week kinds.")
    warn_fraction = serializers.FloatField(required=False, help_text="Strictly between 0 and 1 (default 0.75).")
    active = serializers.BooleanField(required=False, default=True)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True)

    def validate_warn_fraction(self, value: float) -> float:
        if not 0 < value < 1:
            raise serializers.ValidationError("Must be strictly between 0 and 1 (e.g. 0.75).")
        return value


class PolicyPatchIn(PolicyIn):
    kind = None  # type: ignore[assignment]  # a version's kind never changes

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("partial", True)
        super().__init__(*args, **kwargs)


class RecalculateOut(serializers.Serializer):
    recalculated = serializers.IntegerField(help_text="Running clocks moved onto the active version.")


# --- escalations, notifications, obligations -------------------------------------------------------------


class EscalationOut(serializers.ModelSerializer):
    open = serializers.BooleanField(read_only=True)
    side = choice_field(Side.choices, "escalation-side", read_only=True)
    evidence = serializers.SerializerMethodField()

    class Meta:
        model = Escalation
        fields = ["id", "team", "side", "level", "week", "compliance", "target", "weeks_under", "evidence",
                  "opened_at", "closed_at", "close_reason", "open"]
        read_only_fields = fields

    @extend_schema_field({"type": "object", "additionalProperties": {},
                          "description": "weeks (week, met, breached, compliance), breached_clocks, target."})
    def get_evidence(self, e: Escalation) -> dict[str, Any]:
        return e.evidence or {}


class NotificationOut(serializers.ModelSerializer):
    read = serializers.SerializerMethodField()
    kind = choice_field(NotificationKind.choices, "notification-kind", read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "url", "lead", "clock", "escalation", "created_at", "read_at", "read"]
        read_only_fields = fields

    def get_read(self, n: Notification) -> bool:
        return n.read_at is not None


class MarkReadIn(StrictSerializer):
    ids = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, max_length=1000,
                                help_text="Notifications to mark read; omit to mark all.")


class UnreadOut(serializers.Serializer):
    unread = serializers.IntegerField()
    updated = serializers.IntegerField(required=False)


class CapacityNoticeOut(serializers.ModelSerializer):
    class Meta:
        model = CapacityNotice
        fields = ["id", "team", "filed_by", "filed_at", "effective_on", "new_capacity", "note", "lead_time_days",
                  "short_notice"]
        read_only_fields = fields


class CapacityNoticeIn(StrictSerializer):
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all())
    effective_on = serializers.DateField()
    new_capacity = serializers.IntegerField(min_value=0, max_value=1_000_000, required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class MeasureOut(serializers.Serializer):
    name = serializers.CharField()
    value = serializers.FloatField(allow_null=True)
    target = serializers.FloatField(allow_null=True)
    status = choice_field([(x, x) for x in ("ok", "healthy", "below", "flagged", "no_data", "no_target")],
                          "measure-status")
    numerator = serializers.IntegerField()
    denominator = serializers.IntegerField()
    detail = serializers.DictField()


class ObligationsOut(serializers.Serializer):
    team = serializers.IntegerField(allow_null=True)
    team_name = serializers.CharField()
    month = serializers.CharField(help_text="YYYY-MM")
    marketing = MeasureOut(many=True)
    sales = MeasureOut(many=True)

