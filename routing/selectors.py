"""Readers of routing: settings, rules, the dry run, the queue, the ledger and the fairness report."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet

from leadops import clock, roles
from leadops.models import RepProfile, Team, User
from leadops.roles import Role
from leadops.selectors import managed_team_ids
from lifecycle.models import Lead
from lifecycle.selectors import leads_visible_to
from lifecycle.state_machine import Stage
from routing import wrr
from routing.availability import Availability
from routing.decide import Decision, Eligible, decide
from routing.models import (
    ROUTING_METHODS,
    Assignment,
    AssignmentMethod,
    RoundRobinState,
    RoutingRule,
    RoutingSettings,
)
from routing.rules import CONDITION_FIELDS, RuleSpec, ordered


def routing_settings() -> RoutingSettings:
    """The settings row, or the defaults (unsaved) when no admin has saved any."""
    return RoutingSettings.objects.filter(pk=1).first() or RoutingSettings()


_RULES_FINGERPRINT = (f"SELECT count(*), coalesce(sum(hashtext(r::text)::bigint), 0), "
                      f"(SELECT hashtext(s::text) FROM {RoutingSettings._meta.db_table} s WHERE s.id = 1) "
                      f"FROM {RoutingRule._meta.db_table} r WHERE r.active")
_config_cache: dict[tuple[int, int, int | None], tuple[RoutingSettings, list[RuleSpec]]] = {}


def routing_config() -> tuple[RoutingSettings, list[RuleSpec]]:
    """The settings and the active rules (in the order they are tried), in one statement per decision.

    Every decision needs them; they rarely change. The process keeps the last set it loaded, keyed by a
    fingerprint of the whole content of the active rules and of the settings row (count and a sum of row
    hashes: one cheap statement), so any change to either, however it was made (API, admin, SQL), is seen by
    the next decision. The rules are compiled once (``RuleSpec``: sets, regions expanded on first use).
    """
    with connection.cursor() as cursor:
        cursor.execute(_RULES_FINGERPRINT)
        count, digest, settings_digest = cursor.fetchone()
    key = (int(count), int(digest), settings_digest)
    cached = _config_cache.get(key)
    if cached is None:
        rules = ordered(RuleSpec.from_values(row) for row in RoutingRule.objects.filter(active=True).values(
            "id", "name", "priority", "is_default", *CONDITION_FIELDS, "target_team_id", "target_rep_id"))
        cached = (routing_settings(), rules)
        _config_cache.clear()
        _config_cache[key] = cached
    settings, rules = cached
    return settings, list(rules)


def active_rules() -> list[RuleSpec]:
    """The active rules, in the order they are tried (cached, see ``routing_config``)."""
    return routing_config()[1]


def rule_list() -> QuerySet[RoutingRule]:
    return RoutingRule.objects.all()


def round_robin_peek(team_id: int, eligible: Eligible, *, settings: RoutingSettings | None = None
                     ) -> tuple[int, int] | None:
    """The pick the team's round robin would make now, computed on a copy: nothing is locked or saved."""
    weights, members = eligible()
    if not weights:
        return None
    settings = settings or routing_settings()
    state = RoundRobinState.objects.filter(team_id=team_id).values("seq", "credits").first()
    credits: Mapping[str, Any] = state["credits"] if state else {}
    rep, _ = wrr.advance(credits, weights, members, catch_up=settings.catch_up,
                         cap_leads=settings.catch_up_max_leads)
    return rep, (state["seq"] if state else 0) + 1


def last_decision(lead: Lead) -> Assignment | None:
    """The latest automatic routing decision of the lead's current cycle."""
    return (Assignment.objects.filter(lead_id=lead.pk, cycle=lead.recycle_count, method__in=ROUTING_METHODS)
            .order_by("-decided_at", "-id").first())


@dataclass
class Preview:
    """The dry run: where the lead would go now, and whether routing would run for it at all."""

    lead: Lead
    decision: Decision
    routable: bool
    note: str
    summary: str


