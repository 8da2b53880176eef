"""Writing a plan: the organisation through the org services, the scripted and every ``service_every``-th story
through the lifecycle services at their own moments, the rest through ``Replay``; then the summary. Also what
``demo_data`` checks and deletes first (``existing_data``, ``reset``)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction

from leadops import clock, events
from leadops import services as org_services
from leadops.demo.context import Ctx, ledger_candidates, routed
from leadops.demo.data import (
    DAY,
    DEPARTED,
    HOUR,
    ON_LEAVE,
    ORG_DOMAIN,
    PEOPLE,
    TEAMS,
    demo_usernames,
    leave_ranges,
    team_names,
)
from leadops.demo.records import DemoPlan, LeadPlan, per_stage
from leadops.demo.replay import Replay, ReplayError
from leadops.demo_logins import DEMO_LOGINS, DEMO_PASSWORD
from leadops.errors import DomainError
from leadops.models import RepProfile, Team, User
from leadops.roles import Role
from lifecycle import services as lc
from lifecycle.models import (
    Account,
    Campaign,
    Lead,
    MarketingEvent,
    Opportunity,
    RevenueTarget,
    StageTransition,
    Touch,
)
from routing.models import Assignment
from sla.models import OutboundEvent


class DemoExists(Exception):
    pass


def existing_data() -> dict[str, Any]:
    """What is already there that the demo would clash with."""
    return {
        "leads": Lead.objects.count(),
        "users": list(User.objects.filter(username__in=demo_usernames()).values_list("username", flat=True)),
        "teams": list(Team.objects.filter(name__in=team_names()).values_list("name", flat=True)),
        "accounts": Account.objects.count(),
        "campaigns": Campaign.objects.count(),
    }


# the outbox too: its rows name leads and clocks by id (``clock:3``), and the ids restart with the reset
LIFECYCLE_TABLES = [
    StageTransition, Touch, MarketingEvent, Opportunity, Assignment, Lead, Account, Campaign, RevenueTarget,
    OutboundEvent,
]


def reset() -> None:
    """Delete the demo: every lead and what hangs off it (TRUNCATE: the audit trail refuses DELETE), accounts,
    campaigns, targets, the webhook outbox, and the demo's people and teams. The catalogues (reasons, touch
    channels, lead types) stay."""
    tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in LIFECYCLE_TABLES)
    with transaction.atomic():
        with connection.cursor() as cursor:
            # deferred foreign-key checks still pending in this transaction would make TRUNCATE refuse
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        User.objects.filter(username__in=demo_usernames()).delete()
        Team.objects.filter(name__in=team_names()).delete()


def route_write(*, lead_id: int, rep: User | None, team: Team, method: str, rule: str,
                candidates: list[dict[str, Any]], rule_id: int | None = None) -> Assignment:
    """The routing decision of an MQL, as the routing service will write it (it does not exist yet)."""
    now = clock.now()
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead_id)
        assignment = routed(lead, now, rep=rep, team=team, method=method, rule=rule, candidates=candidates,
                            rule_id=rule_id)
        assignment.save(force_insert=True)
        lead.save(update_fields=["owner", "team", "assigned_at", "updated_at"])
        name = "lead.assigned" if rep is not None else "lead.queued"  # as routing.services publishes them
        events.publish(events.DomainEvent(name, now, lead.pk, assignment.event_data()))
    return assignment


def play_services(ctx: Ctx, plan: LeadPlan) -> Lead:
    """Replay one story through the real services, each step at its own moment."""
    lead: Lead | None = None
    opportunity_id: int | None = None
    for step in plan.steps:
        a = step.args
        with clock.frozen_at(step.at):
            if step.kind == "create":
                lead = lc.lead_create(email=a["email"], campaign=ctx.campaign(a["campaign"]), **a["fields"])
                continue
            assert lead is not None
            if step.kind == "event":
                lc.event_record(lead=lead, type=a["type"], occurred_at=step.at, source=a["source"],
                                campaign=ctx.campaign(a["campaign"]),
                                properties=a["properties"])
            elif step.kind == "promote":
                lc.lead_promote(lead_id=lead.pk, to=a["to"], actor=ctx.actor(step.actor), trigger=a["trigger"],
                                note=a.get("note", ""))
            elif step.kind == "route":
                route_write(lead_id=lead.pk, rep=ctx.user(a["rep"]), team=ctx.teams[a["team"]], method=a["method"],
                            rule=a["rule"], candidates=ledger_candidates(ctx, a["candidates"], step.at),
                            rule_id=ctx.rule_id(a["rule"]))
            elif step.kind == "assign":
                rep = ctx.user(a["rep"])
                actor = ctx.user(step.actor)
                assert rep is not None and actor is not None
                lc.lead_assign(lead_id=lead.pk, owner_id=rep.pk, actor=actor, note=a["note"])
            elif step.kind == "touch":
                rep = ctx.user(step.actor)
                assert rep is not None
                lc.touch_log(lead_id=lead.pk, rep=rep, channel=a["channel"], outcome=a["outcome"],
                             occurred_at=step.at, note=a["note"])
            elif step.kind == "accept":
                lc.lead_accept(lead_id=lead.pk, actor=ctx.actor(step.actor), owner=ctx.user(a["owner"]),
                               note=a["note"])
            elif step.kind == "reject":
                lc.lead_reject(lead_id=lead.pk, actor=ctx.actor(step.actor), reason_code=a["reason"], note=a["note"])
            elif step.kind == "qualify":
                lc.lead_qualify(lead_id=lead.pk, actor=ctx.actor(step.actor), bant=a["bant"])
            elif step.kind == "disqualify":
                lc.lead_disqualify(lead_id=lead.pk, actor=ctx.actor(step.actor), reason_code=a["reason"],
                                   note=a["note"], override=a["override"])
            elif step.kind == "recycle":
                lc.lead_recycle(lead_id=lead.pk, actor=ctx.actor(step.actor), reason_code=a["reason"], note=a["note"])
            elif step.kind == "convert":
                result = lc.lead_convert(lead_id=lead.pk, actor=ctx.actor(step.actor), amount=Decimal(a["amount"]),
                                         close_date=a["close_date"], name=a["name"])
                assert result.opportunity is not None
                opportunity_id = result.opportunity.pk
            elif step.kind == "deal":
                assert opportunity_id is not None
                lc.opportunity_update(opportunity_id=opportunity_id, deal_stage=a["deal_stage"],
                                      amount=Decimal(a["amount"]) if a["amount"] is not None else None,
                                      close_date=a["close_date"], lost_reason=a["lost_reason"])
            else:
                raise ValueError(f"unknown step {step.kind}")
    assert lead is not None
    fit, behaviour, total = plan.scores
    Lead.objects.filter(pk=lead.pk).update(fit_score=fit, behaviour_score=behaviour, score=total)
    return lead


def _load_org(plan: DemoPlan) -> None:
    """Teams, people, rep profiles, accounts and campaigns (the services where there are any)."""
    base = plan.base
    with clock.frozen_at(base - 400 * DAY):
        teams = {name: org_services.team_create(name=name, kind=kind, capacity=capacity)
                 for name, kind, _, capacity in TEAMS}
        password = make_password(DEMO_PASSWORD)  # hashed once: PBKDF2 per user would cost seconds
        users: dict[str, User] = {}
        for p in PEOPLE:
            rep = {"weight": p.weight, "capacity": p.capacity, "time_zone": p.time_zone} if p.is_rep else None
            user = org_services.user_create(
                username=p.username, email=f"{p.username}@{ORG_DOMAIN}" if p.role != Role.INTEGRATOR else "",
                role=p.role, team=teams[p.team] if p.team else None, first_name=p.first_name,
                last_name=p.last_name, rep=rep)
            if p.role != Role.INTEGRATOR:
                user.password = password
                user.save(update_fields=["password"])
            users[p.username] = user
        for name, _, manager, _ in TEAMS:
            org_services.team_update(team=teams[name], manager=users[manager])
    Account.objects.bulk_create([
        Account(name=a.name, domain=a.domain, industry=a.industry, employee_count=a.employee_count, country=a.country,
                annual_revenue=Decimal(a.annual_revenue), owner=users[a.owner] if a.owner else None,
                created_at=base - (380 - i % 15) * DAY + (i % 24) * HOUR)
        for i, a in enumerate(plan.accounts)
    ])
    Campaign.objects.bulk_create([
        Campaign(name=c.name, channel=c.channel, type=c.type, cost=Decimal(c.cost), starts_on=c.starts_on,
                 ends_on=c.ends_on, expected_volume=c.expected_volume,
                 created_at=dt.datetime.combine(c.starts_on - dt.timedelta(days=21), dt.time(10), dt.UTC))
        for c in plan.campaigns
    ])
    teams_by_name = {t.name: t for t in Team.objects.all()}
    RevenueTarget.objects.bulk_create([
        RevenueTarget(team=teams_by_name[team] if team else None, period_start=start, amount=Decimal(amount))
        for team, start, amount in plan.targets
    ])


def _finish_org(plan: DemoPlan) -> None:
    """After the history: leave ranges (one covering today) and the rep who left stops taking leads."""
    for username in ON_LEAVE:
        rep = RepProfile.objects.get(user__username=username)
        org_services.rep_update(rep=rep, out_of_office=[
            {"starts_at": start, "ends_at": end, "note": note}
            for start, end, note in leave_ranges(plan.base, username)])
    for username in DEPARTED:
        org_services.rep_update(rep=RepProfile.objects.get(user__username=username), active=False)


@dataclass
class LoadResult:
    plan: DemoPlan
    via_services: int
    via_replay: int
    seconds: float
    stage_counts: dict[str, int] = field(default_factory=dict)


def load(plan: DemoPlan, *, progress: Callable[[str], None] | None = None) -> LoadResult:
    """Write the plan in one transaction (all or nothing). Refuses when demo people or leads exist."""
    started = time.monotonic()
    found = existing_data()
    if found["leads"] or found["users"] or found["teams"] or found["accounts"] or found["campaigns"]:
        raise DemoExists(found)
    with transaction.atomic():
        _load_org(plan)
        ctx = Ctx()
        replay = Replay(ctx)
        in_services = in_replay = 0
        for n, lead_plan in enumerate(plan.leads, start=1):
            try:
                if lead_plan.via_services:
                    replay.flush()  # keep lead ids in creation order
                    play_services(ctx, lead_plan)
                    in_services += 1
                else:
                    replay.play(lead_plan)
                    in_replay += 1
            except (DomainError, ReplayError) as exc:
                raise RuntimeError(f"demo story of {lead_plan.email} ({lead_plan.scripted or 'random'}) failed at "
                                   f"{exc}") from exc
            if progress and n % 500 == 0:
                progress(f"{n} of {len(plan.leads)} leads")
        replay.flush()
        _finish_org(plan)
    return LoadResult(plan=plan, via_services=in_services, via_replay=in_replay,
                      seconds=time.monotonic() - started,
                      stage_counts=per_stage(Lead.objects.values_list("stage", flat=True)))


def base_moment() -> dt.datetime:
    """Midnight UTC of today: every story is placed relative to it."""
    now = clock.now()
    return dt.datetime.combine(now.date(), dt.time(), dt.UTC)


def summary(result: LoadResult) -> list[str]:
    lines = [f"Loaded the demo organisation (seed {result.plan.seed}) in {result.seconds:.1f} s: "
             f"{sum(result.stage_counts.values())} leads ({result.via_services} through the services, "
             f"{result.via_replay} bulk-written)."]
    lines.append("Leads per stage: " + ", ".join(f"{s} {n}" for s, n in result.stage_counts.items()))
    lines.append(f"Accounts {Account.objects.count()}, campaigns {Campaign.objects.count()}, marketing events "
                 f"{MarketingEvent.objects.count()}, touches {Touch.objects.count()}, opportunities "
                 f"{Opportunity.objects.count()}, history rows {StageTransition.objects.count()}.")
    lines.append("Teams:")
    for team in Team.objects.select_related("manager").order_by("id"):
        members = team.members.count()
        lines.append(f"  {team.name:<18} {team.kind:<10} manager {team.manager.username if team.manager else '-':<6}"
                     f" {members} people")
    lines.append(f"Sign in with (password '{DEMO_PASSWORD}'):")
    lines += [f"  {username:<8} {what}" for username, what in DEMO_LOGINS]
    return lines
