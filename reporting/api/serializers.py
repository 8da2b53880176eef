"""Input (query parameters) and output serializers of the /reports/ endpoints (output ones describe the
schema; the views build plain dicts from the selectors' dataclasses)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from rest_framework import serializers

from leadops import clock
from reporting.selectors import attribution, funnel, sla, weekly

MAX_DAYS = 731
WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


class PeriodIn(serializers.Serializer):
    """``from`` and ``to`` (dates, both included; default: the 30 days to today) and a choice field."""

    choice_name = "group_by"
    choices: tuple[str, ...] = ()
    default_choice = ""
    default_days = 30  # without ``from``: this many days ending on ``to``
    default_days_after_today = 0  # without ``to``: today plus this many days

    def get_fields(self) -> dict[str, serializers.Field]:
        return {
            "from": serializers.DateField(required=False),
            "to": serializers.DateField(required=False),
            self.choice_name: serializers.ChoiceField(choices=list(self.choices), required=False,
                                                      default=self.default_choice),
        }

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        today = clock.now().date()
        last = attrs.get("to") or today + dt.timedelta(days=self.default_days_after_today)
        if last >= dt.date.max - dt.timedelta(days=MAX_DAYS):
            raise serializers.ValidationError({"to": "Out of range."})
        first = attrs.get("from") or last - dt.timedelta(days=self.default_days - 1)
        if first < dt.date.min + dt.timedelta(days=1):
            raise serializers.ValidationError({"from": "Out of range."})
        if first > last:
            raise serializers.ValidationError({"from": "Must be on or before 'to'."})
        if (last - first).days >= MAX_DAYS:
            raise serializers.ValidationError({"from": f"A period is at most {MAX_DAYS} days."})
        attrs["from"], attrs["to"] = first, last
        return attrs


class FunnelIn(PeriodIn):
    choices = funnel.GROUPS
    default_choice = "channel"


class SlaIn(PeriodIn):
    choices = sla.GROUPS
    default_choice = "policy"


class AttributionIn(PeriodIn):
    choice_name = "model"
    choices = attribution.MODELS
    default_choice = "first_touch"


class WeekIn(serializers.Serializer):
    week = serializers.CharField(required=False, max_length=8)

    def validate_week(self, value: str) -> dt.date:
        match = WEEK.match(value)
        try:
            if match is None:
                raise ValueError(value)
            return weekly.checked_monday(int(match[1]), int(match[2]))
        except ValueError as exc:
            raise serializers.ValidationError("Use an ISO week such as 2026-W47.") from exc


# --- output (schema) -----------------------------------------------------------------------------------


class ReportFunnelRowOut(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    mqls = serializers.IntegerField()
    accepted = serializers.IntegerField()
    rejected = serializers.IntegerField()
    sqls = serializers.IntegerField()
    opportunities = serializers.IntegerField()
    customers = serializers.IntegerField()
    mql_to_sql = serializers.FloatField(allow_null=True)
    acceptance_rate = serializers.FloatField(allow_null=True)
    lead_to_opportunity = serializers.FloatField(allow_null=True)
    flags = serializers.ListField(child=serializers.CharField())


class PeriodOut(serializers.Serializer):
    # ``from`` and ``to`` of a report over a period (``from`` is a keyword: declared as ``from_``). A comment, not a
    # docstring: drf-spectacular would copy a docstring into every subclass's schema description.
    from_ = serializers.DateField()
    to = serializers.DateField()

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


class ReportFunnelOut(PeriodOut):
    group_by = serializers.CharField()
    rows = ReportFunnelRowOut(many=True)
    total = ReportFunnelRowOut()


class ReportComplianceRowOut(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    side = serializers.CharField(allow_null=True)
    met = serializers.IntegerField()
    breached = serializers.IntegerField()
    compliance = serializers.FloatField(allow_null=True)
    below_target = serializers.BooleanField()


class ReportSpeedRowOut(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    mqls = serializers.IntegerField()
    contacted = serializers.IntegerField()
    never_contacted = serializers.IntegerField()
    speed_to_lead_median_s = serializers.FloatField(allow_null=True)
    speed_to_lead_p90_s = serializers.FloatField(allow_null=True)
    response_time_median_s = serializers.FloatField(allow_null=True)
    response_time_p90_s = serializers.FloatField(allow_null=True)


class ReportSlaOut(ReportFunnelOut):
    rows = ReportComplianceRowOut(many=True)  # type: ignore[assignment]
    total = ReportComplianceRowOut()  # type: ignore[assignment]
    target = serializers.FloatField()
    speed = ReportSpeedRowOut(many=True)
    speed_total = ReportSpeedRowOut()


class ReportCampaignRowOut(serializers.Serializer):
    campaign = serializers.IntegerField()
    name = serializers.CharField()
    channel = serializers.CharField()
    revenue = serializers.DecimalField(max_digits=16, decimal_places=2)
    deals = serializers.IntegerField()
    sqls = serializers.IntegerField()
    cost = serializers.DecimalField(max_digits=14, decimal_places=2)
    cost_per_sql = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    pipeline = serializers.DecimalField(max_digits=16, decimal_places=2)
    won_deals_first_touch = serializers.IntegerField()
    cost_per_won_deal = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)


class ReportChannelRowOut(serializers.Serializer):
    channel = serializers.CharField()
    revenue = serializers.DecimalField(max_digits=16, decimal_places=2)
    sqls = serializers.IntegerField()
    cost = serializers.DecimalField(max_digits=14, decimal_places=2)
    cost_per_sql = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    pipeline = serializers.DecimalField(max_digits=16, decimal_places=2)
    won_deals_first_touch = serializers.IntegerField()
    cost_per_won_deal = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)


class ReportAttributionOut(PeriodOut):
    model = serializers.CharField()
    won_revenue = serializers.DecimalField(max_digits=16, decimal_places=2)
    won_deals = serializers.IntegerField()
    unattributed_revenue = serializers.DecimalField(max_digits=16, decimal_places=2)
    pipeline_created = serializers.DecimalField(max_digits=16, decimal_places=2)
    pipeline_deals = serializers.IntegerField()
    unattributed_pipeline = serializers.DecimalField(max_digits=16, decimal_places=2)
    campaigns = ReportCampaignRowOut(many=True)
    channels = ReportChannelRowOut(many=True)


class ReportWeekOut(serializers.Serializer):
    week = serializers.CharField()
    starts_on = serializers.DateField()
    leads = serializers.IntegerField()
    leads_by_source = serializers.DictField(child=serializers.IntegerField())
    mqls = serializers.IntegerField()
    mqls_by_source = serializers.DictField(child=serializers.IntegerField())
    sals = serializers.IntegerField()
    sqls = serializers.IntegerField()
    opportunities = serializers.IntegerField()
    pipeline_created = serializers.DecimalField(max_digits=16, decimal_places=2)
    sales_met = serializers.IntegerField()
    sales_breached = serializers.IntegerField()
    sales_compliance = serializers.FloatField(allow_null=True)
    marketing_met = serializers.IntegerField()
    marketing_breached = serializers.IntegerField()
    marketing_compliance = serializers.FloatField(allow_null=True)


class ReportCoverageOut(serializers.Serializer):
    quarter_start = serializers.DateField()
    quarter_end = serializers.DateField()
    open_amount = serializers.DecimalField(max_digits=16, decimal_places=2)
    open_deals = serializers.IntegerField()
    target = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)
    coverage = serializers.FloatField(allow_null=True)
    status = serializers.CharField()


class ReportAgingOwnerOut(serializers.Serializer):
    owner = serializers.IntegerField(allow_null=True)
    username = serializers.CharField()
    count = serializers.IntegerField()


class ReportAgingOut(serializers.Serializer):
    stage = serializers.CharField()
    window_hours = serializers.FloatField()
    total = serializers.IntegerField()
    by_owner = ReportAgingOwnerOut(many=True)


class ReportReasonOut(serializers.Serializer):
    reason = serializers.CharField()
    count = serializers.IntegerField()


class ReportEscalationOut(serializers.Serializer):
    id = serializers.IntegerField()
    team = serializers.IntegerField(allow_null=True)
    team_name = serializers.CharField()
    side = serializers.CharField()
    level = serializers.IntegerField()
    week = serializers.CharField()
    compliance = serializers.FloatField(allow_null=True)
    target = serializers.FloatField()


class ReportWeeklyPipelineOut(serializers.Serializer):
    week = serializers.CharField()
    generated_at = serializers.DateTimeField()
    current = ReportWeekOut()
    weeks = ReportWeekOut(many=True, help_text="The 12 previous weeks and the chosen one, oldest first.")
    coverage = ReportCoverageOut()
    aging = ReportAgingOut(many=True)
    rejection_reasons = ReportReasonOut(many=True)
    open_escalations = ReportEscalationOut(many=True)
