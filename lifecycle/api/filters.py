"""Query filters of the lifecycle lists (api.md names). A bad value answers 422 naming the parameter.

django-filter is strict only where the form field is: ``BooleanFilter`` would silently ignore
``high_intent=maybe``, so the booleans here use ``StrictBooleanField``; integers use
``forms.IntegerField`` rather than the decimal ``NumberFilter`` default.
"""

from __future__ import annotations

import django_filters as df
from django.db.models import QuerySet

from leadops.api.filters import IntegerFilter, StrictBooleanFilter
from lifecycle import selectors
from lifecycle.models import (
    Account,
    Campaign,
    Channel,
    DealStage,
    DispositionKind,
    DispositionReason,
    Lead,
    LeadStatus,
    LeadTypeOption,
    Opportunity,
    RevenueTarget,
    Touch,
)
from lifecycle.state_machine import Stage

SLA_STATUS_CHOICES = [("at_risk", "At risk"), ("breached", "Breached")]


def leads_with_sla_status(queryset: QuerySet[Lead], status: str) -> QuerySet[Lead]:
    """Leads having an SLA clock in ``status`` (``sla.selectors.clock_status_q``: at_risk = running, past its
    warning time, not yet due; breached = breached and not yet stopped, or running past its due time)."""
    from sla.selectors import lead_ids_with_clock_status

    return queryset.filter(pk__in=lead_ids_with_clock_status(status))


class LeadFilter(df.FilterSet):
    # distinct=False: these filters join nothing, and a DISTINCT would force a sort of every match
    stage = df.MultipleChoiceFilter(choices=Stage.choices, distinct=False,
                                    help_text="Repeat for several stages (any of them).")
    status = df.MultipleChoiceFilter(choices=LeadStatus.choices, distinct=False,
                                     help_text="Repeat for several (any of them).")
    owner = IntegerFilter(field_name="owner_id", help_text="Owner's user id.")
    team = IntegerFilter(field_name="team_id", help_text="Team id.")
    source = df.ChoiceFilter(choices=Channel.choices, help_text="Original source channel.")
    campaign = IntegerFilter(field_name="latest_campaign_id",
                             help_text="Campaign id: the lead's campaign (its latest, as the `campaign` field shows).")
    first_campaign = IntegerFilter(field_name="first_campaign_id", help_text="Campaign id of the first touch.")
    high_intent = StrictBooleanFilter(field_name="high_intent")
    score_min = IntegerFilter(field_name="score", lookup_expr="gte", help_text="score >= this.")
    score_max = IntegerFilter(field_name="score", lookup_expr="lte", help_text="score <= this.")
    created_after = df.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte", help_text="created_at >= this.")
    created_before = df.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt", help_text="created_at < this.")
    became_mql_after = df.IsoDateTimeFilter(field_name="became_mql_at", lookup_expr="gte",
                                            help_text="became_mql_at >= this (current cycle).")
    became_mql_before = df.IsoDateTimeFilter(field_name="became_mql_at", lookup_expr="lt",
                                             help_text="became_mql_at < this (current cycle).")
    sla_status = df.ChoiceFilter(
        choices=SLA_STATUS_CHOICES, method="filter_sla_status",
        help_text="Leads with an SLA clock at risk (running, past its warning time, not yet due) or breached "
                  "(breached and not yet stopped, or running past its due time).",
    )
    q = df.CharFilter(method="filter_q", max_length=200,
                      help_text="Search: every word (up to five) must appear, case-insensitively, in the email, "
                                "first or last name, or company name.")

    class Meta:
        model = Lead
        fields: list[str] = []


    def filter_sla_status(self, queryset: QuerySet[Lead], name: str, value: str) -> QuerySet[Lead]:
        return leads_with_sla_status(queryset, value)

    def filter_q(self, queryset: QuerySet[Lead], name: str, value: str) -> QuerySet[Lead]:
        return selectors.leads_matching(queryset, value)


class TouchFilter(df.FilterSet):
    lead = IntegerFilter(field_name="lead_id")
    rep = IntegerFilter(field_name="rep_id")
    occurred_after = df.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = df.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")

    class Meta:
        model = Touch
        fields: list[str] = []


class OpportunityFilter(df.FilterSet):
    lead = IntegerFilter(field_name="lead_id")
    deal_stage = df.MultipleChoiceFilter(choices=DealStage.choices, help_text="Repeat for several (any of them).")
    owner = IntegerFilter(field_name="owner_id")
    close_date_after = df.DateFilter(field_name="close_date", lookup_expr="gte", help_text="close_date >= this.")
    close_date_before = df.DateFilter(field_name="close_date", lookup_expr="lte", help_text="close_date <= this.")

    class Meta:
        model = Opportunity
        fields: list[str] = []


class CampaignFilter(df.FilterSet):
    channel = df.ChoiceFilter(choices=Channel.choices)
    q = df.CharFilter(field_name="name", lookup_expr="icontains", max_length=200)

    class Meta:
        model = Campaign
        fields: list[str] = []


class AccountFilter(df.FilterSet):
    domain = df.CharFilter(method="filter_domain", max_length=253)
    owner = IntegerFilter(field_name="owner_id")
    q = df.CharFilter(field_name="name", lookup_expr="icontains", max_length=200)

    class Meta:
        model = Account
        fields: list[str] = []

    def filter_domain(self, queryset: QuerySet[Account], name: str, value: str) -> QuerySet[Account]:
        from lifecycle.services.leads import normalise_domain

        return queryset.filter(domain=normalise_domain(value))


class DispositionFilter(df.FilterSet):
    kind = df.ChoiceFilter(choices=DispositionKind.choices)
    active = StrictBooleanFilter(field_name="active")

    class Meta:
        model = DispositionReason
        fields: list[str] = []


class LeadTypeFilter(df.FilterSet):
    active = StrictBooleanFilter(field_name="active", help_text="true: the types a write may set.")

    class Meta:
        model = LeadTypeOption
        fields: list[str] = []


class RevenueTargetFilter(df.FilterSet):
    team = IntegerFilter(field_name="team_id")
    company = StrictBooleanFilter(field_name="team", lookup_expr="isnull", help_text="true: company targets only.")
    period_start = df.DateFilter(field_name="period_start")

    class Meta:
        model = RevenueTarget
        fields: list[str] = []
