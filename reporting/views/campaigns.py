"""The campaign calendar: campaigns on a timeline with expected against actual lead volume, and the leads to
expect per week. Same selector as ``GET /api/v1/reports/campaign-calendar/``."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from leadops import clock
from reporting.api.quality import CalendarIn
from reporting.selectors import campaigns
from reporting.views.common import leads_link, page_context, period_of, read_params

STATUS_TEXT = {"no_expectation": "No expected volume set", "upcoming": "Not started yet",
               "behind": "Behind (under 80 % of expected to date)", "on_track": "On track",
               "ahead": "Ahead (over 120 % of expected to date)"}


@login_required
def campaign_calendar_page(request: HttpRequest) -> HttpResponse:
    p, error = read_params(request, CalendarIn)
    if error:
        return render(request, "reporting/campaign_calendar.html", {"error": error, "p": request.GET}, status=422)
    today = clock.now().date()
    report = campaigns.campaign_calendar(period=period_of(p), today=today)
    slots = [{"c": c, "status_text": STATUS_TEXT[c.status],
              "leads": leads_link("campaigns", "sourced", p["from"], p["to"], "campaign", str(c.campaign))}
             for c in report.campaigns]
    weeks = [{"w": w, "leads": leads_link("campaigns", "created", p["from"], p["to"], "week", w.week)}
             for w in report.weeks]
    chart = {
        "first": p["from"].isoformat(), "last": p["to"].isoformat(), "today": today.isoformat(),
        "timeline": [{"label": c.name, "start": c.starts_on.isoformat(),
                      "end": (c.ends_on or p["to"]).isoformat(), "status": c.status} for c in report.campaigns],
        "weeks": [w.week for w in report.weeks],
        "expected": [w.expected for w in report.weeks],
        "actual": [w.actual for w in report.weeks],
    }
    return render(request, "reporting/campaign_calendar.html", page_context(
        p, None, (), "campaign-calendar", report=report, slots=slots, weeks=weeks, chart=chart,
        today=today))
