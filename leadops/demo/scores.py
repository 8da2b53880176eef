"""Stand-in scores: the fit and behaviour rules of domain.md section 5's defaults (the scoring app will own this)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from typing import Any

from leadops.demo.data import (
    BEHAVIOUR_POINTS,
    HALF_LIFE_DAYS,
    SERVED_COUNTRIES,
    STUDENT_TITLES,
    TARGET_INDUSTRIES,
)
from lifecycle.services.leads import derive_seniority


def fit_score(fields: dict[str, Any], free_mail: bool) -> int:
    score = 0
    employees = fields.get("employee_count")
    if employees is not None and 50 <= employees <= 500:
        score += 20
    if fields.get("industry") in TARGET_INDUSTRIES:
        score += 15
    if derive_seniority(fields.get("title", "")) in ("director", "vp", "cxo"):
        score += 15
    if fields.get("country") in SERVED_COUNTRIES:
        score += 10
    if free_mail:
        score -= 10
    if fields.get("title") in STUDENT_TITLES:
        score -= 50
    return score


def behaviour_score(events_seen: Iterable[tuple[dt.datetime, str]], at: dt.datetime) -> int:
    totals: dict[str, float] = {}
    for when, kind in events_seen:
        if when > at:
            continue
        points, _cap = BEHAVIOUR_POINTS[kind]
        age_days = (at - when).total_seconds() / 86400
        totals[kind] = totals.get(kind, 0.0) + points * math.pow(0.5, age_days / HALF_LIFE_DAYS)
    return round(sum(min(total, BEHAVIOUR_POINTS[kind][1]) for kind, total in totals.items()))
