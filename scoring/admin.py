"""Scoring in the admin: versions with their rules (read-only: a change is a new version, created through
the API so it is validated), activation as an admin action, and rescore runs with their progress."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from leadops.errors import DomainError
from scoring import selectors, services
from scoring.models import (
    BehaviourRule,
    FitRule,
    HighIntentSignal,
    RescoreRun,
    RunKind,
    RunStatus,
    ScoreChange,
    ScoringModel,
)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class FitRuleInline(ReadOnlyInline):
    model = FitRule
    fields = readonly_fields = ("position", "name", "field", "operator", "value", "points")


class BehaviourRuleInline(ReadOnlyInline):
    model = BehaviourRule
    fields = readonly_fields = ("position", "name", "event_type", "points", "cap", "half_life_days")


@admin.register(ScoringModel)
class ScoringModelAdmin(admin.ModelAdmin):
    list_display = ["version", "name", "is_active", "threshold", "created_by", "created_at", "activated_at",
                    "latest_run_progress"]
    readonly_fields = ["version", "name", "description", "threshold", "high_intent_event_types", "is_active",
                       "created_by", "created_at", "activated_at", "latest_run_progress"]
    inlines = [FitRuleInline, BehaviourRuleInline]
    actions = ["activate", "dry_run"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ScoringModel]:
        return selectors.scoring_models()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="Latest rescore")
    def latest_run_progress(self, obj: ScoringModel) -> str:
        run = selectors.latest_run(obj)
        if run is None:
            return "-"
        return f"{run.get_status_display()}: {run.done} / {run.total} ({run.percent:g} %)"

    @admin.action(description="Activate the selected version (rescores every lead in the background)")
    def activate(self, request: HttpRequest, queryset: QuerySet[ScoringModel]) -> None:
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one version to activate.", messages.ERROR)
            return
        model = queryset.get()
        try:
            run, started = services.scoring_model_activate(model_id=model.pk, actor=request.user)  # type: ignore[arg-type]
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        text = "rescore started" if started else "already active"
        self.message_user(request, f"Version {model.version}: {text} (run {run.pk}, {run.done} / {run.total}).")


    @admin.action(description="Dry run the selected version: how many leads would become MQL (in the background)")
    def dry_run(self, request: HttpRequest, queryset: QuerySet[ScoringModel]) -> None:
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one version to dry run.", messages.ERROR)
            return
        model = queryset.get()
        try:
            run, started = services.dry_run_start(model_id=model.pk, actor=request.user)  # type: ignore[arg-type]
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        text = "dry run started" if started else "a dry run is already running"
        self.message_user(request, f"Version {model.version}: {text} (run {run.pk}); see Rescore runs for its "
                                   f"progress and result.")


@admin.register(RescoreRun)
class RescoreRunAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "model", "status", "progress", "changed", "promoted", "dry_run_result",
                    "started_at", "heartbeat_at", "finished_at"]
    list_filter = ["kind", "status"]
    list_select_related = ["model"]
    fields = readonly_fields = ("model", "kind", "status", "day", "total", "done", "progress", "changed", "promoted",
                                "dry_run_result", "cursor", "created_by", "started_at", "heartbeat_at", "finished_at")

    @admin.display(description="Progress")
    def progress(self, obj: RescoreRun) -> str:
        return f"{obj.done} / {obj.total} ({obj.percent:g} %)"

    @admin.display(description="Dry run: would become MQL")
    def dry_run_result(self, obj: RescoreRun) -> str:
        if obj.kind != RunKind.DRY_RUN:
            return "-"
        answer = selectors.dry_run_answer(obj)
        channels = ", ".join(f"{c['channel']} {c['count']}" for c in answer["by_channel"])
        so_far = "" if obj.status == RunStatus.DONE else " so far"
        return f"{answer['would_become_mql']} of {answer['evaluated']}{so_far}" + (f" ({channels})" if channels else "")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(ScoreChange)
class ScoreChangeAdmin(admin.ModelAdmin):
    list_display = ["lead", "old_score", "new_score", "fit", "behaviour", "reason", "model", "at"]
    list_filter = ["reason"]
    raw_id_fields = ["lead", "event"]
    list_select_related = ["lead", "model"]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(HighIntentSignal)
class HighIntentSignalAdmin(ScoreChangeAdmin):
    list_display = ["lead", "event_type", "outcome", "transition", "handled_at"]
    list_filter = ["outcome", "event_type"]
    raw_id_fields = ["lead", "event", "transition"]
    list_select_related = ["lead"]
