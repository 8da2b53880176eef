"""Reporting's admin: the alignment pulse's surveys are configuration (an admin may move a pulse's window);
answers, forecast snapshots and rollups are history or derived data, read-only."""

from django.contrib import admin

from leadops.admin_base import ReadOnlyAdmin
from reporting.models import ForecastSnapshot, PulseResponse, PulseSurvey, RollupState


@admin.register(PulseSurvey)
class PulseSurveyAdmin(admin.ModelAdmin):
    list_display = ("period_start", "opens_at", "closes_at", "question")
    ordering = ("-period_start",)


@admin.register(PulseResponse)
class PulseResponseAdmin(ReadOnlyAdmin):
    list_display = ("survey", "side", "team", "score", "answered_at")
    list_filter = ("side", "survey")
    exclude = ("respondent",)  # answers are anonymous to everyone reading them


@admin.register(ForecastSnapshot)
class ForecastSnapshotAdmin(ReadOnlyAdmin):
    list_display = ("week", "taken_at", "open_deals", "open_amount")


@admin.register(RollupState)
class RollupStateAdmin(ReadOnlyAdmin):
    list_display = ("name", "as_of", "seconds", "rows")
    exclude = ("aging",)
