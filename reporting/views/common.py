"""Helpers shared by the report pages (reporting/views/*): parsing the period a page is asked for and
building links to the list of leads behind a number (the drill-down)."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import get_script_prefix, reverse
from rest_framework import serializers

from reporting.api.serializers import WEEK
from reporting.selectors import weekly
from reporting.selectors.common import Period

PAGE_SIZE = 50


def parse_week(raw: str | None) -> dt.date | None:
    """Monday of ``2026-W47`` (also what ``<input type=week>`` sends); None when it is not an ISO week."""
    match = WEEK.match(raw or "")
    if match is None:
        return None
    try:
        return weekly.checked_monday(int(match[1]), int(match[2]))
    except (ValueError, OverflowError):
        return None


def url_with_query(name: str, **query: Any) -> str:
    """``reverse(name)`` plus the query string of the non-None ``query`` items."""
    return f"{reverse(name)}?{urlencode({k: v for k, v in query.items() if v is not None})}"


def read_params(request: HttpRequest, serializer_class: type[serializers.Serializer]) -> tuple[dict[str, Any], str]:
    """The page's query parameters validated by the API's own input serializer (same defaults, same limits):
    ``(params, "")``, or ``({}, message)`` naming each bad field for a 422 page."""
    params = serializer_class(data=request.GET.dict())
    if params.is_valid():
        return dict(params.validated_data), ""
    problems = []
    for name, errs in params.errors.items():
        words = " ".join(str(e) for e in (errs if isinstance(errs, list) else [errs]))
        problems.append(f"{'from' if name == 'non_field_errors' else name}: {words}")
    return {}, "; ".join(problems)


def period_of(p: dict[str, Any]) -> Period:
    return Period.from_dates(p["from"], p["to"])


@functools.lru_cache(maxsize=8)
def _path(name: str, script_prefix: str) -> str:
    return reverse(name)


def leads_link(report: str, metric: str, first: dt.date, last: dt.date, group_by: str | None = None,
               key: str | None = None, **extra: Any) -> str:
    """The list of the leads behind a number of a period report (``reporting:report_leads``). A page has
    hundreds of these links: the path is resolved once (per script prefix), not per link."""
    query = {"report": report, "metric": metric, "from": first.isoformat(), "to": last.isoformat(),
             "group_by": group_by, "key": key, **extra}
    path = _path("reporting:report_leads", get_script_prefix())
    return f"{path}?{urlencode({k: v for k, v in query.items() if v is not None})}"


def percent(rate: float | None) -> float | None:
    """A rate as a percentage for the charts (None stays None: a gap, not 0)."""
    return None if rate is None else round(rate * 100, 1)


def page_context(p: dict[str, Any], choice: str | None, choices: tuple[str, ...], api_name: str,
                 **extra: Any) -> dict[str, Any]:
    """What the period form partial (``reporting/_period_form.html``) and the export links need."""
    query = {"from": p["from"].isoformat(), "to": p["to"].isoformat()}
    if choice:
        query[choice] = p[choice]
    qs = urlencode(query)
    return {"p": p, "first": p["from"], "last": p["to"], "choice": choice, "choices": choices,
            "chosen": p.get(choice) if choice else None, "query": qs,
            "api_url": f"/api/v1/reports/{api_name}/?{qs}", "csv_url": f"/api/v1/reports/{api_name}.csv?{qs}",
            **extra}
