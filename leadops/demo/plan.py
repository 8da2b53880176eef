"""``build_plan``: the whole demo decided from a seed (the scripted stories placed, the others at random),
then checked for what it promises."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from typing import Any

from leadops.demo.data import (
    DAY,
    DEFAULT_LEADS,
    ENTERPRISE,
    HOUR,
    MIDMARKET,
    MIN_LEADS,
    PEOPLE_BY_NAME,
    SDR,
    SERVICE_EVERY,
)
from leadops.demo.gen import Gen, Profile, weighted
from leadops.demo.records import CampaignSpec, DemoPlan, LeadPlan
from leadops.demo.scores import behaviour_score
from leadops.demo.scripts import scripts
from leadops.demo.story import Story
from leadops.demo_logins import DEMO_LOGINS
from lifecycle.catalogue import DISPOSITIONS
from lifecycle.models import DealStage
from lifecycle.state_machine import Stage


def _random_t0(g: Gen) -> tuple[str, CampaignSpec | None, dt.datetime]:
    """A channel and a creation moment: campaigns by their expected volume over their lead window."""
    rng = g.rng
    pairs: list[tuple[Any, float]] = [(c, float(c.expected_volume)) for c in g.campaigns]
    pairs.append((None, 180.0))  # direct traffic without a campaign
    campaign = weighted(rng, pairs)
    if campaign is None:
        start, end = g.base - 364 * DAY, g.base
        channel = "direct"
    else:
        start, end = campaign.lead_window(g.base)
        channel = campaign.channel
    while True:  # the company grows: more leads in recent months
        day = start + (end - start) * rng.random()
        if rng.random() < 0.45 + 0.55 * (1 - (g.base - day) / (364 * DAY)):
            break
    hour = weighted(rng, [(h, w) for h, w in zip(range(24), [1, 1, 1, 1, 1, 1, 2, 3, 5, 7, 9, 10, 10, 11, 12, 13, 14,
                                                              13, 11, 9, 6, 4, 2, 1], strict=True)])
    t0 = dt.datetime.combine(day.date(), dt.time(hour, rng.randint(0, 59), rng.randint(0, 59)), dt.UTC)
    if campaign is not None and campaign.channel == "webinar" and rng.random() < 0.6:
        t0 = dt.datetime.combine(start.date(), dt.time(17, rng.randint(0, 59), rng.randint(0, 59)), dt.UTC)
    return channel, campaign, min(t0, g.base - HOUR)


def _tell(g: Gen, prof: Profile, script: dict[str, Any] | None, t0: dt.datetime,
          campaign: CampaignSpec | None = None) -> Story:
    story = Story(g, prof, script, t0, campaign)
    story.run()
    return story


def _place_scripted(g: Gen, script: dict[str, Any]) -> Story:
    """Tell a scripted story so that it completes: "open" ones end ``open`` hours before today, the others
    well before today. The same random draws are replayed at each trial moment (``rng`` state restored)."""
    rng = g.rng
    prof = g.profile(script["seg"], script["channel"])
    open_hours = script.get("open")
    target = g.base - (open_hours * HOUR if open_hours is not None else rng.uniform(25, 300) * DAY)
    state = rng.getstate()
    t0 = target - 60 * DAY
    best: Story | None = None
    for attempt in range(8):
        rng.setstate(state)
        story = _tell(g, prof, script, t0)
        end = story.last
        if not story.truncated and end <= g.base and (open_hours is None or abs(end - target) < 12 * HOUR):
            best = story
            break
        if not story.truncated and best is None and end <= g.base:
            best = story
        if story.truncated:  # it ran into today: start it a month earlier
            t0 = max(t0 - 30 * DAY, g.base - 364 * DAY)
            continue
        shift = target - end
        # whole days first (working hours depend only on the time of day), then the remainder
        t0 += dt.timedelta(days=math.floor(shift / DAY)) if attempt == 0 else shift
        t0 = max(t0, g.base - 364 * DAY)
    if best is None:
        raise RuntimeError(f"demo: the scripted story {script['label']!r} does not fit before today")
    if best.t0 != t0:  # replay the chosen one so the random stream after it is the one it left
        rng.setstate(state)
        best = _tell(g, prof, script, best.t0)
    return best


def _to_plan(story: Story, scripted: str) -> LeadPlan:
    prof = story.prof
    behaviour = behaviour_score(story.events, story.g.base)
    return LeadPlan(email=prof.email, campaign=story.steps[0].args["campaign"], fields=story.steps[0].args["fields"],
                    steps=story.steps, scores=(prof.fit, behaviour, prof.fit + behaviour), scripted=scripted,
                    stage=str(story.stage), cycles=story.cycle, owner=story.owner)


def build_plan(*, seed: int, leads: int = DEFAULT_LEADS, base: dt.datetime,
               service_every: int = SERVICE_EVERY) -> DemoPlan:
    """Everything the demo will contain, decided from ``seed`` (see the package docstring)."""
    if leads < MIN_LEADS:
        raise ValueError(f"The demo needs at least {MIN_LEADS} leads.")
    g = Gen(seed, base)
    plans: list[LeadPlan] = []
    for script in scripts():
        story = _place_scripted(g, script)
        plans.append(_to_plan(story, script["label"]))
        g.won += story.won
    for n in range(leads - len(plans)):
        channel, campaign, t0 = _random_t0(g)
        story = _tell(g, g.profile(None, channel), None, t0, campaign)
        plan = _to_plan(story, "")
        plan.via_services = service_every > 0 and n % service_every == 0
        plans.append(plan)
        g.won += story.won
    for plan in plans:
        plan.via_services = plan.via_services or bool(plan.scripted)
    plans.sort(key=lambda p: (p.created_at, p.email))
    demo_plan = DemoPlan(seed=seed, base=base, accounts=g.accounts, campaigns=g.campaigns, leads=plans,
                         targets=_targets(g))
    _check_coverage(demo_plan)
    return demo_plan


def _quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _targets(g: Gen) -> list[tuple[str | None, dt.date, int]]:
    """Revenue targets of the current and previous quarters, sized on what the previous quarter closed."""
    current = _quarter_start(g.base.date())
    previous = _quarter_start(current - DAY)
    won_prev: Counter[str] = Counter()
    for day, team, amount in g.won:
        if previous <= day < current:
            won_prev[team] += amount
    targets: list[tuple[str | None, dt.date, int]] = []
    company = {previous: 0, current: 0}
    for team in (ENTERPRISE, MIDMARKET):
        prev = max(50_000, int(round(won_prev[team] * g.rng.uniform(1.0, 1.2), -4)))
        cur = int(round(prev * 1.1, -4))
        targets += [(team, previous, prev), (team, current, cur)]
        company[previous] += prev
        company[current] += cur
    sdr_prev = int(round(won_prev[SDR] * 1.1, -4))
    targets += [(None, previous, company[previous] + sdr_prev),
                (None, current, int(round((company[previous] + sdr_prev) * 1.1, -4)))]
    return targets


def _check_coverage(plan: DemoPlan) -> None:
    """The promises of the demo (every stage, reason, deal stage ...) hold, or the plan is a bug."""
    used: set[tuple[str, str]] = set()
    deal_stages: set[str] = set()
    for lead in plan.leads:
        for step in lead.steps:
            if step.kind in ("reject", "disqualify", "recycle"):
                kind = {"reject": "rejection", "disqualify": "disqualification", "recycle": "recycle"}[step.kind]
                used.add((kind, step.args["reason"]))
            if step.kind == "deal" and step.args.get("deal_stage"):
                deal_stages.add(step.args["deal_stage"])
                if step.args.get("lost_reason"):
                    used.add(("closed_lost", step.args["lost_reason"]))
            if step.kind == "convert":
                deal_stages.add("discovery")
    problems = [f"demo login {username} has no person" for username, _ in DEMO_LOGINS if username not in PEOPLE_BY_NAME]
    problems += [f"reason {kind}/{code} unused" for kind, code, *_ in DISPOSITIONS if (kind, code) not in used]
    problems += [f"deal stage {s} unused" for s in DealStage.values if s not in deal_stages]
    counts = plan.stage_counts()
    problems += [f"no lead in {stage}" for stage, n in counts.items() if n == 0]
    if not any(p.cycles >= 2 for p in plan.leads):
        problems.append("no lead in a third cycle")
    riley_open = [p for p in plan.leads if p.owner == "riley" and p.stage in (Stage.MQL, Stage.SAL, Stage.SQL)]
    if len(riley_open) < 5:
        problems.append("riley owns too few open leads")
    if problems:
        raise RuntimeError("demo plan is incomplete: " + "; ".join(problems))
