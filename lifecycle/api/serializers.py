"""Serializers of the lead endpoints: separate input (``...In``) and output (``...Out``) shapes.

Input serializers refuse every key they do not declare: a PATCH carrying ``stage``, ``owner`` or a
score answers 422 naming the field and changes nothing (mass assignment is a bug, style.md).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from leadops import clock
from leadops.models import User
from lifecycle.api.fields import (
    FUTURE_SKEW,
    LEAD_TYPE_HELP,
    CountryField,
    CurrencyField,
    StrictSerializer,
    VisibleLeadField,
    money_field,
)
from lifecycle.models import (
    Campaign,
    Channel,
    DealStage,
    DispositionReason,
    Lead,
    LeadExternalId,
    MarketingEvent,
    Opportunity,
    Touch,
)
from lifecycle.services.leads import EDITABLE_FIELDS
from lifecycle.state_machine import By, Stage, moves_from
from sla.api.serializers import ClockOut
from sla.selectors import open_clocks_for

# --- summaries of related records -----------------------------------------------------------------


class UserSummary(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)
    name = serializers.CharField(source="get_full_name", read_only=True)


class TeamSummary(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class AccountSummary(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    domain = serializers.CharField(read_only=True)
    industry = serializers.CharField(read_only=True)
    employee_count = serializers.IntegerField(read_only=True, allow_null=True)
    country = serializers.CharField(read_only=True)
    owner = serializers.IntegerField(source="owner_id", read_only=True, allow_null=True)


class DispositionSummary(serializers.Serializer):
    code = serializers.CharField(read_only=True)
    # api.md names that shadow attributes of Field in the stubs (DRF pops declared fields off the class)
    label = serializers.CharField(read_only=True)  # type: ignore[assignment]
    kind = serializers.CharField(read_only=True)


# --- leads ----------------------------------------------------------------------------------------

STAGE_TIMESTAMPS = [f"became_{stage}_at" for stage in Stage.values if stage != Stage.SUBSCRIBER]
READ_ONLY_MESSAGE = "Read-only: stage, owner, team, status and scores change through the lead's actions."
LEAD_REFUSED = {
    **{f.name: READ_ONLY_MESSAGE for f in Lead._meta.concrete_fields if f.name not in EDITABLE_FIELDS},
    **{f.attname: READ_ONLY_MESSAGE for f in Lead._meta.concrete_fields if f.name not in EDITABLE_FIELDS},
    "campaign": "Campaigns are set by marketing events, or given when the lead is created.",
    "external_id": "Given when the lead is created.",
    "disposition": READ_ONLY_MESSAGE,
}


class LeadOut(serializers.ModelSerializer):
    campaign = serializers.IntegerField(source="latest_campaign_id", read_only=True, allow_null=True,
                                        help_text="The latest campaign (same as latest_campaign).")
    first_campaign = serializers.IntegerField(source="first_campaign_id", read_only=True, allow_null=True)
    latest_campaign = serializers.IntegerField(source="latest_campaign_id", read_only=True, allow_null=True)
    external_id = serializers.SerializerMethodField(help_text="Your own id for this lead (per API client).")
    account = AccountSummary(read_only=True, allow_null=True)
    owner = UserSummary(read_only=True, allow_null=True)
    team = TeamSummary(read_only=True, allow_null=True)
    disposition = DispositionSummary(read_only=True, allow_null=True)

    class Meta:
        model = Lead
        fields = [
            "id", "email", "first_name", "last_name", "title", "seniority", "phone", "company_name",
            "company_domain", "employee_count", "industry", "country", "account", "lead_type", "source",
            "campaign", "first_campaign", "latest_campaign", "external_id", "stage", "status", "owner", "team",
            "assigned_at", "score", "fit_score", "behaviour_score", "high_intent", "recycle_count", "disposition",
            "created_at", "updated_at", *STAGE_TIMESTAMPS, "touch_attempts", "first_attempt_at", "last_touch_at",
        ]
        read_only_fields = fields

    def get_external_id(self, lead: Lead) -> str | None:
        prefetched = getattr(lead, "client_external_ids", None)
        if prefetched is not None:
            return prefetched[0].external_id if prefetched else None
        request = self.context.get("request")
        if request is None:
            return None
        return (LeadExternalId.objects.filter(lead=lead, client=request.user)
                .values_list("external_id", flat=True).first())


class MoveOut(serializers.Serializer):
    action = serializers.CharField()
    to = serializers.ChoiceField(choices=Stage.choices)


class LeadDetailOut(LeadOut):
    score_explanation = serializers.SerializerMethodField(
        help_text="Why this score (and MQL): the scoring version, fit, behaviour, total, threshold and each rule's "
                  "contribution after decay and caps (docs/scoring.md); null when no scoring model exists.")
    open_sla_clocks = serializers.SerializerMethodField(
        help_text="The lead's open SLA clocks (running, or breached and not yet stopped), each with the "
                  "explanation of its due time.")
    next_moves = serializers.SerializerMethodField(
        help_text="Moves the transition table allows from this stage through an action (whether the caller "
                  "may make one is decided when it is posted).")

    class Meta(LeadOut.Meta):
        fields = [*LeadOut.Meta.fields, "disposition_note", "budget", "authority", "need", "timeline",
                  "score_explanation", "open_sla_clocks", "next_moves"]
        read_only_fields = fields

    @extend_schema_field({"type": "object", "nullable": True, "additionalProperties": {}})
    def get_score_explanation(self, lead: Lead) -> dict[str, Any] | None:
        from scoring.selectors import explanation_for

        return explanation_for(lead)

    @extend_schema_field(ClockOut(many=True))
    def get_open_sla_clocks(self, lead: Lead) -> Any:
        return ClockOut(open_clocks_for(lead), many=True).data

    @extend_schema_field(MoveOut(many=True))
    def get_next_moves(self, lead: Lead) -> list[dict[str, str]]:
        return [{"action": move.action, "to": str(move.target)} for move in moves_from(lead.stage)
                if move.by != frozenset({By.SYSTEM})]


class LeadFieldsIn(StrictSerializer):
    """The contact and firmographic fields a caller may write (``EDITABLE_FIELDS`` of the lead service)."""

    refused = LEAD_REFUSED

    email = serializers.EmailField(max_length=254)
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    title = serializers.CharField(max_length=150, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    company_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    company_domain = serializers.CharField(max_length=253, required=False, allow_blank=True)
    employee_count = serializers.IntegerField(min_value=0, max_value=10_000_000, required=False, allow_null=True)
    industry = serializers.CharField(max_length=80, required=False, allow_blank=True)
    country = CountryField(required=False, allow_blank=True)
    # checked by the lead services (lifecycle.services.lead_types), which know whether it changes
    lead_type = serializers.CharField(required=False, help_text=LEAD_TYPE_HELP)
    source = serializers.ChoiceField(  # type: ignore[assignment]  # api.md name (see DispositionSummary.label)
        choices=Channel.choices, required=False, allow_blank=True)


class LeadCreateIn(LeadFieldsIn):
    refused = {name: text for name, text in LEAD_REFUSED.items() if name not in ("campaign", "external_id")}

    campaign = serializers.PrimaryKeyRelatedField(
        queryset=Campaign.objects.all(),
        required=False, allow_null=True, help_text="The campaign that brought the lead (first and latest).")
    external_id = serializers.CharField(max_length=200, required=False, allow_blank=False,
                                        help_text="Your own id for the lead (unique per API client).")


class LeadUpdateIn(LeadFieldsIn):
    pass


# --- actions --------------------------------------------------------------------------------------


class ActionIn(StrictSerializer):
    expected_stage = serializers.ChoiceField(
        choices=Stage.choices, required=False,
        help_text="The stage the caller saw; if the lead has moved since, the answer is 409 `stale`.")


class NoteIn(ActionIn):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class PromoteIn(NoteIn):
    to = serializers.ChoiceField(choices=[(Stage.LEAD, "Lead"), (Stage.MQL, "MQL")])


class AcceptIn(NoteIn):
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), required=False, allow_null=True,
        help_text="The rep who takes the lead; default: the routed owner.")


class ReasonIn(NoteIn):
    reason = serializers.CharField(max_length=40, help_text="A code from /dispositions/ of the action's kind.")


class DisqualifyIn(ReasonIn):
    override = serializers.BooleanField(
        required=False, default=False,
        help_text="A sales manager's override of an unmet touch cadence (recorded as an SLA breach).")


class QualifyIn(NoteIn):
    budget = serializers.CharField(max_length=300)
    authority = serializers.CharField(max_length=300)
    need = serializers.CharField(max_length=300)
    timeline = serializers.CharField(max_length=300)


class ConvertIn(ActionIn):
    amount = money_field()
    currency = CurrencyField(required=False, default="USD")
    close_date = serializers.DateField()
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class AssignIn(NoteIn):
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), help_text="The rep who takes the lead.")


class TimelineItemOut(serializers.Serializer):
    kind = serializers.CharField(help_text="transition, event, touch, assignment, opportunity, ...")
    occurred_at = serializers.DateTimeField()
    cycle = serializers.IntegerField(allow_null=True)
    summary = serializers.CharField()
    data = serializers.DictField()  # type: ignore[assignment]  # api.md name (see DispositionSummary.label)


class TimelineOut(serializers.Serializer):
    results = TimelineItemOut(many=True)


# --- touches, events, opportunities --------------------------------------------------------------


class TouchOut(serializers.ModelSerializer):
    channel = serializers.CharField(source="channel_id", read_only=True)
    outcome = serializers.CharField(source="outcome_id", read_only=True)

    class Meta:
        model = Touch
        fields = ["id", "lead", "rep", "channel", "outcome", "occurred_at", "note", "counts_as_attempt", "cycle",
                  "created_at"]
        read_only_fields = fields


class TouchIn(StrictSerializer):
    lead = VisibleLeadField()
    rep = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False,
        help_text="Who made the touch; default the caller. Integrators must give it; managers and admins may.")
    channel = serializers.CharField(max_length=30, help_text="A touch channel code (call, email, ...).")
    outcome = serializers.CharField(max_length=30, help_text="A touch outcome code (attempted, connected, ...).")
    occurred_at = serializers.DateTimeField(help_text="Not in the future.")
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class EventOut(serializers.ModelSerializer):
    class Meta:
        model = MarketingEvent
        fields = ["id", "lead", "type", "campaign", "occurred_at", "properties", "source", "external_id",
                  "created_at"]
        read_only_fields = fields


class EventIn(StrictSerializer):
    lead = VisibleLeadField(required=False, help_text="The lead's id; or give `email`.")
    email = serializers.EmailField(max_length=254, required=False,
                                   help_text="The lead's email; an unknown email creates the lead.")
    type = serializers.RegexField(r"^[A-Za-z0-9_.:-]+$", max_length=40,
                                  help_text="Event type, e.g. demo_request, pricing_page_view, email_open.")
    occurred_at = serializers.DateTimeField()
    campaign = serializers.PrimaryKeyRelatedField(
        queryset=Campaign.objects.all(),
        required=False, allow_null=True)
    source = serializers.CharField(  # type: ignore[assignment]  # api.md name (see DispositionSummary.label)
        max_length=60, required=False, default="api",
        help_text="The system the event comes from; with external_id the idempotency key.")
    external_id = serializers.CharField(max_length=200, required=False, allow_null=True, allow_blank=False)
    properties = serializers.DictField(required=False, default=dict)

    def validate_occurred_at(self, value: dt.datetime) -> dt.datetime:
        if value > clock.now() + FUTURE_SKEW:
            raise serializers.ValidationError("Must not be in the future.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("lead" in attrs) == ("email" in attrs):
            raise serializers.ValidationError({"lead": "Give either lead or email (exactly one)."})
        return attrs


class EventResultOut(serializers.Serializer):
    index = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["created", "existing", "error"])
    id = serializers.IntegerField(allow_null=True, help_text="The event's id.")
    lead = serializers.IntegerField(allow_null=True)
    errors = serializers.DictField(  # type: ignore[assignment]  # the bulk answer's name (api.md)
        allow_null=True, help_text="The error (code, message, details) of this item.")


class OpportunityOut(serializers.ModelSerializer):
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    lost_reason: serializers.SlugRelatedField[DispositionReason] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Opportunity
        fields = ["id", "lead", "account", "owner", "name", "deal_stage", "amount", "currency", "close_date",
                  "lost_reason", "cycle", "created_at", "closed_at"]
        read_only_fields = fields


class OpportunityUpdateIn(StrictSerializer):
    refused = {name: "Read-only." for name in ("id", "lead", "account", "owner", "cycle", "created_at", "closed_at")}

    deal_stage = serializers.ChoiceField(choices=DealStage.choices, required=False)
    amount = money_field(required=False)
    close_date = serializers.DateField(required=False)
    lost_reason = serializers.CharField(
        max_length=40, required=False, help_text="A closed_lost code from /dispositions/; with deal_stage closed_lost.")
    name = serializers.CharField(max_length=200, required=False)
    currency = CurrencyField(required=False)


class ConvertOut(LeadDetailOut):
    opportunity = serializers.SerializerMethodField(help_text="The opportunity the conversion created.")

    class Meta(LeadDetailOut.Meta):
        fields = [*LeadDetailOut.Meta.fields, "opportunity"]
        read_only_fields = fields

    @extend_schema_field(OpportunityOut(allow_null=True))
    def get_opportunity(self, lead: Lead) -> dict[str, Any] | None:
        opportunity = self.context.get("opportunity")
        return OpportunityOut(opportunity).data if opportunity is not None else None