def route_preview(*, lead: Lead, now: dt.datetime | None = None) -> Preview:
    """"This lead would go to X because rule R", computed exactly as the router would, writing nothing."""
    now = now or clock.now()
    settings, rules = routing_config()
    decision = decide(lead, now=now, rules=rules, availability=Availability(now),
                      pick=lambda team_id, eligible: round_robin_peek(team_id, eligible, settings=settings),
                      account_match=settings.account_match)
    if lead.stage != Stage.MQL:
        routable, note = False, f"The lead is in {lead.stage}; only MQLs are routed."
    elif lead.owner_id is not None:
        routable, note = False, "The lead already has an owner; routing leaves it alone."
    else:
        routable, note = True, ""
    if decision.rep_id is not None:
        summary = f"This lead would go to {decision.rep_name}: {decision.explanation}."
    elif decision.team_id is not None:
        summary = f"This lead would wait in the queue of {decision.team_name}: {decision.explanation}."
    else:
        summary = f"This lead would stay unassigned: {decision.explanation}."
    return Preview(lead=lead, decision=decision, routable=routable, note=note, summary=summary)


# --- the queue ------------------------------------------------------------------------------------------


def queued_leads(*, team_id: int | None = None, limit: int | None = None) -> QuerySet[Lead]:
    """MQLs without an owner (queued, unmatched, or never routed), oldest MQL first.

    With ``team_id``: the ones a rep of that team could take: queued for the team, or whose account
    is owned by one of its reps.
    """
    qs = (Lead.objects.filter(stage=Stage.MQL, owner__isnull=True, became_mql_at__isnull=False)
          .select_related("account").order_by("became_mql_at", "id"))
    if team_id is not None:
        qs = qs.filter(Q(team_id=team_id) | Q(account__owner__team_id=team_id))
    return qs[:limit] if limit is not None else qs


def has_queued_leads(*, team_id: int) -> bool:
    return queued_leads(team_id=team_id).exists()


# --- the ledger -----------------------------------------------------------------------------------------


def assignments_visible_to(user: User) -> QuerySet[Assignment]:
    """Ledger rows of the leads ``user`` may see."""
    qs = Assignment.objects.select_related("rep", "team", "previous_rep")
    if roles.sees_all_leads(user):
        return qs
    return qs.filter(lead__in=leads_visible_to(user))


def teams_for_reports(user: User) -> QuerySet[Team]:
    """Teams whose routing ``user`` may audit: all for marketing ops, leadership, admins and integrators;
    a manager's teams; a rep's own team."""
    qs = Team.objects.order_by("name", "id")
    if roles.sees_whole_org(user):
        return qs
    if roles.role_of(user) == Role.SALES_MANAGER:
        return qs.filter(pk__in=managed_team_ids(user))
    return qs.filter(pk=user.team_id) if user.team_id else qs.none()


# --- fairness -------------------------------------------------------------------------------------------


@dataclass
class RepShare:
    rep: int
    username: str
    weight: int
    active: bool
    weight_share: float  # weight / the team's total weight (every current sales rep of the team)
    round_robin: int = 0  # slots won in the week
    eligible_slots: int = 0  # round-robin picks of the week in which the rep was available
    expected: float = 0.0  # sum over those picks of weight / total eligible weight
    account_match: int = 0
    rule_rep: int = 0
    manual: int = 0  # received by manual reassignment or on acceptance

    @property
    def deviation(self) -> float:
        """Slots won minus the availability-adjusted expectation (positive: more than a fair share)."""
        return self.round_robin - self.expected


@dataclass
class TeamFairness:
    team: int
    name: str
    round_robin: int = 0
    queued: int = 0
    reps: list[RepShare] = field(default_factory=list)


