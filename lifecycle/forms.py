"""Forms of the browser workspace (issue 8). They validate and shape; the services decide.

Every action form carries ``expected_stage``: the stage the page showed, so a move on a lead that changed
meanwhile becomes "this lead changed since you opened it" (``Conflict`` code ``stale``), not a surprise.
Choices come from the catalogues (disposition reasons, touch channels and outcomes) at form build time.
"""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.http import QueryDict

from leadops.api.filters import StrictBooleanFilter
from leadops.models import User
from lifecycle import selectors
from lifecycle.api.filters import LeadFilter
from lifecycle.models import DispositionKind, DispositionReason, Lead, SavedView, TouchChannel, TouchOutcome
from lifecycle.state_machine import Stage


def reason_choices(kind: str) -> list[tuple[str, str]]:
    rows = DispositionReason.objects.filter(kind=kind, active=True).order_by("position", "code")
    return [("", "Choose a reason…"), *((r.code, r.label) for r in rows)]


class ActionForm(forms.Form):
    expected_stage = forms.ChoiceField(choices=Stage.choices, widget=forms.HiddenInput)


class AcceptForm(ActionForm):
    owner = forms.ModelChoiceField(queryset=User.objects.none(), required=False, label="Owner",
                                   empty_label="Keep the routed owner")

    def __init__(self, *args: Any, owners: QuerySet[User] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner_field = self.fields["owner"]
        assert isinstance(owner_field, forms.ModelChoiceField)
        owner_field.queryset = owners if owners is not None else User.objects.none()


class ReasonForm(ActionForm):
    kind: str = ""
    reason = forms.ChoiceField(label="Reason")
    note = forms.CharField(label="Note", required=False, max_length=2000, widget=forms.TextInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        reason_field = self.fields["reason"]
        assert isinstance(reason_field, forms.ChoiceField)
        reason_field.choices = reason_choices(self.kind)


class RejectForm(ReasonForm):
    kind = DispositionKind.REJECTION


class RecycleForm(ReasonForm):
    kind = DispositionKind.RECYCLE


class DisqualifyForm(ReasonForm):
    kind = DispositionKind.DISQUALIFICATION
    override = forms.BooleanField(label="Manager override of the touch cadence", required=False)


class QualifyForm(ActionForm):
    budget = forms.CharField(label="Budget", max_length=300)
    authority = forms.CharField(label="Authority", max_length=300)
    need = forms.CharField(label="Need", max_length=300)
    timeline = forms.CharField(label="Timeline", max_length=300)
    note = forms.CharField(label="Note", required=False, max_length=2000, widget=forms.TextInput)

    def bant(self) -> dict[str, str]:
        return {name: self.cleaned_data[name] for name in ("budget", "authority", "need", "timeline")}


class ConvertForm(ActionForm):
    name = forms.CharField(label="Opportunity name", required=False, max_length=200)
    amount = forms.DecimalField(label="Amount", min_value=Decimal(0), max_digits=14, decimal_places=2)
    currency = forms.CharField(label="Currency", max_length=3, initial="USD")
    close_date = forms.DateField(label="Close date", widget=forms.DateInput(attrs={"type": "date"}))


class TouchForm(forms.Form):
    channel = forms.ChoiceField(label="Channel")
    outcome = forms.ChoiceField(label="Outcome")
    note = forms.CharField(label="Note", required=False, max_length=2000, widget=forms.TextInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        channel_field, outcome_field = self.fields["channel"], self.fields["outcome"]
        assert isinstance(channel_field, forms.ChoiceField) and isinstance(outcome_field, forms.ChoiceField)
        channel_field.choices = list(TouchChannel.objects.order_by("code").values_list("code", "label"))
        outcome_field.choices = list(TouchOutcome.objects.order_by("code").values_list("code", "label"))
        self.fields["channel"].initial = "call"
        self.fields["outcome"].initial = "attempted"


ACTION_FORMS: dict[str, type[forms.Form]] = {
    "accept": AcceptForm,
    "reject": RejectForm,
    "qualify": QualifyForm,
    "disqualify": DisqualifyForm,
    "recycle": RecycleForm,
    "convert": ConvertForm,
}


# --- the MQL queue's filters and saved views ----------------------------------------------------------------


class MqlQueueFilter(LeadFilter):
    """The API's ``LeadFilter`` (one implementation of every shared filter) plus the queue's own
    "Data incomplete" (``lifecycle.selectors.data_incomplete_q``, the SLA measure's definition). The queryset
    must come from ``selectors.with_data_completeness``."""

    data_incomplete = StrictBooleanFilter(method="filter_data_incomplete")

    def filter_data_incomplete(self, queryset: QuerySet[Lead], name: str, value: bool | None) -> QuerySet[Lead]:
        if value is None:
            return queryset
        return queryset.filter(selectors.data_incomplete_q() if value else selectors.data_complete_q())


# the query parameters a saved MQL-queue view keeps: the filters (not stage/status: the page is the MQL
# queue) and the sort; ``page`` and anything else are dropped
MQL_VIEW_PARAMS = tuple(name for name in MqlQueueFilter.base_filters if name not in ("stage", "status")) + ("sort",)


def clean_view_params(query: QueryDict, *, sorts: Collection[str]) -> tuple[dict[str, list[str]], list[str]]:
    """The MQL queue's query string as a saved view keeps it, validated by the queue's own filter form.

    Returns (params, errors): errors are "Label: message" lines, empty when the filters are valid."""
    params = {name: [v for v in query.getlist(name) if v.strip()] for name in MQL_VIEW_PARAMS}
    params = {name: values for name, values in params.items() if values}
    errors = []
    data = QueryDict(mutable=True)
    for name, values in params.items():
        data.setlist(name, values)
    filterset = MqlQueueFilter(data, queryset=Lead.objects.none())
    if not filterset.is_valid():
        for name, messages in filterset.errors.items():
            errors.append(f"{FILTER_LABELS.get(name, name)}: {' '.join(messages)}")
    if "sort" in params and params["sort"][0] not in sorts:
        errors.append("Sort: Select a valid choice.")
    return params, errors


FILTER_LABELS = {
    "q": "Search", "source": "Channel", "campaign": "Campaign", "team": "Team", "score_min": "Score from",
    "score_max": "Score to", "sla_status": "SLA state", "high_intent": "High intent",
    "data_incomplete": "Data incomplete", "sort": "Sort",
}


class SavedViewNameForm(forms.Form):
    name = forms.CharField(label="Name", max_length=SavedView._meta.get_field("name").max_length or 80,
                           strip=True)
