"""GET /api/v1/reports/{lead-quality,win-loss,campaign-calendar}/ and the same as ``.csv``: the lead quality
scorecard, win/loss and the campaign calendar (issue 9; definitions in docs/metrics.md). A mixin of
``ReportViewSet`` (reporting/api/views.py), so every report stays under one ``/reports/`` prefix."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from leadops import clock
from reporting.api.common import period_params, rate, responses
from reporting.api.serializers import PeriodIn, PeriodOut
from reporting.selectors import campaigns, scorecard, winloss
from reporting.selectors.common import Period

# --- input ----------------------------------------------------------------------------------------------


class ScorecardIn(PeriodIn):
    choices = scorecard.GROUPS
    default_choice = "campaign"


class WinLossIn(PeriodIn):
    choices = winloss.GROUPS
    default_choice = "campaign"


class CalendarIn(PeriodIn):
    """No choice; by default the 4 weeks before today and the 8 after (sales prepares for what comes)."""

    default_days_after_today = 56
    default_days = 85

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields.pop(self.choice_name)
        return fields


# --- output (schema) ------------------------------------------------------------------------------------


class ReportReasonCountOut(serializers.Serializer):
    reason = serializers.CharField()
    count = serializers.IntegerField()


class ReportScorecardRowOut(serializers.Serializer):
    month = serializers.CharField(help_text="Calendar month (UTC), e.g. 2026-11.")
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    leads = serializers.IntegerField()
    mqls = serializers.IntegerField()
    accepted = serializers.IntegerField()
    rejected = serializers.IntegerField()
    sqls = serializers.IntegerField()
    opportunities = serializers.IntegerField()
    acceptance_rate = serializers.FloatField(allow_null=True)
    mql_to_sql = serializers.FloatField(allow_null=True)
    pipeline = serializers.DecimalField(max_digits=16, decimal_places=2)
    won = serializers.DecimalField(max_digits=16, decimal_places=2)
    top_reasons = ReportReasonCountOut(many=True)
    flags = serializers.ListField(child=serializers.CharField())


class ReportScorecardOut(PeriodOut):
    group_by = serializers.CharField()
    months = serializers.ListField(child=serializers.CharField())
    rows = ReportScorecardRowOut(many=True)


class ReportWinLossRowOut(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    won = serializers.IntegerField()
    won_amount = serializers.DecimalField(max_digits=16, decimal_places=2)
    lost = serializers.IntegerField()
    lost_amount = serializers.DecimalField(max_digits=16, decimal_places=2)
    win_rate = serializers.FloatField(allow_null=True)
    lost_reasons = ReportReasonCountOut(many=True)


class ReportWinLossOut(PeriodOut):
    group_by = serializers.CharField()
    rows = ReportWinLossRowOut(many=True)
    total = ReportWinLossRowOut()


class ReportCampaignSlotOut(serializers.Serializer):
    campaign = serializers.IntegerField()
    name = serializers.CharField()
    channel = serializers.CharField()
    type = serializers.CharField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(allow_null=True)
    expected_volume = serializers.IntegerField(allow_null=True)
    actual_volume = serializers.IntegerField()
    expected_to_date = serializers.FloatField(allow_null=True)
    pace = serializers.FloatField(allow_null=True)
    status = serializers.ChoiceField(choices=["no_expectation", "upcoming", "behind", "on_track", "ahead"])


class ReportWeekVolumeOut(serializers.Serializer):
    week = serializers.CharField()
    starts_on = serializers.DateField()
    expected = serializers.FloatField()
    actual = serializers.IntegerField()


class ReportCampaignCalendarOut(PeriodOut):
    today = serializers.DateField()
    campaigns = ReportCampaignSlotOut(many=True)
    weeks = ReportWeekVolumeOut(many=True)


def _reasons(items: list[dict[str, Any]]) -> str:
    return ";".join(f"{r['reason']}={r['count']}" for r in items)


class QualityReportsMixin:
    """The scorecard, win/loss and campaign-calendar actions of ``ReportViewSet``."""

    _params: Any
    _csv: Any
    _csv_response: Any

    @extend_schema(parameters=period_params("group_by", scorecard.GROUPS, "campaign"),
                   responses=responses(ReportScorecardOut))
    @action(detail=False, methods=["get"], url_path="lead-quality")
    def lead_quality(self, request: Request, format: str | None = None) -> Response:
        """The lead quality scorecard: per calendar month and campaign (first campaign) or channel (source): new
        leads, the month's MQL cohort with acceptance and MQL->SQL (and their threshold flags), the top 3
        rejection reasons, and the pipeline and won revenue of the cohort's cycles."""
        p = self._params(ScorecardIn)
        report = scorecard.scorecard(period=Period.from_dates(p["from"], p["to"]), group_by=p["group_by"])
        rows = [r.as_dict() for r in report.rows]
        if self._csv(request):
            cols = ["month", "key", "label", "leads", "mqls", "accepted", "rejected", "sqls", "opportunities"]
            table: list[list[Any]] = [["group_by", *cols, "acceptance_rate", "mql_to_sql", "pipeline", "won",
                                       "top_reasons", "flags"]]
            for r in rows:
                table.append([report.group_by, *(r[c] for c in cols), rate(r["acceptance_rate"]),
                              rate(r["mql_to_sql"]), r["pipeline"], r["won"], _reasons(r["top_reasons"]),
                              " ".join(r["flags"])])
            return self._csv_response(table, "lead-quality")
        return Response(ReportScorecardOut({"from": p["from"], "to": p["to"], "group_by": report.group_by,
                                            "months": report.months, "rows": rows}).data)

    @extend_schema(parameters=period_params("group_by", winloss.GROUPS, "campaign"),
                   responses=responses(ReportWinLossOut))
    @action(detail=False, methods=["get"], url_path="win-loss")
    def win_loss(self, request: Request, format: str | None = None) -> Response:
        """Opportunities closed in the period (won and lost, counts and amounts, win rate) per campaign, channel
        or rep (the opportunity's owner), with the closed-lost reasons."""
        p = self._params(WinLossIn)
        report = winloss.win_loss(period=Period.from_dates(p["from"], p["to"]), group_by=p["group_by"])
        rows = [r.as_dict() for r in report.rows]
        if self._csv(request):
            cols = ["key", "label", "won", "won_amount", "lost", "lost_amount"]
            table: list[list[Any]] = [["group_by", *cols, "win_rate", "lost_reasons"]]
            for r in [*rows, report.total.as_dict()]:
                table.append([report.group_by, *(r[c] for c in cols), rate(r["win_rate"]),
                              _reasons(r["lost_reasons"])])
            return self._csv_response(table, "win-loss")
        return Response(ReportWinLossOut({"from": p["from"], "to": p["to"], "group_by": report.group_by,
                                          "rows": rows, "total": report.total.as_dict()}).data)

    @extend_schema(parameters=period_params(None, days="Default: 84 days before `to`.",
                                            to="Default: 56 days from today."),
                   responses=responses(ReportCampaignCalendarOut))
    @action(detail=False, methods=["get"], url_path="campaign-calendar")
    def campaign_calendar(self, request: Request, format: str | None = None) -> Response:
        """Campaigns whose run overlaps the period, with expected against actual lead volume (the leads each
        sourced) and pace, and the expected and actual sourced leads per ISO week."""
        p = self._params(CalendarIn)
        report = campaigns.campaign_calendar(period=Period.from_dates(p["from"], p["to"]), today=clock.now().date())
        slots = [c.as_dict() for c in report.campaigns]
        weeks = [w.as_dict() for w in report.weeks]
        if self._csv(request):
            cols = ["campaign", "name", "channel", "type", "starts_on", "ends_on", "expected_volume", "actual_volume",
                    "expected_to_date", "pace", "status"]
            table: list[list[Any]] = [cols]
            for c in slots:
                table.append(["" if c[k] is None else c[k] for k in cols])
            return self._csv_response(table, "campaign-calendar")
        return Response(ReportCampaignCalendarOut({"from": p["from"], "to": p["to"], "today": report.today,
                                                   "campaigns": slots, "weeks": weeks}).data)
