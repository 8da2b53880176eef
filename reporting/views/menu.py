"""The reports menu (``/dashboards/``): every report page, readable by every signed-in role."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse

# (url name, title, what it answers); pages whose URL does not exist (yet) are left out
REPORTS = (
    ("reporting:weekly_pipeline", "Weekly pipeline", "This ISO week's numbers against the 12 before it."),
    ("reporting:funnel", "Funnel & conversion", "MQL cohort, acceptance, MQL->SQL and lead->opportunity by "
                                                "channel, campaign, team or score band."),
    ("reporting:sla", "SLA compliance", "Compliance by policy, team or rep; speed to lead, rep response time, "
                                        "never contacted."),
    ("reporting:attribution", "Attribution", "Marketing-sourced revenue and pipeline by campaign and channel; "
                                             "cost per SQL and per won deal."),
    ("reporting:lead_quality", "Lead quality scorecard", "Per campaign or channel, per month."),
    ("reporting:win_loss", "Win/loss", "Closed deals and lost reasons by campaign, channel or rep."),
    ("reporting:campaign_calendar", "Campaign calendar", "Campaigns on a timeline, expected against actual "
                                                         "lead volume."),
    ("reporting:forecast", "Forecast vs actual", "Weekly snapshots of open pipeline against closed won."),
    ("reporting:alignment", "Alignment score", "Both sides' alignment, its components and the pulse survey."),
)


def available_reports() -> list[dict[str, str]]:
    out = []
    for name, title, text in REPORTS:
        try:
            out.append({"name": name, "url": reverse(name), "title": title, "text": text})
        except NoReverseMatch:
            continue
    return out


@login_required
def reports_menu(request: HttpRequest) -> HttpResponse:
    return render(request, "reporting/reports.html", {"reports": available_reports()})
