"""The leads behind a number of a period report (funnel, SLA, attribution, scorecard, win/loss, calendar):
``/dashboards/leads/?report=&metric=&from=&to=&group_by=&key=`` (``model``, ``reason`` where they apply).
The number is company-wide; the list shows only the leads the reader may see."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from lifecycle.selectors import leads_visible_to
from reporting.api.serializers import PeriodIn
from reporting.selectors import drilldown
from reporting.views.common import PAGE_SIZE, period_of, read_params

REPORT_PAGES = {"funnel": "reporting:funnel", "sla": "reporting:sla", "attribution": "reporting:attribution",
                "win_loss": "reporting:win_loss", "campaigns": "reporting:campaign_calendar"}


class DatesIn(PeriodIn):
    def get_fields(self):  # type: ignore[no-untyped-def]
        fields = super().get_fields()
        fields.pop(self.choice_name)
        return fields


@login_required
def report_leads(request: HttpRequest) -> HttpResponse:
    p, error = read_params(request, DatesIn)
    g = request.GET
    report, metric = g.get("report", ""), g.get("metric", "")
    qs = None
    if not error:
        try:
            qs = drilldown.period_leads_behind(report=report, metric=metric, period=period_of(p),
                                               group_by=g.get("group_by") or None, key=g.get("key"),
                                               model=g.get("model", "first_touch"), reason=g.get("reason"))
        except ValueError:
            error = "Unknown report, number, group or model: go back to the report."
    if qs is None:
        return render(request, "reporting/report_leads.html", {"error": error, "back": REPORT_PAGES}, status=422)
    qs = qs.filter(pk__in=leads_visible_to(request.user).values("pk")).select_related("owner").order_by("-id")
    page = Paginator(qs, PAGE_SIZE).get_page(g.get("page"))
    query = g.copy()
    query.pop("page", None)
    return render(request, "reporting/report_leads.html", {
        "page": page, "report": report, "metric": metric, "filters": g, "p": p, "query": query.urlencode(),
        "back_url": REPORT_PAGES.get(report)})
