"""Admin for the SLA app. Calendars, targets, notices and settings are edited here; policy versions, clocks,
their history, notifications, the outbox and escalations are read-only (they change through services)."""

from __future__ import annotations

from django.contrib import admin

from leadops.admin_base import ReadOnlyAdmin
from sla.models import (
    BusinessCalendar,
    CapacityNotice,
    Escalation,
    Holiday,
    MqlTarget,
    Notification,
    OutboundEvent,
    SlaClock,
    SlaClockEvent,
    SlaPolicy,
    SlaSettings,
)


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone", "is_default", "version", "updated_at"]
    readonly_fields = ["version", "created_at", "updated_at"]
    inlines = [HolidayInline]

    def save_model(self, request, obj, form, change) -> None:
        from sla.services.policies import _check_calendar

        obj.working_hours = _check_calendar(obj.time_zone, obj.working_hours)
        if change:
            obj.version += 1
        super().save_model(request, obj, form, change)


@admin.register(SlaPolicy)
class SlaPolicyAdmin(ReadOnlyAdmin):
    list_display = ["kind", "version", "target", "high_intent_target", "required_attempts", "calendar",
                    "use_team_calendar", "warn_fraction", "active", "created_at"]
    list_filter = ["kind", "active"]


class ClockEventInline(admin.TabularInline):
    model = SlaClockEvent
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "occurred_at", "data"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SlaClock)
class SlaClockAdmin(ReadOnlyAdmin):
    list_display = ["id", "lead", "kind", "status", "started_at", "due_at", "stopped_at", "accountable_user", "team",
                    "cause"]
    list_filter = ["kind", "status", "cause"]
    raw_id_fields = ["lead"]
    inlines = [ClockEventInline]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["id", "recipient", "kind", "title", "created_at", "read_at", "email_status"]
    list_filter = ["kind", "email_status"]


@admin.register(OutboundEvent)
class OutboundEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "event", "key", "occurred_at", "dispatched_at"]
    list_filter = ["event"]


@admin.register(Escalation)
class EscalationAdmin(ReadOnlyAdmin):
    list_display = ["id", "team", "side", "level", "week", "compliance", "opened_at", "closed_at", "close_reason"]
    list_filter = ["side", "level"]


@admin.register(CapacityNotice)
class CapacityNoticeAdmin(admin.ModelAdmin):
    list_display = ["team", "effective_on", "new_capacity", "filed_at", "lead_time_days", "short_notice"]
    readonly_fields = ["lead_time_days", "short_notice", "filed_at"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(MqlTarget)
class MqlTargetAdmin(admin.ModelAdmin):
    list_display = ["team", "month", "target"]


@admin.register(SlaSettings)
class SlaSettingsAdmin(admin.ModelAdmin):
    list_display = ["compliance_target", "acceptance_floor", "quality_floor", "quality_healthy",
                    "completeness_floor", "capacity_notice_days", "level2_weeks", "level3_weeks"]

    def has_add_permission(self, request) -> bool:
        return not SlaSettings.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