def iso_week_bounds(year: int, week: int) -> tuple[dt.datetime, dt.datetime]:
    """Monday 00:00 UTC of the ISO week and of the week after (ValueError for a week that does not exist)."""
    try:
        start = dt.datetime.combine(dt.date.fromisocalendar(year, week, 1), dt.time(), tzinfo=dt.UTC)
        return start, start + dt.timedelta(days=7)
    except OverflowError as exc:  # the last week of year 9999
        raise ValueError(f"{year}-W{week:02d} is out of range") from exc


def fairness_report(*, starts_at: dt.datetime, ends_at: dt.datetime, team_ids: Collection[int]
                    ) -> list[TeamFairness]:
    """Assignments per rep in ``[starts_at, ends_at)`` against their weight (4 queries whatever the size).

    ``expected`` is the availability-adjusted fair share: for every round-robin pick of the team, each rep
    who was available for it (its ledger row lists the candidates) expects weight / eligible weight of
    that slot. A rep away half the week expects half as much. ``weight_share`` is the plain share of the
    team's current weights.
    """
    teams = {t["id"]: TeamFairness(team=t["id"], name=t["name"])
             for t in Team.objects.filter(pk__in=list(team_ids)).order_by("name", "id").values("id", "name")}
    reps: dict[int, dict[int, RepShare]] = defaultdict(dict)
    profiles = (RepProfile.objects.filter(user__team_id__in=list(teams), user__role=Role.SALES_REP)
                .order_by("user__username").values("user_id", "user__username", "user__team_id", "weight",
                                                   "active", "user__is_active"))
    totals: dict[int, int] = defaultdict(int)
    for p in profiles:
        totals[p["user__team_id"]] += p["weight"]
    for p in profiles:
        team = p["user__team_id"]
        reps[team][p["user_id"]] = RepShare(
            rep=p["user_id"], username=p["user__username"], weight=p["weight"],
            active=p["active"] and p["user__is_active"], weight_share=p["weight"] / totals[team])
    rows = (Assignment.objects.filter(decided_at__gte=starts_at, decided_at__lt=ends_at, team_id__in=list(teams))
            .values("team_id", "rep_id", "method", "candidates"))
    for row in rows:
        team, rep, method = row["team_id"], row["rep_id"], row["method"]
        report = teams[team]
        if method == AssignmentMethod.QUEUE:
            report.queued += 1
            continue
        if rep is None:
            continue
        share = reps[team].get(rep)
        if share is None:  # a rep who has left the team (or is no longer a rep) since
            share = reps[team][rep] = RepShare(rep=rep, username="", weight=0, active=False, weight_share=0.0)
        if method == AssignmentMethod.ROUND_ROBIN:
            report.round_robin += 1
            share.round_robin += 1
            pool = [c for c in row["candidates"] if c.get("via") == "team" and c.get("skipped") is None]
            total = sum(int(c.get("weight") or 0) for c in pool)
            for c in pool:
                other = reps[team].get(c["rep"])
                if other is None:
                    other = reps[team][c["rep"]] = RepShare(rep=c["rep"], username=c.get("username", ""),
                                                            weight=0, active=False, weight_share=0.0)
                other.eligible_slots += 1
                other.expected += int(c.get("weight") or 0) / total if total else 0.0
        elif method == AssignmentMethod.ACCOUNT_MATCH:
            share.account_match += 1
        elif method == AssignmentMethod.RULE_REP:
            share.rule_rep += 1
        elif method in (AssignmentMethod.MANUAL, AssignmentMethod.ACCEPT):
            share.manual += 1
    missing = [rep for team in reps.values() for rep, s in team.items() if not s.username]
    if missing:
        names = dict(User.objects.filter(pk__in=missing).values_list("pk", "username"))
        for team_reps in reps.values():
            for rep, s in team_reps.items():
                s.username = s.username or names.get(rep, "")
    for team_id, report in teams.items():
        report.reps = sorted(reps[team_id].values(), key=lambda s: (s.username, s.rep))
    return list(teams.values())
