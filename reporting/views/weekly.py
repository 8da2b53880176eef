"""The weekly pipeline dashboard (domain.md section 9) and the list of leads behind each of its numbers.
Everyone signed in reads the dashboard (shared numbers, see docs/metrics.md); the lists of leads show only
the leads the reader may see."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import get_script_prefix, reverse

from leadops import clock
from lifecycle.selectors import leads_visible_to
from reporting.selectors import drilldown, weekly
from reporting.views.common import PAGE_SIZE, parse_week


@lru_cache(maxsize=8)
def _leads_base(script_prefix: str) -> str:
    return reverse("reporting:weekly_leads")


def _leads_url(week: str, metric: str, **extra: Any) -> str:
    """The drill-down link (``url_with_query`` with the path resolved once: a page has ~700 of these links)."""
    query = {"week": week, "metric": metric, **{k: v for k, v in extra.items() if v is not None}}
    return f"{_leads_base(get_script_prefix())}?{urlencode(query)}"


@login_required
def weekly_pipeline(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("week")
    monday = parse_week(raw) if raw else weekly.week_monday(*clock.now().isocalendar()[:2])
    if monday is None:
        return render(request, "reporting/weekly.html", {"error": "Choose an ISO week such as 2026-W47.",
                                                         "week": raw}, status=422)
    report = weekly.weekly_pipeline(monday=monday)
    rows = []
    for w in report.weeks:
        link = {m: _leads_url(w.week, m) for m in drilldown.WEEK_METRICS}
        rows.append({"w": w, "link": link,
                     "leads_by_source": [(s, n, _leads_url(w.week, "leads", source=s))
                                         for s, n in sorted(w.leads_by_source.items())],
                     "mqls_by_source": [(s, n, _leads_url(w.week, "mqls", source=s))
                                        for s, n in sorted(w.mqls_by_source.items())]})
    chart = {
        "labels": [w.week for w in report.weeks],
        "series": {name: [getattr(w, name) for w in report.weeks] for name in ("leads", "mqls", "sals", "sqls",
                                                                               "opportunities")},
        "compliance": {side: [getattr(w, f"{side}_compliance") for w in report.weeks]
                       for side in ("sales", "marketing")},
        "funnel": [report.current.mqls, report.current.sals, report.current.sqls, report.current.opportunities],
    }
    aging = [{**g, "owners": [{**o, "url": _leads_url(report.week, "aging", stage=g["stage"], owner=o["owner"] or 0)}
                              for o in g["by_owner"]],
              "url": _leads_url(report.week, "aging", stage=g["stage"])} for g in report.aging]
    reasons = [{**r, "url": _leads_url(report.week, "rejected", reason=r["reason"])}
               for r in report.rejection_reasons]
    return render(request, "reporting/weekly.html", {
        "report": report, "rows": list(reversed(rows)), "current": rows[-1], "chart": chart,
        "aging": aging, "reasons": reasons, "week": report.week,
        "previous_week": weekly.iso_label(monday - dt.timedelta(weeks=1)),
        "next_week": weekly.iso_label(monday + dt.timedelta(weeks=1)),
    })


@login_required
def weekly_leads(request: HttpRequest) -> HttpResponse:
    monday = parse_week(request.GET.get("week"))
    metric = request.GET.get("metric", "")
    owner_raw = request.GET.get("owner")
    if monday is None or metric not in drilldown.METRICS or (owner_raw is not None and not owner_raw.isdigit()):
        return render(request, "reporting/weekly_leads.html",
                      {"error": "Unknown week, number or owner: go back to the dashboard."}, status=422)
    starts_at = dt.datetime.combine(monday, dt.time(), tzinfo=dt.UTC)
    qs = drilldown.leads_behind(metric=metric, starts_at=starts_at, ends_at=starts_at + dt.timedelta(days=7),
                                source=request.GET.get("source"), reason=request.GET.get("reason"),
                                stage=request.GET.get("stage"),
                                owner=int(owner_raw) if owner_raw is not None else None)
    qs = qs.filter(pk__in=leads_visible_to(request.user).values("pk")).select_related("owner").order_by("-id")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "reporting/weekly_leads.html", {
        "page": page, "metric": metric, "week": weekly.iso_label(monday), "filters": request.GET,
        "query": query.urlencode()})
