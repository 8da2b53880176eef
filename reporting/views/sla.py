"""The SLA compliance page: compliance by policy, team or rep, speed to lead and rep response time (median and
p90) and the count never contacted. Same selector as ``GET /api/v1/reports/sla/``."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from reporting.api.serializers import SlaIn
from reporting.selectors import sla
from reporting.views.common import leads_link, page_context, percent, period_of, read_params

GROUP_LABELS = {"policy": "Policy", "team": "Team", "rep": "Rep"}


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


@login_required
def sla_page(request: HttpRequest) -> HttpResponse:
    p, error = read_params(request, SlaIn)
    if error:
        return render(request, "reporting/sla.html", {"error": error, "p": request.GET, "choice": "group_by",
                                                      "choices": sla.GROUPS, "group_labels": GROUP_LABELS}, status=422)
    report = sla.sla_report(period=period_of(p), group_by=p["group_by"])
    g = p["group_by"]

    def link(metric: str, key: str | None, group_by: str | None = g) -> str:
        return leads_link("sla", metric, p["from"], p["to"], group_by if key else None, key)

    compliance = [{"r": r, "met": link("met", r.key), "breached": link("breached", r.key)} for r in report.rows]
    total = {"r": report.total, "met": link("met", None), "breached": link("breached", None)}
    speed = [{"r": r, "never": link("never_contacted", r.key)} for r in report.speed]
    speed_total = {"r": report.speed_total, "never": link("never_contacted", None)}
    rows_for_speed = report.speed or [report.speed_total]
    chart = {
        "labels": [r.label for r in report.rows],
        "compliance": [percent(r.compliance) for r in report.rows],
        "target": percent(report.target),
        "speed_labels": [r.label for r in rows_for_speed],
        "speed": {"Speed to lead, median": [_hours(r.speed_to_lead_median_s) for r in rows_for_speed],
                  "Speed to lead, p90": [_hours(r.speed_to_lead_p90_s) for r in rows_for_speed],
                  "Rep response, median": [_hours(r.response_time_median_s) for r in rows_for_speed],
                  "Rep response, p90": [_hours(r.response_time_p90_s) for r in rows_for_speed]},
    }
    return render(request, "reporting/sla.html", page_context(
        p, "group_by", sla.GROUPS, "sla", report=report, compliance=compliance, total=total, speed=speed,
        speed_total=speed_total, chart=chart, group_label=GROUP_LABELS[g], group_labels=GROUP_LABELS))
