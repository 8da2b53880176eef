"""The forecast vs actual page: per ISO week the snapshot's quarter forecast against closed won (charted),
over the same selector and parameters as ``GET /reports/forecast/``."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from leadops.models import Team
from reporting.api.alignment import ForecastIn
from reporting.selectors import forecast, rollups
from reporting.views.common import read_params


def _num(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


@login_required
def forecast_page(request: HttpRequest) -> HttpResponse:
    p, error = read_params(request, ForecastIn)
    teams = list(Team.objects.order_by("name").values("id", "name"))
    if error:
        return render(request, "reporting/forecast.html", {
            "error": error, "teams": teams, "from_value": request.GET.get("from", ""),
            "to_value": request.GET.get("to", "")}, status=422)
    report = forecast.forecast_vs_actual(first_monday=p["first_monday"], last_monday=p["last_monday"],
                                         team=p.get("team"))
    chart = {"labels": [w.week for w in report.weeks],
             "forecast": [_num(w.quarter_forecast) for w in report.weeks],
             "won_to_date": [_num(w.quarter_won_to_date) for w in report.weeks],
             "won": [_num(w.won_amount) for w in report.weeks]}
    query = urlencode({k: v for k, v in {"from": p["first_monday"].isoformat(), "to": p["last_monday"].isoformat(),
                                          "team": p.get("team")}.items() if v is not None})
    return render(request, "reporting/forecast.html", {
        "report": report, "weeks": list(reversed(report.weeks)), "chart": chart, "teams": teams,
        "team": p.get("team"), "from_value": p["first_monday"].isoformat(),
        "to_value": (p["last_monday"] + dt.timedelta(days=6)).isoformat(), "as_of": rollups.data_as_of(),
        "api_url": f"/api/v1/reports/forecast/?{query}", "csv_url": f"/api/v1/reports/forecast.csv?{query}"})
