"""The attribution page: marketing-sourced revenue and pipeline by campaign and channel under one of the
four models, cost per SQL and per won deal. Same selector as ``GET /api/v1/reports/attribution/``."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from reporting.api.serializers import AttributionIn
from reporting.selectors import attribution
from reporting.views.common import leads_link, page_context, period_of, read_params

MODEL_LABELS = {"first_touch": "First touch", "last_touch": "Last touch", "linear": "Linear",
                "u_shaped": "U-shaped (40/20/40)"}
CHART_ROWS = 15  # the chart shows the campaigns with the most revenue + pipeline; the table shows all


@login_required
def attribution_page(request: HttpRequest) -> HttpResponse:
    p, error = read_params(request, AttributionIn)
    if error:
        return render(request, "reporting/attribution.html", {"error": error, "p": request.GET, "choice": "model",
                                                              "choices": attribution.MODELS,
                                                              "group_labels": MODEL_LABELS}, status=422)
    report = attribution.attribution_report(period=period_of(p), model=p["model"])

    def links(group_by: str | None, key: str | None) -> dict[str, str]:
        return {m: leads_link("attribution", m, p["from"], p["to"], group_by, key, model=p["model"])
                for m in ("won", "pipeline", "sqls")}

    campaigns = [{"r": r, "links": links("campaign", str(r.campaign))} for r in report.campaigns]
    channels = [{"r": r, "links": links("channel", r.channel)} for r in report.channels]
    shown = sorted(report.campaigns, key=lambda r: -(r.revenue + r.pipeline))[:CHART_ROWS]
    chart = {"labels": [r.name for r in shown],
             "revenue": [float(r.revenue) for r in shown],
             "pipeline": [float(r.pipeline) for r in shown]}
    return render(request, "reporting/attribution.html", page_context(
        p, "model", attribution.MODELS, "attribution", report=report, campaigns=campaigns, channels=channels,
        all_links=links(None, None), chart=chart, chart_limited=len(report.campaigns) > CHART_ROWS,
        chart_rows=CHART_ROWS, group_labels=MODEL_LABELS, model_label=MODEL_LABELS[p["model"]]))
