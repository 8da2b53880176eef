from typing import Any

from django import forms
from django.contrib import admin

from leadops.admin_base import ReadOnlyAdmin
from leadops.errors import DomainError
from lifecycle import selectors
from lifecycle.models import (
    Account,
    Campaign,
    DispositionReason,
    Lead,
    LeadExternalId,
    LeadTypeOption,
    MarketingEvent,
    Opportunity,
    RevenueTarget,
    StageTransition,
    Touch,
    TouchChannel,
    TouchOutcome,
)
from lifecycle.services.lead_types import check_option, lead_type_refusal


class TransitionInline(admin.TabularInline):
    model = StageTransition
    fields = ("seq", "cycle", "from_stage", "to_stage", "actor_kind", "actor", "reason", "trigger", "note",
              "override", "occurred_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["seq"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class LeadAdminForm(forms.ModelForm):
    """``lead_type`` is a choice of the active lead types, plus the lead's own if it has been retired (kept)."""

    lead_type = forms.ChoiceField()  # the admin's form factory adds the model and the other fields

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = selectors.lead_type_labels()
        self.active_codes = selectors.active_lead_type_codes()
        codes = list(self.active_codes)
        current = self.instance.lead_type if self.instance.pk else None
        if current and current not in codes:
            codes.append(current)
        field = self.fields["lead_type"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(code, labels.get(code, code)) for code in codes]
        field.initial = current or Lead._meta.get_field("lead_type").get_default()

    def clean_lead_type(self) -> str:
        code = self.cleaned_data["lead_type"]
        if self.instance.pk and code == self.instance.lead_type:
            return code  # a retired type stays on the lead that has it
        refusal = lead_type_refusal(code, allowed=self.active_codes)
        if refusal is not None:
            raise forms.ValidationError(refusal.details["fields"]["lead_type"])
        return code


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    """Contact facts are editable here; stage, owner and scores move only through the services."""

    form = LeadAdminForm

    list_display = ["email", "full_name", "company_name", "stage", "status", "score", "owner", "team", "created_at"]
    list_filter = ["stage", "status", "source", "high_intent", "lead_type"]
    search_fields = ["email", "first_name", "last_name", "company_name"]
    list_select_related = ["owner", "team"]
    show_full_result_count = False
    raw_id_fields = ["account", "first_campaign", "latest_campaign"]
    readonly_fields = [
        "stage", "status", "owner", "team", "assigned_at", "fit_score", "behaviour_score", "score", "high_intent",
        "disposition", "disposition_note", "recycle_count", "transition_count", "budget", "authority", "need",
        "timeline", "became_lead_at", "became_mql_at", "became_sal_at", "became_sql_at", "became_opportunity_at",
        "became_customer_at", "became_nurture_at", "became_disqualified_at", "touch_attempts", "first_attempt_at",
        "last_touch_at", "created_at", "updated_at", "seniority",
    ]
    inlines = [TransitionInline]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(StageTransition)
class StageTransitionAdmin(ReadOnlyAdmin):
    list_display = ["lead", "seq", "cycle", "from_stage", "to_stage", "actor_kind", "actor", "reason", "occurred_at"]
    list_filter = ["to_stage", "actor_kind", "override"]
    raw_id_fields = ["lead"]
    show_full_result_count = False


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["name", "domain", "industry", "employee_count", "country", "owner"]
    search_fields = ["name", "domain"]
    list_filter = ["industry", "country"]


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "channel", "type", "cost", "starts_on", "ends_on", "expected_volume"]
    list_filter = ["channel"]
    search_fields = ["name"]


@admin.register(DispositionReason)
class DispositionReasonAdmin(admin.ModelAdmin):
    list_display = ["code", "kind", "label", "target_stage", "requires_cadence", "returns_to_marketing", "active"]
    list_filter = ["kind", "active"]
    list_editable = ["active"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # reasons are referenced by history; deactivate instead


class LeadTypeOptionForm(forms.ModelForm):
    class Meta:
        model = LeadTypeOption
        fields = ["code", "label", "active", "position"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        option = LeadTypeOption(pk=self.instance.pk, **{k: cleaned.get(k, getattr(self.instance, k))
                                                      for k in ("code", "label", "active", "position")})
        try:
            check_option(option)
        except DomainError as exc:
            fields = exc.details.get("fields", {})
            raise forms.ValidationError({name: message for name, message in fields.items()
                                         if name in self.fields} or exc.message) from exc
        return cleaned


@admin.register(LeadTypeOption)
class LeadTypeOptionAdmin(admin.ModelAdmin):
    """The lead-type catalogue: add, relabel, reorder, retire (active off). A used code cannot change and no
    type is deleted (leads and routing rules store the code)."""

    form = LeadTypeOptionForm
    list_display = ["code", "label", "active", "position"]
    list_filter = ["active"]

    def get_readonly_fields(self, request: Any, obj: LeadTypeOption | None = None) -> Any:
        if obj is not None and selectors.lead_type_in_use(obj.code):
            return ["code"]
        return []

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False  # leads and rules store the code; retire instead


@admin.register(TouchChannel)
class TouchChannelAdmin(admin.ModelAdmin):
    list_display = ["code", "label", "counts_as_attempt"]


@admin.register(TouchOutcome)
class TouchOutcomeAdmin(admin.ModelAdmin):
    list_display = ["code", "label", "counts_as_attempt", "is_connect"]


@admin.register(MarketingEvent)
class MarketingEventAdmin(ReadOnlyAdmin):
    list_display = ["lead", "type", "campaign", "occurred_at", "source", "external_id"]
    list_filter = ["type", "source"]
    raw_id_fields = ["lead"]
    show_full_result_count = False


@admin.register(Touch)
class TouchAdmin(ReadOnlyAdmin):
    list_display = ["lead", "rep", "channel", "outcome", "occurred_at", "counts_as_attempt"]
    list_filter = ["channel", "outcome", "counts_as_attempt"]
    raw_id_fields = ["lead"]
    show_full_result_count = False


@admin.register(Opportunity)
class OpportunityAdmin(admin.ModelAdmin):
    list_display = ["name", "lead", "owner", "amount", "currency", "deal_stage", "close_date"]
    list_filter = ["deal_stage"]
    raw_id_fields = ["lead", "account"]
    readonly_fields = ["deal_stage", "lost_reason", "closed_at", "lead", "cycle"]

    def has_add_permission(self, request) -> bool:
        return False  # created by converting an SQL


@admin.register(RevenueTarget)
class RevenueTargetAdmin(admin.ModelAdmin):
    list_display = ["team", "period_start", "amount", "currency"]


admin.site.register(LeadExternalId)
