"""The lead quality scorecard (per campaign or channel, per month) and win/loss (closed deals and lost
reasons by campaign, channel or rep). Same selectors as ``GET /api/v1/reports/lead-quality/`` and
``/win-loss/``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from reporting.api.quality import ScorecardIn, WinLossIn
from reporting.selectors import scorecard, winloss
from reporting.views.common import leads_link, page_context, percent, period_of, read_params
from sla.selectors.metrics import sla_settings

SCORECARD_COUNTS = ("leads", "mqls", "accepted", "rejected", "sqls", "opportunities", "won")
GROUP_LABELS = {"campaign": "Campaign", "channel": "Channel", "rep": "Rep"}
CHART_KEYS = 8  # the scorecard chart shows the keys with the most MQLs; the tables show all
CHART_ROWS = 15  # the win/loss chart shows the groups with the most closed deals (the rows' order)


def _month_bounds(month: str, first: dt.date, last: dt.date) -> tuple[dt.date, dt.date]:
    """The month (``2026-11``) clipped to the chosen period."""
    start = dt.date(int(month[:4]), int(month[5:]), 1)
    end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return max(start, first), min(end, last)


@login_required
def lead_quality_page(request: HttpRequest) -> HttpResponse:
    p, error = read_params(request, ScorecardIn)
    if error:
        return render(request, "reporting/lead_quality.html", {"error": error, "p": request.GET, "choice": "group_by",
                                                               "choices": scorecard.GROUPS,
                                                               "group_labels": GROUP_LABELS}, status=422)
    g = p["group_by"]
    report = scorecard.scorecard(period=period_of(p), group_by=g)
    months: dict[str, list[dict[str, Any]]] = {m: [] for m in report.months}
    for r in report.rows:
        first, last = _month_bounds(r.month, p["from"], p["to"])
        links = {m: leads_link("funnel", m, first, last, g, r.key) for m in SCORECARD_COUNTS}
        reasons = [{**x, "url": leads_link("funnel", "rejected", first, last, g, r.key, reason=x["reason"])}
                   for x in r.top_reasons]
        months.setdefault(r.month, []).append({"r": r, "links": links, "reasons": reasons})
    mqls_by_key: dict[tuple[str, str], int] = {}
    for r in report.rows:
        mqls_by_key[(r.label, r.key)] = mqls_by_key.get((r.label, r.key), 0) + r.mqls
    keys = sorted(sorted(mqls_by_key, key=lambda k: -mqls_by_key[k])[:CHART_KEYS])
    by_at = {(r.month, r.key): r for r in report.rows}
    chart = {"labels": report.months,
             "series": [{"label": label, "data": [percent(by_at[(m, k)].mql_to_sql) if (m, k) in by_at else None
                                                  for m in report.months]} for label, k in keys],
             "thresholds": {"quality_floor": percent(sla_settings().quality_floor),
                            "quality_healthy": percent(sla_settings().quality_healthy)}}
    return render(request, "reporting/lead_quality.html", page_context(
        p, "group_by", scorecard.GROUPS, "lead-quality", report=report, months=months, chart=chart,
        chart_limited=len(mqls_by_key) > CHART_KEYS, chart_keys=CHART_KEYS,
        group_label=GROUP_LABELS[g], group_labels=GROUP_LABELS, conf=sla_settings()))


@login_required
def win_loss_page(request: HttpRequest) -> HttpResponse:
    p, error = read_params(request, WinLossIn)
    if error:
        return render(request, "reporting/win_loss.html", {"error": error, "p": request.GET, "choice": "group_by",
                                                           "choices": winloss.GROUPS, "group_labels": GROUP_LABELS},
                      status=422)
    g = p["group_by"]
    report = winloss.win_loss(period=period_of(p), group_by=g)

    def with_links(r: winloss.WinLossRow, key: str | None) -> dict[str, Any]:
        return {"r": r, "won": leads_link("win_loss", "won", p["from"], p["to"], g if key else None, key),
                "lost": leads_link("win_loss", "lost", p["from"], p["to"], g if key else None, key),
                "reasons": [{**x, "url": leads_link("win_loss", "lost", p["from"], p["to"], g if key else None, key,
                                                   reason=x["reason"])} for x in r.lost_reasons]}

    rows = [with_links(r, r.key) for r in report.rows]
    shown = report.rows[:CHART_ROWS]
    chart = {"labels": [r.label for r in shown],
             "won": [r.won for r in shown],
             "reasons": [{"label": code, "data": [next((x["count"] for x in r.lost_reasons if x["reason"] == code), 0)
                                                  for r in shown]} for code in report.reasons]}
    return render(request, "reporting/win_loss.html", page_context(
        p, "group_by", winloss.GROUPS, "win-loss", report=report, rows=rows, total=with_links(report.total, None),
        chart=chart, chart_limited=len(report.rows) > CHART_ROWS, chart_rows=CHART_ROWS, group_label=GROUP_LABELS[g],
        group_labels=GROUP_LABELS))
