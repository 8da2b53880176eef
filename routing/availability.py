"""Who can take a lead now: active, not out of office, under capacity (read-only).

"Now" is one instant, ``clock.now()`` (UTC), read once per decision by the caller. Out-of-office ranges
are UTC instants ``[starts_at, ends_at)``: a rep is away from ``starts_at`` until just before ``ends_at``,
whatever their time zone; the rep's time zone only decides how the moment is shown (``local_time`` in
the ledger). Open leads are the leads a rep owns in mql, sal, sql or opportunity; a rep whose open
leads reach ``RepProfile.capacity`` is at capacity (capacity 0: never routed to). A team with a
``capacity`` is at capacity when its reps' open leads together reach it.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.db import connection

from leadops.models import OutOfOffice, RepProfile, Team, User
from leadops.roles import Role
from lifecycle.models import Lead
from lifecycle.state_machine import Stage
from routing.models import SkipReason

OPEN_STAGES = (Stage.MQL, Stage.SAL, Stage.SQL, Stage.OPPORTUNITY)


@functools.lru_cache(maxsize=512)
def _zone(name: str) -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


@functools.lru_cache(maxsize=256)
def local_time(now: dt.datetime, time_zone: str) -> str:
    """``now`` as the rep sees it, e.g. 2026-11-16T18:00+09:00 (cached: a team shares a few zones)."""
    return now.astimezone(_zone(time_zone)).isoformat(timespec="minutes")


@dataclass
class Candidate:
    rep: int  # user id
    username: str
    team: int | None
    weight: int
    capacity: int
    open_leads: int
    time_zone: str
    away_until: dt.datetime | None
    skipped: str | None  # a SkipReason, or None when available

    @property
    def available(self) -> bool:
        return self.skipped is None

    def entry(self, now: dt.datetime, *, via: str, chosen: bool = False) -> dict[str, Any]:
        """The candidate as the ledger stores it."""
        item: dict[str, Any] = {
            "rep": self.rep, "username": self.username, "via": via, "team": self.team, "weight": self.weight,
            "open_leads": self.open_leads, "capacity": self.capacity, "time_zone": self.time_zone,
            "local_time": local_time(now, self.time_zone),
            "skipped": self.skipped, "chosen": chosen,
        }
        if self.away_until is not None:
            item["away_until"] = self.away_until.isoformat()
        return item


@dataclass
class TeamPool:
    team: int
    name: str
    capacity: int | None
    candidates: list[Candidate]

    @property
    def open_leads(self) -> int:
        return sum(c.open_leads for c in self.candidates)

    def eligible(self) -> dict[int, int]:
        return {c.rep: c.weight for c in self.candidates if c.available}


_PROFILES_SQL = """
SELECT p.user_id, u.username, u.team_id, u.is_active, u.role, p.weight, p.capacity, p.time_zone, p.active,
       t.name, t.capacity,
       (SELECT count(*) FROM {lead} l WHERE l.owner_id = p.user_id AND l.stage = ANY(%(open)s)) AS open_leads,
       (SELECT max(o.ends_at) FROM {ooo} o
         WHERE o.rep_id = p.id AND o.starts_at <= %(now)s AND o.ends_at > %(now)s) AS away_until
  FROM {profile} p
  JOIN {user} u ON u.id = p.user_id
  LEFT JOIN {team} t ON t.id = u.team_id
 WHERE {where}
 ORDER BY p.user_id
