"""What both ways of writing a story share: the rows the plan names (``Ctx``), and the routing ledger's shape."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from leadops.demo.data import demo_usernames
from leadops.models import Team, User
from leadops.roles import Role
from lifecycle import services as lc
from lifecycle.models import Account, Campaign, DispositionReason, Lead, TouchChannel, TouchOutcome
from lifecycle.selectors import cadence_required_attempts
from routing.models import Assignment


class Ctx:
    """The database rows the stories refer to, by natural key."""

    def __init__(self) -> None:
        self.users = {u.username: u for u in User.objects.filter(username__in=demo_usernames()).select_related(
            "rep_profile")}
        self.teams = {t.name: t for t in Team.objects.all()}
        self.campaigns = {c.name: c for c in Campaign.objects.all()}
        self.accounts = {a.domain: a for a in Account.objects.all()}
        self.reasons = {(r.kind, r.code): r for r in DispositionReason.objects.filter(active=True)}
        self.channels = {c.code: c for c in TouchChannel.objects.all()}
        self.outcomes = {o.code: o for o in TouchOutcome.objects.all()}
        self.managed: dict[int, set[int]] = {}
        for team in self.teams.values():
            if team.manager_id:
                self.managed.setdefault(team.manager_id, set()).add(team.pk)
        for user in self.users.values():
            if user.role == Role.SALES_MANAGER and user.team_id:
                self.managed.setdefault(user.pk, set()).add(user.team_id)
        self.cadence = cadence_required_attempts()

    def user(self, username: str | None) -> User | None:
        return self.users[username] if username else None

    def campaign(self, name: str | None) -> Campaign | None:
        return self.campaigns[name] if name else None

    def actor(self, username: str | None) -> lc.Actor:
        user = self.user(username)
        return lc.Actor.of(user) if user is not None else lc.Actor.system()


def ledger_candidates(ctx: Ctx, candidates: list[dict[str, Any]], now: dt.datetime) -> list[dict[str, Any]]:
    """The plan's candidates in the ledger's shape (the one routing.availability.Candidate.entry writes)."""
    entries = []
    for item in candidates:
        user = ctx.users[item["username"]]
        profile = user.rep_profile
        entry = {"rep": user.pk, "username": user.username, "via": item["via"], "team": user.team_id,
                 "weight": profile.weight, "open_leads": None, "capacity": profile.capacity,
                 "time_zone": profile.time_zone,
                 "local_time": now.astimezone(zoneinfo.ZoneInfo(profile.time_zone)).isoformat(timespec="minutes"),
                 "skipped": item["skipped"], "chosen": item["chosen"]}
        if "away_until" in item:
            entry["away_until"] = item["away_until"]
        entries.append(entry)
    return entries


def latency_ms(lead: Lead, now: dt.datetime) -> int | None:
    """How long after the lead became an MQL a routing or assignment decision came (the ledger's latency)."""
    return int((now - lead.became_mql_at).total_seconds() * 1000) if lead.became_mql_at else None


def routed(lead: Lead, now: dt.datetime, *, rep: User | None, team: Team, method: str, rule: str,
           candidates: list[dict[str, Any]]) -> Assignment:
    """The routing decision of an MQL: its ledger row (not saved) and the lead's owner and team (not saved
    either). ``load.route_write`` saves both; ``Replay.route`` keeps them for the bulk write."""
    assignment = Assignment(lead=lead, rep=rep, team=team, method=method, rule_name=rule, candidates=candidates,
                            cycle=lead.recycle_count, decided_at=now, latency_ms=latency_ms(lead, now))
    lead.owner = rep
    lead.team = team
    lead.assigned_at = now if rep is not None else None
    lead.updated_at = now
    return assignment
