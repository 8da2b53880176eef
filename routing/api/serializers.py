"""Serializers of the routing endpoints: separate input (``...In``) and output (``...Out``) shapes.

Input serializers refuse every key they do not declare (422 naming it): mass assignment is a bug.
"""

from __future__ import annotations

from rest_framework import serializers

from leadops.api.strict import StrictSerializer
from leadops.models import Team, User
from lifecycle.api.fields import ActiveLeadTypeField
from lifecycle.models import Channel
from routing.models import Assignment, AssignmentMethod, RoutingRule, SkipReason
from routing.regions import REGIONS


class LeadTypeChoice(ActiveLeadTypeField):
    """An active lead type of the catalogue (GET /lead-types/); an unknown or retired one is 422 naming
    ``lead_types.<j>`` and listing the allowed codes."""


class RoutingRuleOut(serializers.ModelSerializer):
    class Meta:
        model = RoutingRule
        fields = ["id", "name", "priority", "active", "is_default", "countries", "regions", "employee_count_min",
                  "employee_count_max", "industries", "lead_types", "sources", "target_team", "target_rep",
                  "created_at", "updated_at"]


class RoutingRuleIn(StrictSerializer):
    name = serializers.CharField(max_length=120)
    priority = serializers.IntegerField(min_value=0, max_value=2_000_000_000, required=False,
                                        help_text="Lower is tried first; ties by id. Default 100.")
    active = serializers.BooleanField(required=False)
    is_default = serializers.BooleanField(required=False, help_text="Matches every lead, after all other rules; "
                                                                    "takes no conditions; one active at most.")
    countries = serializers.ListField(child=serializers.CharField(min_length=2, max_length=2), required=False,
                                      max_length=300, help_text="ISO 3166-1 alpha-2 codes.")
    regions = serializers.ListField(child=serializers.ChoiceField(choices=sorted(REGIONS)), required=False,
                                    max_length=len(REGIONS))
    employee_count_min = serializers.IntegerField(min_value=0, max_value=2_000_000_000, required=False,
                                                  allow_null=True)
    employee_count_max = serializers.IntegerField(min_value=0, max_value=2_000_000_000, required=False,
                                                  allow_null=True)
    industries = serializers.ListField(child=serializers.CharField(max_length=80), required=False, max_length=200,
                                       help_text="Matched case-insensitively.")
    lead_types = serializers.ListField(child=LeadTypeChoice(), required=False, max_length=100)
    sources = serializers.ListField(child=serializers.ChoiceField(choices=Channel.choices), required=False,
                                    max_length=len(Channel.choices))
    target_team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), required=False, allow_null=True,
                                                     help_text="A sales or SDR team (weighted round robin).")
    target_rep = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True,
                                                    help_text="A named sales rep.")


class RoutingCandidateOut(serializers.Serializer):
    rep = serializers.IntegerField()
    username = serializers.CharField()
    via = serializers.ChoiceField(choices=["account_owner", "named_rep", "team"])
    team = serializers.IntegerField(allow_null=True)
    weight = serializers.IntegerField()
    open_leads = serializers.IntegerField()
    capacity = serializers.IntegerField()
    time_zone = serializers.CharField()
    local_time = serializers.CharField(help_text="The decision's moment in the rep's time zone.")
    skipped = serializers.ChoiceField(choices=SkipReason.choices, allow_null=True)
    chosen = serializers.BooleanField()
    away_until = serializers.DateTimeField(required=False, help_text="End of the current out-of-office range.")


class RoutingRuleTriedOut(serializers.Serializer):
    rule = serializers.IntegerField()
    name = serializers.CharField()
    failed = serializers.CharField(help_text="The first condition the lead did not meet.")


class RoutingLeadFactsOut(serializers.Serializer):
    country = serializers.CharField()
    employee_count = serializers.IntegerField(allow_null=True)
    industry = serializers.CharField()
    lead_type = serializers.CharField()
    source = serializers.CharField()  # type: ignore[assignment]  # the lead's field name (shadows Field.source)


class RoutingDryRunIn(StrictSerializer):
    lead = serializers.IntegerField(min_value=1, max_value=2**63 - 1)


class RoutingDryRunOut(serializers.Serializer):
    lead = serializers.IntegerField()
    summary = serializers.CharField(help_text='"This lead would go to X: ... because rule R matched."')
    routable = serializers.BooleanField(help_text="Whether the router would act on the lead now (an MQL without "
                                                  "an owner).")
    note = serializers.CharField(allow_blank=True)
    method = serializers.ChoiceField(choices=AssignmentMethod.choices)
    rep = serializers.IntegerField(allow_null=True)
    rep_username = serializers.CharField(allow_blank=True)
    team = serializers.IntegerField(allow_null=True)
    team_name = serializers.CharField(allow_blank=True)
    rule = serializers.IntegerField(allow_null=True)
    rule_name = serializers.CharField(allow_blank=True)
    slot = serializers.IntegerField(allow_null=True, help_text="The round-robin slot the lead would take.")
    explanation = serializers.CharField()
    facts = RoutingLeadFactsOut(help_text="What the rules looked at (the account's values where the lead has none).")
    rules_tried = RoutingRuleTriedOut(many=True, help_text="Rules tried before the one that matched, with the "
                                                    "condition each failed.")
    candidates = RoutingCandidateOut(many=True)


class RoutingAssignmentOut(serializers.ModelSerializer):
    candidates = RoutingCandidateOut(many=True)

    class Meta:
        model = Assignment
        fields = ["id", "lead", "rep", "team", "previous_rep", "method", "rule", "rule_name", "candidates", "actor",
                  "note", "cycle", "decided_at", "latency_ms", "slot", "trigger"]


class RoutingRepShareOut(serializers.Serializer):
    rep = serializers.IntegerField()
    username = serializers.CharField(allow_blank=True)
    weight = serializers.IntegerField(help_text="Current routing weight (0: no longer a rep of the team).")
    active = serializers.BooleanField()
    weight_share = serializers.FloatField(help_text="weight / the team's total weight.")
    round_robin = serializers.IntegerField(help_text="Round-robin slots won in the week.")
    actual_share = serializers.FloatField(help_text="round_robin / the team's round-robin slots.")
    eligible_slots = serializers.IntegerField(help_text="Round-robin picks in which the rep was available.")
    expected = serializers.FloatField(help_text="Fair share of the week's slots given availability and weights.")
    deviation = serializers.FloatField(help_text="round_robin - expected.")
    account_match = serializers.IntegerField()
    rule_rep = serializers.IntegerField()
    manual = serializers.IntegerField(help_text="Received by manual reassignment or on acceptance.")


class RoutingTeamFairnessOut(serializers.Serializer):
    team = serializers.IntegerField()
    name = serializers.CharField()
    round_robin = serializers.IntegerField()
    queued = serializers.IntegerField(help_text="Decisions that queued a lead for the team (nobody available).")
    reps = RoutingRepShareOut(many=True)


class RoutingFairnessOut(serializers.Serializer):
    week = serializers.CharField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    teams = RoutingTeamFairnessOut(many=True)
