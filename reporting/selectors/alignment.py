"""The alignment score and the alignment pulse (domain.md section 8; definitions in docs/metrics.md).

**Alignment pulse.** Once a month marketing and sales members answer "How likely are you to recommend
working with the other team?" (0-10, and a comment). Per team and per side: promoters (9-10), passives
(7-8), detractors (0-6) and NPS = 100 x (promoters - detractors) / answers, rounded to 1 place.

**Alignment score** (0-100) of a calendar month = the weighted mean of four components, each a fraction in
[0, 1]:

- ``sla_compliance`` (weight 30): mean of both sides' SLA compliance over the clocks due in the month
  (sales = first contact, touch cadence, disposition, SAL review; marketing = routing);
- ``shared_metrics`` (30): mean attainment of the month's MQL cohort: min(1, acceptance / acceptance floor)
  and min(1, MQL->SQL / healthy MQL->SQL);
- ``coverage_stability`` (20): share of the month's weekly forecast snapshots whose quarter coverage (open
  amount closing in the quarter / the quarter's target) is in the healthy band 3x-5x;
- ``pulse`` (20): mean over both sides of (NPS + 100) / 200 of the month's pulse.

A component without data (no clocks due, no cohort, no snapshot or target, no answer) is left out and
the remaining weights are re-scaled; with no component at all the score is None. A side without data is
left out of its component's mean the same way. Score = 100 x sum(w x value) / sum(w), rounded half up to a whole number.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q, Sum

from leadops.models import Team
from lifecycle.models import RevenueTarget
from reporting.models import ForecastLine, ForecastSnapshot, PulseResponse, PulseSide, PulseSurvey
from reporting.selectors import funnel, sla
from reporting.selectors.common import Period
from reporting.selectors.pipeline import HEALTHY_COVERAGE, quarter_of
from sla.models import SIDE_OF_KIND
from sla.selectors.metrics import sla_settings

WEIGHTS = {"sla_compliance": 30, "shared_metrics": 30, "coverage_stability": 20, "pulse": 20}
PROMOTER, DETRACTOR_MAX = 9, 6


# --- the pulse ----------------------------------------------------------------------------------------------


@dataclass
class NpsRow:
    key: str
    label: str
    side: str
    answers: int = 0
    promoters: int = 0
    passives: int = 0
    detractors: int = 0
    nps: float | None = None

    def add(self, score: int) -> None:
        self.answers += 1
        if score >= PROMOTER:
            self.promoters += 1
        elif score <= DETRACTOR_MAX:
            self.detractors += 1
        else:
            self.passives += 1
        self.nps = round(100 * (self.promoters - self.detractors) / self.answers, 1)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class PulseResults:
    survey: PulseSurvey
    teams: list[NpsRow]
    sides: list[NpsRow]  # marketing, sales (about the other team)
    comments: list[dict[str, Any]]  # anonymous: side, team label, score, comment


def pulse_results(*, survey: PulseSurvey) -> PulseResults:
    """NPS per team (the respondent's team when answering; "No team" for none) and per side, and the
    comments without their authors, newest first. Two queries."""
    answers = list(survey.responses.values("side", "team_id", "score", "comment", "answered_at"))
    names = dict(Team.objects.filter(pk__in={a["team_id"] for a in answers if a["team_id"]})
                 .values_list("pk", "name"))
    teams: dict[tuple[str, int | None], NpsRow] = {}
    sides = {s.value: NpsRow(s.value, s.label, s.value) for s in PulseSide}
    for a in answers:
        key = (a["side"], a["team_id"])
        row = teams.get(key)
        if row is None:
            label = names.get(a["team_id"], "No team") if a["team_id"] else "No team"
            row = teams[key] = NpsRow(str(a["team_id"] or "none"), label, a["side"])
        row.add(a["score"])
        sides[a["side"]].add(a["score"])
    comments = [{"side": a["side"], "team": names.get(a["team_id"], "No team") if a["team_id"] else "No team",
                 "score": a["score"], "comment": a["comment"]}
                for a in sorted(answers, key=lambda a: a["answered_at"], reverse=True) if a["comment"]]
    return PulseResults(survey, sorted(teams.values(), key=lambda r: (r.side, r.label)), list(sides.values()),
                        comments)


def open_pulse(*, now: dt.datetime) -> PulseSurvey | None:
    """The pulse open for answers at ``now`` (the latest one, if several overlap)."""
    return PulseSurvey.objects.filter(opens_at__lte=now, closes_at__gt=now).order_by("-period_start").first()


def answer_of(*, survey: PulseSurvey, user: Any) -> PulseResponse | None:
    return PulseResponse.objects.filter(survey=survey, respondent=user).first()


# --- the alignment score ----------------------------------------------------------------------------------


@dataclass
class Component:
    name: str
    weight: int
    value: float | None  # in [0, 1]; None = no data
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class AlignmentReport:
    month: dt.date
    score: int | None
    components: list[Component]

    def as_dict(self) -> dict[str, Any]:
        return {"month": self.month.strftime("%Y-%m"), "score": self.score,
                "components": [c.as_dict() for c in self.components]}


def _mean(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(sum(present) / len(present), 4) if present else None


def _month_period(month: dt.date) -> Period:
    first = month.replace(day=1)
    nxt = dt.date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return Period.from_dates(first, nxt - dt.timedelta(days=1))


def _sla_component(period: Period) -> Component:
    rows, _total, _target = sla.compliance(period=period, group_by="policy")
    met: defaultdict[str, int] = defaultdict(int)
    breached: defaultdict[str, int] = defaultdict(int)
    for r in rows:
        side = SIDE_OF_KIND.get(r.key, "sales")
        met[side] += r.met
        breached[side] += r.breached
    detail = {}
    for side in ("sales", "marketing"):
        n = met[side] + breached[side]
        detail[side] = {"met": met[side], "breached": breached[side],
                        "compliance": round(met[side] / n, 4) if n else None}
    return Component("sla_compliance", WEIGHTS["sla_compliance"],
                     _mean([detail["sales"]["compliance"], detail["marketing"]["compliance"]]), detail)


def _shared_component(period: Period) -> Component:
    conf = sla_settings()
    total = funnel.funnel_report(period=period, group_by="channel").total
    acceptance = None if total.acceptance_rate is None else min(1.0, total.acceptance_rate / conf.acceptance_floor)
    conversion = None if total.mql_to_sql is None else min(1.0, total.mql_to_sql / conf.quality_healthy)
    detail = {"mqls": total.mqls, "acceptance_rate": total.acceptance_rate, "acceptance_floor": conf.acceptance_floor,
              "acceptance_attainment": None if acceptance is None else round(acceptance, 4),
              "mql_to_sql": total.mql_to_sql, "mql_to_sql_healthy": conf.quality_healthy,
              "mql_to_sql_attainment": None if conversion is None else round(conversion, 4)}
    return Component("shared_metrics", WEIGHTS["shared_metrics"], _mean([acceptance, conversion]), detail)


def quarter_target(quarter_start: dt.date) -> Decimal | None:
    """The company target of the quarter, else the sum of its team targets (as pipeline coverage)."""
    t = RevenueTarget.objects.filter(period_start=quarter_start).aggregate(
        company=Sum("amount", filter=Q(team__isnull=True)), teams=Sum("amount", filter=Q(team__isnull=False)))
    return t["company"] if t["company"] is not None else t["teams"]


def _coverage_component(month: dt.date) -> Component:
    first = month.replace(day=1)
    nxt = dt.date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    snaps = list(ForecastSnapshot.objects.filter(week__gte=first, week__lt=nxt).order_by("week"))
    weeks = []
    for snap in snaps:
        quarter = quarter_of(snap.week)[0]
        amount = (ForecastLine.objects.filter(snapshot=snap, close_quarter=quarter)
                  .aggregate(a=Sum("amount"))["a"] or Decimal("0.00"))
        target = quarter_target(quarter)
        coverage = round(float(amount / target), 2) if target else None
        weeks.append({"week": snap.week.isoformat(), "quarter_forecast": str(amount),
                      "target": None if target is None else str(target), "coverage": coverage,
                      "healthy": coverage is not None and HEALTHY_COVERAGE[0] <= coverage <= HEALTHY_COVERAGE[1]})
    measured = [w for w in weeks if w["coverage"] is not None]
    value = round(sum(1 for w in measured if w["healthy"]) / len(measured), 4) if measured else None
    return Component("coverage_stability", WEIGHTS["coverage_stability"], value,
                     {"band": list(HEALTHY_COVERAGE), "weeks": weeks})


def _pulse_component(month: dt.date) -> Component:
    survey = PulseSurvey.objects.filter(period_start=month.replace(day=1)).first()
    if survey is None:
        return Component("pulse", WEIGHTS["pulse"], None, {"survey": None})
    results = pulse_results(survey=survey)
    sides = {r.side: r for r in results.sides}
    scaled = [None if r.nps is None else (r.nps + 100) / 200 for r in sides.values()]
    return Component("pulse", WEIGHTS["pulse"], _mean(scaled),
                     {"survey": survey.pk, **{s: {"answers": r.answers, "nps": r.nps} for s, r in sides.items()}})


def alignment_score(*, month: dt.date) -> AlignmentReport:
    """The alignment score of the calendar month holding ``month``, with its components."""
    month = month.replace(day=1)
    period = _month_period(month)
    components = [_sla_component(period), _shared_component(period), _coverage_component(month),
                  _pulse_component(month)]
    present = [c for c in components if c.value is not None]
    weight = sum(c.weight for c in present)
    score = math.floor(100 * sum(c.weight * (c.value or 0) for c in present) / weight + 0.5) if weight else None
    return AlignmentReport(month, score, components)
