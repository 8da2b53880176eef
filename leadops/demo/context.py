"""What both ways of writing a story share: the rows the plan names (``Ctx``), and the routing ledger's shape."""

from __future__ import annotations

import datetime as dt
from typing import Any

from leadops.demo.data import demo_usernames
from leadops.models import Team, User
from leadops.roles import Role
from lifecycle import services as lc
from lifecycle.models import Account, Campaign, DispositionReason, Lead, TouchChannel, TouchOutcome
from lifecycle.selectors import cadence_required_attempts
from routing.availability import Candidate
from routing.models import Assignment, AssignmentMethod, RouteTrigger, RoutingRule


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
        self._rules: dict[str, int] | None = None

    def rule_id(self, name: str) -> int | None:
        """A routing rule's id by name (the plan names rules; read once, after the loader created them)."""
        if self._rules is None:
            self._rules = {rule: pk for pk, rule in RoutingRule.objects.values_list("id", "name")}
        return self._rules.get(name) if name else None

    def user(self, username: str | None) -> User | None:
        return self.users[username] if username else None

    def campaign(self, name: str | None) -> Campaign | None:
        return self.campaigns[name] if name else None

    def actor(self, username: str | None) -> lc.Actor:
        user = self.user(username)
        return lc.Actor.of(user) if user is not None else lc.Actor.system()


def ledger_candidates(ctx: Ctx, candidates: list[dict[str, Any]], now: dt.datetime) -> list[dict[str, Any]]:
    """The plan's candidates in the ledger's shape: written by ``routing.availability.Candidate.entry``, the one
    the router uses. The story does not track open-lead counts, so ``open_leads`` is null."""
    entries = []
    for item in candidates:
        user = ctx.users[item["username"]]
        profile = user.rep_profile
        away = dt.datetime.fromisoformat(item["away_until"]) if "away_until" in item else None
        candidate = Candidate(rep=user.pk, username=user.username, team=user.team_id, weight=profile.weight,
                              capacity=profile.capacity, open_leads=None,  # type: ignore[arg-type]
                              time_zone=profile.time_zone, away_until=away, skipped=item["skipped"])
        entries.append(candidate.entry(now, via=item["via"], chosen=item["chosen"]))
    return entries


def _note(method: str, rep: User | None, team: Team, rule: str) -> str:
    """The ledger note in the router's words (``routing.decide``), without the slot number it does not have."""
    because = f" because rule {rule!r} matched" if rule else ""
    if method == AssignmentMethod.ACCOUNT_MATCH and rep is not None:
        return f"{rep.username} owns the account and is available"
    if rep is not None:
        return f"weighted round robin in {team.name} chose {rep.username}{because}"
    return f"queued for {team.name}: nobody in the team is available{because}"


def latency_ms(lead: Lead, now: dt.datetime) -> int | None:
    """How long after the lead became an MQL a routing or assignment decision came (the ledger's latency)."""
    return int((now - lead.became_mql_at).total_seconds() * 1000) if lead.became_mql_at else None


def routed(lead: Lead, now: dt.datetime, *, rep: User | None, team: Team, method: str, rule: str,
           candidates: list[dict[str, Any]], rule_id: int | None = None) -> Assignment:
    """The routing decision of an MQL: its ledger row (not saved) and the lead's owner and team (not saved
    either). ``load.route_write`` saves both; ``Replay.route`` keeps them for the bulk write."""
    assignment = Assignment(lead=lead, rep=rep, team=team, method=method, rule_name=rule, candidates=candidates,
                            rule_id=rule_id, note=_note(method, rep, team, rule),
                            trigger=RouteTrigger.MQL, cycle=lead.recycle_count, decided_at=now,
                            latency_ms=latency_ms(lead, now))
    lead.owner = rep
    lead.team = team
    lead.assigned_at = now if rep is not None else None
    lead.updated_at = now
    return assignment
