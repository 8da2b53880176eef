"""Admin: rules and settings are edited here (through the services' checks); the ledger and the round-robin
state are read-only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from leadops.admin_base import ReadOnlyAdmin
from leadops.errors import DomainError
from routing import services
from routing.models import Assignment, RoundRobinState, RoutingRule, RoutingSettings


class RoutingRuleForm(forms.ModelForm):
    class Meta:
        model = RoutingRule
        fields = list(services.RULE_FIELDS)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            values = services.validate_rule_values({name: data.get(name) for name in services.RULE_FIELDS})
        except DomainError as exc:
            fields = exc.details.get("fields", {})
            raise ValidationError({name: msg for name, msg in fields.items() if name in self.fields}
                                  or exc.message) from exc
        data.update({k: v for k, v in values.items() if k in services.RULE_FIELDS})
        return data


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    form = RoutingRuleForm
    list_display = ["name", "priority", "active", "is_default", "target", "conditions", "updated_at"]
    list_filter = ["active", "is_default", "target_team"]
    search_fields = ["name"]
    ordering = ["is_default", "priority", "id"]
    raw_id_fields = ["target_rep"]

    @admin.display(description="Target")
    def target(self, obj: RoutingRule) -> str:
        return f"team {obj.target_team}" if obj.target_team_id else f"rep {obj.target_rep}"

    @admin.display(description="Conditions")
    def conditions(self, obj: RoutingRule) -> str:
        parts = []
        if obj.countries or obj.regions:
            parts.append("geo " + ",".join([*obj.regions, *obj.countries]))
        if obj.employee_count_min is not None or obj.employee_count_max is not None:
            parts.append(f"employees {obj.employee_count_min or 0}-{obj.employee_count_max or '∞'}")
        for label, values in (("industry", obj.industries), ("type", obj.lead_types), ("source", obj.sources)):
            if values:
                parts.append(f"{label} " + ",".join(values))
        return "; ".join(parts) or ("every lead" if obj.is_default else "any lead")

    def save_model(self, request, obj: RoutingRule, form, change: bool) -> None:
        values = {name: form.cleaned_data.get(name) for name in services.RULE_FIELDS}
        saved = (services.routing_rule_update(rule_id=obj.pk, **values) if change
                 else services.routing_rule_create(**values))
        obj.pk = saved.pk

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the ledger refers to rules: deactivate instead


@admin.register(RoutingSettings)
class RoutingSettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "catch_up", "catch_up_max_leads", "account_match", "retry_limit", "updated_at"]

    def has_add_permission(self, request) -> bool:
        return not RoutingSettings.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    """The ledger: every routing decision and reassignment, read-only."""

    list_display = ["decided_at", "lead", "method", "rep", "team", "rule_name", "slot", "latency_ms", "trigger"]
    list_filter = ["method", "trigger", "team"]
    list_select_related = ["lead", "rep", "team"]
    search_fields = ["lead__email", "rep__username", "rule_name"]
    date_hierarchy = "decided_at"
    show_full_result_count = False


@admin.register(RoundRobinState)
class RoundRobinStateAdmin(ReadOnlyAdmin):
    list_display = ["team", "seq", "updated_at"]