"""
_COLUMNS = ("user_id", "username", "team_id", "is_active", "role", "weight", "capacity", "time_zone", "active",
            "team_name", "team_capacity", "open_leads", "away_until")
_WHERE = {"team": "u.team_id = %(key)s AND u.role = %(role)s", "user": "p.user_id = %(key)s"}


def _profiles(now: dt.datetime, *, by: str, key: int) -> list[dict[str, Any]]:
    """Rep profiles with their open-lead count and current out-of-office end, in one statement.

    Written in SQL: it is the heaviest read of every decision (one row per rep of the team), and the ORM's
    compilation of the two correlated subqueries cost more than running them. The open-lead count is an
    index-only scan of ``lead_owner_stage``.
    """
    sql = _PROFILES_SQL.format(
        lead=Lead._meta.db_table, ooo=OutOfOffice._meta.db_table, profile=RepProfile._meta.db_table,
        user=User._meta.db_table, team=Team._meta.db_table, where=_WHERE[by])
    with connection.cursor() as cursor:
        cursor.execute(sql, {"open": list(OPEN_STAGES), "now": now, "key": key, "role": Role.SALES_REP})
        return [dict(zip(_COLUMNS, row, strict=True)) for row in cursor.fetchall()]


def _candidate(row: dict[str, Any]) -> Candidate:
    if row["role"] != Role.SALES_REP:
        skipped: str | None = SkipReason.NOT_A_REP
    elif not (row["active"] and row["is_active"]):
        skipped = SkipReason.INACTIVE
    elif row["away_until"] is not None:
        skipped = SkipReason.OUT_OF_OFFICE
    elif row["open_leads"] >= row["capacity"]:
        skipped = SkipReason.AT_CAPACITY
    else:
        skipped = None
    return Candidate(rep=row["user_id"], username=row["username"], team=row["team_id"],
                     weight=row["weight"], capacity=row["capacity"], open_leads=row["open_leads"],
                     time_zone=row["time_zone"], away_until=row["away_until"], skipped=skipped)


class Availability:
    """Answers "who can take a lead at ``now``" for one rep or one team (one statement each; a team without
    reps, or a named user without a rep profile, costs a second).

    With ``cache=True`` answers are kept for the life of the object (the retry pass's pre-check); the
    real decision uses a fresh object so that it reads the state under the team's lock.
    """

    def __init__(self, now: dt.datetime, *, cache: bool = False):
        self.now = now
        self.cache = cache
        self._teams: dict[int, TeamPool | None] = {}
        self._reps: dict[int, Candidate | None] = {}

    def forget(self) -> None:
        self._teams.clear()
        self._reps.clear()

    def rep(self, user_id: int) -> Candidate | None:
        """One rep's availability; a user without a rep profile is a candidate skipped as ``not_a_rep``;
        None for an unknown user."""
        if self.cache and user_id in self._reps:
            return self._reps[user_id]
        rows = _profiles(self.now, by="user", key=user_id)
        if rows:
            candidate: Candidate | None = _candidate(rows[0])
        else:
            user = User.objects.filter(pk=user_id).values("username", "team_id").first()
            candidate = None if user is None else Candidate(
                rep=user_id, username=user["username"], team=user["team_id"], weight=0, capacity=0, open_leads=0,
                time_zone="UTC", away_until=None, skipped=SkipReason.NOT_A_REP)
        if self.cache:
            self._reps[user_id] = candidate
        return candidate

    def team(self, team_id: int) -> TeamPool | None:
        """Every sales rep of the team with their availability (None for an unknown team)."""
        if self.cache and team_id in self._teams:
            return self._teams[team_id]
        rows = _profiles(self.now, by="team", key=team_id)
        # the team's name and capacity come with its reps (one query); a team without reps costs a second
        team = ({"name": rows[0]["team_name"], "capacity": rows[0]["team_capacity"]} if rows
                else Team.objects.filter(pk=team_id).values("name", "capacity").first())
        pool = None
        if team is not None:
            candidates = [_candidate(row) for row in rows]
            pool = TeamPool(team=team_id, name=team["name"], capacity=team["capacity"], candidates=candidates)
            if pool.capacity is not None and pool.open_leads >= pool.capacity:
                for c in pool.candidates:
                    if c.available:
                        c.skipped = SkipReason.TEAM_AT_CAPACITY
        if self.cache:
            self._teams[team_id] = pool
        return pool
