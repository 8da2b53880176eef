"""The escalation ladder (domain.md section 6), reviewed weekly, and capacity notices.

For the ISO week under review and each (accountable team, side) with clocks due that week, the weekly
compliance met / (met + breached) is compared with the target (90 %, ``SlaSettings``). The run of
consecutive weeks under target, counted back from that week, decides the rung:

- 1 week or more -> level 1 (marketing ops and sales ops talk: the team's manager and marketing ops are told);
- ``level2_weeks`` (4) or more -> level 2 (VP review: leadership is told too);
- ``level3_weeks`` (8, two months) or more -> level 3 (executive intervention: leadership and admins);
- and when most teams of a side (more than half of those with clocks that week, at least two) stand at
  level 2 or higher, a company-wide level 3 escalation of that side opens.

A week at or above target closes the open escalation ("recovered"); a week without clocks changes
nothing and ends a run. A higher rung closes the lower one ("raised") and opens its own record, with its
evidence (the weeks, their numbers, the breached clocks of the reviewed week), notified once
(in-app, e-mail, webhook ``escalation.opened``). Reviewing the same week twice changes nothing more.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction

from leadops import clock
from leadops.errors import Forbidden, RuleViolation
from leadops.models import Team, User
from leadops.roles import Role
from leadops.selectors import managed_team_ids
from sla.models import SIDE_OF_KIND, CapacityNotice, ClockStatus, Escalation, Side, SlaClock
from sla.selectors.metrics import WeekStat, iso_week, sla_settings, week_start, weekly_compliance
from sla.services.notify import notify_escalation

EVIDENCE_CLOCKS = 50


@dataclass
class ReviewOutcome:
    week: dt.date
    opened: list[Escalation] = field(default_factory=list)
    closed: list[Escalation] = field(default_factory=list)


def last_complete_week(now: dt.datetime) -> dt.date:
    return week_start(now.astimezone(dt.UTC).date()) - dt.timedelta(days=7)


def _recipients(level: int, team_id: int | None, side: str) -> list[int]:
    people: list[int] = []
    if team_id is not None:
        manager = Team.objects.filter(pk=team_id).values_list("manager_id", flat=True).first()
        if manager:
            people.append(manager)
    roles = [Role.MARKETING_OPS]
    if level >= 2 or team_id is None:
        roles.append(Role.LEADERSHIP)
    if level >= 3:
        roles.append(Role.ADMIN)
    people += list(User.objects.filter(role__in=roles, is_active=True).order_by("id")
                   .values_list("id", flat=True)[:100])
    return list(dict.fromkeys(people))


def _breached_clocks(team_id: int | None, side: str, week: dt.date) -> list[int]:
    start = dt.datetime.combine(week, dt.time(), tzinfo=dt.UTC)
    kinds = [kind for kind, s in SIDE_OF_KIND.items() if s == side]
    qs = SlaClock.objects.filter(due_at__gte=start, due_at__lt=start + dt.timedelta(days=7), kind__in=kinds,
                                 status=ClockStatus.BREACHED)
    qs = qs.filter(team_id=team_id) if team_id is not None else qs
    return list(qs.order_by("due_at").values_list("id", flat=True)[:EVIDENCE_CLOCKS])


def _open(*, team_id: int | None, side: str, level: int, week: dt.date, stat: WeekStat | None, target: float,
          weeks_under: int, evidence: dict, now: dt.datetime) -> Escalation:
    escalation = Escalation.objects.create(
        team_id=team_id, side=side, level=level, week=week, compliance=stat.compliance if stat else None,
        target=target, weeks_under=weeks_under, evidence=evidence, opened_at=now)
    notify_escalation(escalation, _recipients(level, team_id, side), now=now)
    return escalation


def _close(escalation: Escalation, *, reason: str, now: dt.datetime) -> None:
    escalation.closed_at, escalation.close_reason = now, reason
    escalation.save(update_fields=["closed_at", "close_reason"])


def escalation_review(*, week: dt.date | None = None, now: dt.datetime | None = None) -> ReviewOutcome:
    """Review one ISO week (default: the last complete one) and move the ladder. Idempotent."""
    now = now or clock.now()
    week = week_start(week) if week is not None else last_complete_week(now)
    conf = sla_settings()
    target = conf.compliance_target
    depth = max(conf.level3_weeks, conf.level2_weeks, 1)
    weeks = [week - dt.timedelta(days=7 * k) for k in range(depth)]
    stats = weekly_compliance(weeks[-1], week)
    outcome = ReviewOutcome(week=week)
    with transaction.atomic():
        open_now = {(e.team_id, e.side): e for e in Escalation.objects.select_for_update()
                    .filter(closed_at__isnull=True)}
        pairs: set[tuple[int | None, str]] = {(team, side) for (team, side, w) in stats
                                              if w == week and team is not None}
        pairs |= {key for key in open_now if key[0] is not None}
        level_of: dict[tuple[int | None, str], int] = {}
        for team_id, side in sorted(pairs, key=lambda p: (p[1], p[0] or 0)):
            current = stats.get((team_id, side, week))
            streak = 0
            history = []
            for w in weeks:
                stat = stats.get((team_id, side, w))
                history.append({"week": iso_week(w), "start": w.isoformat(), "met": stat.met if stat else 0,
                                "breached": stat.breached if stat else 0,
                                "compliance": stat.compliance if stat else None})
                if stat is None or stat.compliance is None or stat.compliance >= target:
                    break
                streak += 1
            level = (3 if streak >= conf.level3_weeks else 2 if streak >= conf.level2_weeks
                     else 1 if streak >= 1 else 0)
            existing = open_now.get((team_id, side))
            if current is None or current.total == 0:  # no clocks this week: nothing changes
                level_of[(team_id, side)] = existing.level if existing else 0
                continue
            level_of[(team_id, side)] = level
            if level == 0:
                if existing is not None:
                    _close(existing, reason="recovered", now=now)
                    outcome.closed.append(existing)
                continue
            evidence = {"weeks": history[:max(streak, 1)], "target": target,
                        "breached_clocks": _breached_clocks(team_id, side, week)}
            if existing is not None and existing.level >= level:
                continue
            if existing is not None:
                _close(existing, reason="raised", now=now)
                outcome.closed.append(existing)
            outcome.opened.append(_open(team_id=team_id, side=side, level=level, week=week, stat=current,
                                        target=target, weeks_under=streak, evidence=evidence, now=now))
        for side in Side.values:
            with_data = [t for (t, s, w) in stats if s == side and w == week and t is not None]
            high = sorted(t for t in with_data if level_of.get((t, side), 0) >= 2)
            company = open_now.get((None, side))
            most = len(with_data) >= 2 and len(high) * 2 > len(with_data)
            if most and company is None:
                outcome.opened.append(_open(team_id=None, side=side, level=3, week=week, stat=None, target=target,
                                            weeks_under=0, evidence={"teams_at_level_2": high,
                                                                     "teams_with_clocks": sorted(with_data),
                                                                     "target": target}, now=now))
            elif not most and company is not None and with_data:
                _close(company, reason="recovered", now=now)
                outcome.closed.append(company)
    return outcome


# --- capacity notices ----------------------------------------------------------------------------------


def capacity_notice_file(*, team: Team, actor: User, effective_on: dt.date, new_capacity: int | None = None,
                         note: str = "") -> CapacityNotice:
    """A sales manager (of the team) or an admin announces a capacity change; less than the required
    lead time (30 days) is recorded and flagged, not refused."""
    role = actor.role if not actor.is_superuser else Role.ADMIN
    if role != Role.ADMIN and not (role == Role.SALES_MANAGER and team.pk in managed_team_ids(actor)):
        raise Forbidden("Only a manager of the team (or an admin) files its capacity notices.", code="not_allowed")
    now = clock.now()
    if effective_on < now.date():
        raise RuleViolation("effective_on: must not be in the past.", code="validation_error",
                            details={"fields": {"effective_on": ["Must not be in the past."]}})
    lead_time = (effective_on - now.date()).days
    return CapacityNotice.objects.create(team=team, filed_by=actor, filed_at=now, effective_on=effective_on,
                                         new_capacity=new_capacity, note=note, lead_time_days=lead_time,
                                         short_notice=lead_time < sla_settings().capacity_notice_days)
