"""What a plan is made of: the accounts, campaigns and leads to write, each lead's story as timed steps."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from leadops.demo.data import DAY
from lifecycle.state_machine import Stage


def per_stage(stages: Iterable[str]) -> dict[str, int]:
    """How many of ``stages`` are in each stage, every stage named (in the lifecycle's order)."""
    counts = Counter(stages)
    return {stage: counts.get(stage, 0) for stage in Stage.values}


@dataclass
class Step:
    at: dt.datetime
    kind: str  # create event promote route assign touch accept reject qualify disqualify recycle convert deal
    actor: str | None = None  # a username; None is the system
    args: dict[str, Any] = field(default_factory=dict)


@dataclass
class LeadPlan:
    email: str
    campaign: str | None
    fields: dict[str, Any]
    steps: list[Step]
    scores: tuple[int, int, int] = (0, 0, 0)
    scripted: str = ""  # what a scripted story shows; "" for the others
    via_services: bool = False
    stage: str = ""  # the stage it ends in
    cycles: int = 0  # recycle_count at the end
    owner: str | None = None

    @property
    def created_at(self) -> dt.datetime:
        return self.steps[0].at


@dataclass
class AccountSpec:
    name: str
    short_name: str  # as people type it into a form
    domain: str
    industry: str
    employee_count: int
    country: str
    annual_revenue: int
    owner: str | None = None


@dataclass
class CampaignSpec:
    name: str
    channel: str
    type: str
    cost: int
    starts_on: dt.date
    ends_on: dt.date | None
    expected_volume: int

    def lead_window(self, base: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
        """When this campaign creates leads: webinars on the day and on demand after, events with the scans
        uploaded over the following days, the rest while it runs."""
        start = dt.datetime.combine(self.starts_on, dt.time(), dt.UTC)
        end = dt.datetime.combine(self.ends_on, dt.time(), dt.UTC) + DAY if self.ends_on else base
        if self.channel == "webinar":
            start, end = end - DAY, end + 10 * DAY
        elif self.channel == "event":
            end += 3 * DAY
        return start, min(end, base)


@dataclass
class DemoPlan:
    seed: int
    base: dt.datetime
    accounts: list[AccountSpec]
    campaigns: list[CampaignSpec]
    leads: list[LeadPlan]
    targets: list[tuple[str | None, dt.date, int]]  # (team or None for the company, quarter start, amount)

    def stage_counts(self) -> dict[str, int]:
        return per_stage(plan.stage for plan in self.leads)
