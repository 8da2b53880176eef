"""The funnel & conversion page: the MQL cohort of any period by channel, campaign, team or score band, with
the thresholds drawn and flagged in words. Same selector as ``GET /api/v1/reports/funnel/``."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from reporting.api.serializers import FunnelIn
from reporting.selectors import funnel
from reporting.views.common import leads_link, page_context, percent, period_of, read_params
from sla.selectors.metrics import sla_settings

COUNTS = ("mqls", "accepted", "rejected", "sqls", "opportunities", "customers")
GROUP_LABELS = {"channel": "Channel", "campaign": "Campaign", "team": "Team", "score_band": "Score band"}


@login_required
def funnel_page(request: HttpRequest) -> HttpResponse:
    p, error = read_params(request, FunnelIn)
    if error:
        return render(request, "reporting/funnel.html", {"error": error, "p": request.GET, "choice": "group_by",
                                                         "choices": funnel.GROUPS, "group_labels": GROUP_LABELS},
                      status=422)
    report = funnel.funnel_report(period=period_of(p), group_by=p["group_by"])
    conf = sla_settings()

    def with_links(row: funnel.FunnelRow, key: str | None) -> dict[str, Any]:
        return {"r": row, "links": {m: leads_link("funnel", m, p["from"], p["to"], p["group_by"], key)
                                    for m in COUNTS}}

    rows = [with_links(r, r.key) for r in report.rows]
    chart = {
        "labels": [r.label for r in report.rows],
        "mql_to_sql": [percent(r.mql_to_sql) for r in report.rows],
        "acceptance": [percent(r.acceptance_rate) for r in report.rows],
        "lead_to_opportunity": [percent(r.lead_to_opportunity) for r in report.rows],
        "thresholds": {"acceptance_floor": percent(conf.acceptance_floor),
                       "quality_floor": percent(conf.quality_floor),
                       "quality_healthy": percent(conf.quality_healthy)},
    }
    return render(request, "reporting/funnel.html", page_context(
        p, "group_by", funnel.GROUPS, "funnel", report=report, rows=rows, total=with_links(report.total, None),
        chart=chart, conf=conf, group_label=GROUP_LABELS[p["group_by"]], group_labels=GROUP_LABELS))
