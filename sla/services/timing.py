"""Due and warning times of a clock: pure functions of (start, policy version, calendar, high intent)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol

from sla.calendar_math import CalendarSpec, add_business_time, business_time_between, explain_due, iso_duration


class PolicyLike(Protocol):
    kind: str
    version: int
    target: dt.timedelta
    high_intent_target: dt.timedelta | None
    warn_fraction: float


@dataclass(frozen=True)
class Timing:
    due_at: dt.datetime
    warn_at: dt.datetime
    explanation: dict[str, Any]


def clock_due(started_at: dt.datetime, policy: PolicyLike, calendar: CalendarSpec, *, high_intent: bool = False,
              request_at: dt.datetime | None = None, due_at: dt.datetime | None = None) -> Timing:
    """When a clock started at ``started_at`` under ``policy`` is due, and when it is at risk.

    - standard: ``target`` of business time after the start; high intent (first_contact): the
      high-intent target instead;
    - a high-intent request at ``request_at`` on a running standard clock: due becomes
      min(current due, request + high-intent target) (domain.md section 6), never before the start;
    - the warning comes after ``warn_fraction`` of the business time between start and due.
    """
    high_target = policy.high_intent_target
    if due_at is None:
        target = high_target if (high_intent and high_target is not None and request_at is None) else policy.target
        due_at = add_business_time(started_at, target, calendar)
    reason = "standard" if not high_intent or high_target is None else "high_intent"
    if request_at is not None and high_target is not None:
        pulled = add_business_time(max(request_at, started_at), high_target, calendar)
        if pulled < due_at:
            due_at = pulled
            reason = "high_intent_request"
    window = business_time_between(started_at, due_at, calendar)
    warn_at = add_business_time(started_at, window * policy.warn_fraction, calendar)
    explanation = explain_due(started_at, due_at, calendar)
    explanation.update({
        "policy": policy.kind, "policy_version": policy.version, "target": iso_duration(policy.target),
        "high_intent_target": iso_duration(high_target) if high_target is not None else None,
        "rule": reason, "warn_fraction": policy.warn_fraction,
        "request_at": request_at.isoformat() if request_at is not None else None,
    })
    return Timing(due_at=due_at, warn_at=min(warn_at, due_at), explanation=explanation)
