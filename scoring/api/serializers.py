"""Serializers of /scoring-models/: separate input (``...In``) and output (``...Out``) shapes.

The input serializers check shapes and types only; what the rules mean (known fields, operators that
fit the field, ranges, half-lives) is checked by ``scoring.engine.validate_model`` through the
service, which answers 422 naming each rule (``fit_rules[2].field``).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from lifecycle.api.serializers import StrictSerializer
from scoring import selectors
from scoring.engine import FACTS, Operator
from scoring.models import BehaviourRule, FitRule, RescoreRun, ScoringModel

FIELD_HELP = "A fact of the lead or its account: " + ", ".join(FACTS) + "."
OPERATOR_HELP = "One of: " + ", ".join(Operator) + "."


class FitRuleOut(serializers.ModelSerializer):
    value = serializers.JSONField(read_only=True)

    class Meta:
        model = FitRule
        fields = ["name", "field", "operator", "value", "points"]
        read_only_fields = fields


class BehaviourRuleOut(serializers.ModelSerializer):
    class Meta:
        model = BehaviourRule
        fields = ["event_type", "name", "points", "cap", "half_life_days"]
        read_only_fields = fields


class RescoreRunOut(serializers.ModelSerializer):
    version = serializers.IntegerField(source="model.version", read_only=True)
    percent = serializers.FloatField(read_only=True, help_text="done / total, in percent (100 when done).")

    class Meta:
        model = RescoreRun
        fields = ["id", "model", "version", "kind", "status", "total", "done", "percent", "changed", "promoted",
                  "started_at", "heartbeat_at", "finished_at", "created_by"]
        read_only_fields = fields


class ScoringModelOut(serializers.ModelSerializer):
    fit_rules = FitRuleOut(many=True, read_only=True)
    behaviour_rules = BehaviourRuleOut(many=True, read_only=True)
    latest_run = serializers.SerializerMethodField(
        help_text="The latest activation (or rescore of every lead) with this version: its progress.")

    class Meta:
        model = ScoringModel
        fields = ["id", "version", "name", "description", "threshold", "high_intent_event_types", "is_active",
                  "created_by", "created_at", "activated_at", "fit_rules", "behaviour_rules", "latest_run"]
        read_only_fields = fields

    @extend_schema_field(RescoreRunOut(allow_null=True))
    def get_latest_run(self, model: ScoringModel) -> dict[str, Any] | None:
        run = selectors.latest_run(model)
        return RescoreRunOut(run).data if run is not None else None


class FitRuleIn(StrictSerializer):
    name = serializers.CharField(max_length=80, help_text="Shown in explanations, e.g. 'Company size 50-500'.")
    field = serializers.CharField(max_length=60, help_text=FIELD_HELP)
    operator = serializers.CharField(max_length=20, help_text=OPERATOR_HELP)
    value = serializers.JSONField(
        help_text='equals: a value; in / not_in: a list; range: {"min": n, "max": n} (inclusive, either may be '
                  "left out); contains: a text or a list of texts (any matches). Text compares ignoring case.")
    points = serializers.IntegerField(help_text="Added when the condition holds (negative to subtract).")


class BehaviourRuleIn(StrictSerializer):
    event_type = serializers.CharField(max_length=40, help_text="A marketing event type, e.g. pricing_page_view.")
    name = serializers.CharField(max_length=80, required=False, allow_blank=True)
    points = serializers.IntegerField(help_text="Points per event before decay.")
    cap = serializers.IntegerField(required=False, allow_null=True,
                                   help_text="Most points this event type adds (after decay); null: no cap.")
    half_life_days = serializers.DecimalField(
        max_digits=9, decimal_places=3, required=False, allow_null=True, coerce_to_string=False,
        help_text="Days after which an event counts half; default 30; null: no decay.")


class ScoringModelIn(StrictSerializer):
    name = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    threshold = serializers.IntegerField(help_text="The MQL threshold, 1 to 1000.")
    high_intent_event_types = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, max_length=20,
        help_text="Event types that make a lead MQL at once; default demo_request and contact_sales.")
    fit_rules = serializers.ListField(child=FitRuleIn(), max_length=100)
    behaviour_rules = serializers.ListField(child=BehaviourRuleIn(), max_length=100)


class ChannelCountOut(serializers.Serializer):
    channel = serializers.CharField(help_text="The lead's source channel; 'unknown' when it has none.")
    count = serializers.IntegerField()


class DryRunOut(serializers.Serializer):
    """A dry-run job: its progress (``run``) and the counts so far; final once ``run.status`` is ``done``."""

    run = RescoreRunOut(help_text="The job: status running or done, done / total leads, percent.")
    model_version = serializers.IntegerField()
    threshold = serializers.IntegerField()
    evaluated = serializers.IntegerField(help_text="Leads in subscriber, lead or nurture (the stages a score moves) "
                                                   "looked at so far.")
    would_become_mql = serializers.IntegerField(help_text="So far; final when the run is done.")
    by_channel = ChannelCountOut(many=True)
    computed_at = serializers.DateTimeField(allow_null=True, help_text="When the job finished; null while it runs.")


class CalibrationBandOut(serializers.Serializer):
    band = serializers.CharField(help_text="Score at MQL: <0, 0-19, 20-39, ..., 100+.")
    low = serializers.IntegerField(allow_null=True)
    high = serializers.IntegerField(allow_null=True)
    mqls = serializers.IntegerField()
    sqls = serializers.IntegerField(help_text="Of those MQLs, how many reached SQL in the same cycle.")
    conversion = serializers.FloatField(allow_null=True, help_text="sqls / mqls (0 to 1).")


class TriggerCountOut(serializers.Serializer):
    trigger = serializers.CharField(help_text="How the lead became MQL: score, high_intent_event, promote ...")
    mqls = serializers.IntegerField()
    sqls = serializers.IntegerField()
    conversion = serializers.FloatField(allow_null=True)


class CalibrationOut(serializers.Serializer):
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    threshold = serializers.IntegerField(allow_null=True, help_text="The active version's MQL threshold.")
    mqls = serializers.IntegerField()
    sqls = serializers.IntegerField()
    conversion = serializers.FloatField(allow_null=True)
    bands = CalibrationBandOut(many=True)
    by_trigger = TriggerCountOut(many=True)
