"""GET /api/v1/reports/{funnel,sla,weekly-pipeline,attribution}/ and the same as ``.csv`` (api.md).

Everyone signed in reads every report, reps and leadership included: these are the *shared* numbers both
teams review in the weekly pipeline meeting (domain.md section 1, item 5), so a rep sees the same
company-wide totals as their manager. They are aggregates and carry no lead's personal data; the lists
of leads behind a number stay subject to lead visibility (api.md ``/leads/``). Tokens need
``reports:read``. Validate -> call one selector -> serialize."""

from __future__ import annotations

import datetime as dt
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from leadops import clock
from reporting.api import serializers as s
from reporting.api.common import ReportViewSetBase, period_params, rate, responses
from reporting.api.quality import QualityReportsMixin
from reporting.selectors import attribution, funnel, sla, weekly
from reporting.selectors.common import Period


class ReportViewSet(QualityReportsMixin, ReportViewSetBase):
    """The shared reports of domain.md sections 8 and 9 (definitions: docs/metrics.md)."""

    @extend_schema(parameters=period_params("group_by", funnel.GROUPS, "channel"),
                   responses=responses(s.ReportFunnelOut))
    @action(detail=False, methods=["get"], url_path="funnel")
    def funnel(self, request: Request, format: str | None = None) -> Response:
        """The MQL cohort of the period (MQL entries, one per lead and cycle) per group: counts reached, MQL->SQL,
        acceptance (accepted / (accepted + rejected)) and lead->opportunity, with threshold flags."""
        p = self._params(s.FunnelIn)
        report = funnel.funnel_report(period=Period.from_dates(p["from"], p["to"]), group_by=p["group_by"])
        rows = [r.as_dict() for r in report.rows]
        if self._csv(request):
            cols = ["key", "label", "mqls", "accepted", "rejected", "sqls", "opportunities", "customers"]
            table: list[list[Any]] = [["group_by", *cols, "mql_to_sql", "acceptance_rate", "lead_to_opportunity",
                                       "flags"]]
            for r in [*rows, report.total.as_dict()]:
                table.append([report.group_by, *(r[c] for c in cols), rate(r["mql_to_sql"]),
                              rate(r["acceptance_rate"]), rate(r["lead_to_opportunity"]), " ".join(r["flags"])])
            return self._csv_response(table, "funnel")
        return Response(s.ReportFunnelOut({"from": p["from"], "to": p["to"], "group_by": report.group_by, "rows": rows,
                                     "total": report.total.as_dict()}).data)

    @extend_schema(parameters=period_params("group_by", sla.GROUPS, "policy"), responses=responses(s.ReportSlaOut))
    @action(detail=False, methods=["get"], url_path="sla")
    def sla(self, request: Request, format: str | None = None) -> Response:
        """SLA compliance (met / (met + breached) of clocks due in the period) per policy, accountable team or
        rep, and speed to lead / rep response time (median, p90, never contacted) of the period's MQL cohort."""
        p = self._params(s.SlaIn)
        report = sla.sla_report(period=Period.from_dates(p["from"], p["to"]), group_by=p["group_by"])
        if self._csv(request):
            table: list[list[Any]] = [["section", "key", "label", "side", "met", "breached", "compliance",
                                       "below_target", "mqls", "contacted", "never_contacted",
                                       "speed_to_lead_median_s", "speed_to_lead_p90_s", "response_time_median_s",
                                       "response_time_p90_s"]]
            for c in [*report.rows, report.total]:
                table.append(["compliance", c.key, c.label, c.side or "", c.met, c.breached, rate(c.compliance),
                              c.below_target, "", "", "", "", "", "", ""])
            for v in [*report.speed, report.speed_total]:
                table.append(["speed", v.key, v.label, "", "", "", "", "", v.mqls, v.contacted, v.never_contacted,
                              v.speed_to_lead_median_s, v.speed_to_lead_p90_s, v.response_time_median_s,
                              v.response_time_p90_s])
            return self._csv_response(table, "sla")
        return Response(s.ReportSlaOut({
            "from": p["from"], "to": p["to"], "group_by": report.group_by, "target": report.target,
            "rows": [r.as_dict() for r in report.rows], "total": report.total.as_dict(),
            "speed": [r.as_dict() for r in report.speed], "speed_total": report.speed_total.as_dict()}).data)

    @extend_schema(
        parameters=[OpenApiParameter("week", OpenApiTypes.STR, pattern=r"^\d{4}-W\d{2}$",
                                     description="ISO week, e.g. 2026-W47 (default: this week).")],
        responses=responses(s.ReportWeeklyPipelineOut),
    )
    @action(detail=False, methods=["get"], url_path="weekly-pipeline")
    def weekly_pipeline(self, request: Request, format: str | None = None) -> Response:
        """The weekly pipeline meeting's numbers (domain.md section 9) for the ISO week and the 12 before it."""
        p = self._params(s.WeekIn)
        monday: dt.date = p.get("week") or weekly.week_monday(*clock.now().isocalendar()[:2])
        report = weekly.weekly_pipeline(monday=monday)
        weeks = [w.as_dict() for w in report.weeks]
        if self._csv(request):
            cols = ["week", "starts_on", "leads", "mqls", "sals", "sqls", "opportunities", "pipeline_created",
                    "sales_met", "sales_breached", "sales_compliance", "marketing_met", "marketing_breached",
                    "marketing_compliance"]
            table: list[list[Any]] = [[*cols, "leads_by_source", "mqls_by_source"]]
            for w in weeks:
                table.append([*("" if w[c] is None else w[c] for c in cols),
                              ";".join(f"{k}={v}" for k, v in sorted(w["leads_by_source"].items())),
                              ";".join(f"{k}={v}" for k, v in sorted(w["mqls_by_source"].items()))])
            return self._csv_response(table, "weekly-pipeline")
        return Response(s.ReportWeeklyPipelineOut({
            "week": report.week, "generated_at": report.generated_at, "current": weeks[-1], "weeks": weeks,
            "coverage": report.coverage, "aging": report.aging, "rejection_reasons": report.rejection_reasons,
            "open_escalations": report.open_escalations}).data)

    @extend_schema(parameters=period_params("model", attribution.MODELS, "first_touch"),
                   responses=responses(s.ReportAttributionOut))
    @action(detail=False, methods=["get"], url_path="attribution")
    def attribution(self, request: Request, format: str | None = None) -> Response:
        """Revenue closed won in the period and pipeline created in it per campaign and channel under the
        attribution model, with cost per SQL (first touch) of the period's SQLs and cost per won deal (first
        touch)."""
        p = self._params(s.AttributionIn)
        report = attribution.attribution_report(period=Period.from_dates(p["from"], p["to"]), model=p["model"])
        campaigns = [c.as_dict() for c in report.campaigns]
        if self._csv(request):
            cols = ["campaign", "name", "channel", "revenue", "deals", "pipeline", "sqls", "cost", "cost_per_sql",
                    "won_deals_first_touch", "cost_per_won_deal"]
            table: list[list[Any]] = [["model", *cols]]
            for c in campaigns:
                table.append([report.model, *("" if c[k] is None else c[k] for k in cols)])
            return self._csv_response(table, "attribution")
        return Response(s.ReportAttributionOut({
            "from": p["from"], "to": p["to"], "model": report.model, "won_revenue": report.won_revenue,
            "won_deals": report.won_deals, "unattributed_revenue": report.unattributed_revenue,
            "pipeline_created": report.pipeline_created, "pipeline_deals": report.pipeline_deals,
            "unattributed_pipeline": report.unattributed_pipeline,
            "campaigns": campaigns, "channels": [c.as_dict() for c in report.channels]}).data)
