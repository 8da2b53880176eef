"""Readers of the lifecycle: who sees which lead, the lead list, the timeline."""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Lower
from django.db.models.lookups import Lookup

from leadops import roles
from leadops.models import User
from leadops.roles import Role
from leadops.selectors import managed_team_ids
from lifecycle.models import (
    ClientLead,
    Lead,
    LeadTypeOption,
    MarketingEvent,
    Opportunity,
    SavedView,
    StageTransition,
    Touch,
)

DEFAULT_CADENCE_ATTEMPTS = 6
DEFAULT_CADENCE_DAYS = 14


def cadence_required_attempts() -> int:
    """Attempts needed before a ``requires_cadence`` disqualification (domain.md: 6 in 14 days).

    The SLA policy ``touch_cadence`` (sla app) is the configuration; until a policy exists the
    domain default applies.
    """
    try:
        from sla.selectors import active_policy_value
    except ImportError:
        return DEFAULT_CADENCE_ATTEMPTS
    return int(active_policy_value("touch_cadence", "required_attempts", DEFAULT_CADENCE_ATTEMPTS))


def active_lead_type_codes() -> list[str]:
    """The codes a write may set (``Lead.lead_type``, routing conditions), in catalogue order: one query on a
    handful of rows. Set-based writers read it once per batch (``lifecycle.services.lead_types``)."""
    return list(LeadTypeOption.objects.filter(active=True).order_by("position", "code").values_list("code", flat=True))


def lead_type_labels() -> dict[str, str]:
    """Every lead type's label by code, retired ones included (a lead keeps a retired type and shows it)."""
    return {code: label if active else f"{label} (retired)"
            for code, label, active in LeadTypeOption.objects.values_list("code", "label", "active")}


def lead_type_in_use(code: str) -> bool:
    """Whether a lead or a routing rule stores the code (then it can no longer change)."""
    from django.apps import apps

    rules = apps.get_model("routing", "RoutingRule")
    return Lead.objects.filter(lead_type=code).exists() or rules.objects.filter(lead_types__contains=[code]).exists()


def manages_lead(user: User, lead: Lead, *, team_ids: Collection[int] | None = None) -> bool:
    """A sales manager answers for leads of their teams (the lead's team, or its owner's team).

    ``team_ids``: the manager's ``managed_team_ids`` when the caller has already read them."""
    if roles.role_of(user) != Role.SALES_MANAGER:
        return False
    teams = managed_team_ids(user) if team_ids is None else team_ids
    if lead.team_id in teams:
        return True
    if lead.owner_id is None:
        return False
    if Lead.owner.is_cached(lead):  # the owner came with the lead
        return lead.owner is not None and lead.owner.team_id in teams
    return User.objects.filter(pk=lead.owner_id, team_id__in=teams).exists()


def may_own(rep: User, *, manager: User, team_ids: Collection[int] | None = None) -> bool:
    """Can ``manager`` hand a lead to ``rep``? An active sales rep of one of the manager's teams.

    ``team_ids``: the manager's ``managed_team_ids`` when the caller has already read them."""
    if rep.role != Role.SALES_REP or not rep.is_active:
        return False
    profile = getattr(rep, "rep_profile", None)
    if profile is not None and not profile.active:
        return False
    if roles.role_of(manager) == Role.ADMIN:
        return True
    return rep.team_id in (managed_team_ids(manager) if team_ids is None else team_ids)


def _managed_teams_and_members(user: User) -> tuple[list[int], list[int]]:
    """``managed_team_ids`` (the teams a manager manages, and their own) and those teams' members: one query."""
    from leadops.models import Team

    teams: set[int] = set()
    members: set[int] = set()
    for team_id, member_id in Team.objects.filter(Q(manager=user) | Q(pk=user.team_id)).values_list("id",
                                                                                                  "members__id"):
        teams.add(team_id)
        if member_id is not None:
            members.add(member_id)
    return sorted(teams), sorted(members)


def leads_visible_to(user: User) -> QuerySet[Lead]:
    """domain.md section 2: a rep sees own leads and their team's unassigned queue; a manager their
    teams' leads; marketing ops, leadership and admins see all. An API client (integrator) sees the leads it
    is linked to (``ClientLead``: it created them, holds an external id for them, or wrote to them by email;
    docs/api-integrators.md); another client's lead answers 404."""
    qs = Lead.objects.all()
    if roles.sees_all_leads(user):
        return qs
    role = roles.role_of(user)
    if role == Role.INTEGRATOR:
        return qs.filter(pk__in=ClientLead.objects.filter(client=user).values("lead_id"))
    if role == Role.SALES_MANAGER:
        teams, members = _managed_teams_and_members(user)
        # the owners as a list of ids, not a join to their user row: both halves of the OR are then index
        # conditions (lead_team_stage, lead_owner_stage) and a manager's page reads only their teams' rows
        return qs.filter(Q(team_id__in=teams) | Q(owner_id__in=members))
    if role == Role.SALES_REP:
        queue = Q(owner__isnull=True, team_id=user.team_id) if user.team_id else Q(pk__in=[])
        return qs.filter(Q(owner=user) | queue)
    return qs.none()


# --- data completeness (domain.md section 6, the marketing SLA "data_completeness") ----------------------
# One definition, used by the SLA measure (sla.selectors.metrics.marketing_slas) and the MQL queue's
# "Data incomplete" filter: an MQL is complete when it has a company (a company name or a matched account),
# a title, a source and behaviour history (at least one marketing event).

HAS_HISTORY = "has_behaviour_history"

DATA_GAPS: dict[str, Q] = {
    # name of the missing datum -> the condition that it is missing (needs ``with_data_completeness``)
    "company": Q(company_name="", account__isnull=True),
    "title": Q(title=""),
    "source": Q(source=""),
    "behaviour history": Q(**{HAS_HISTORY: False}),
}


def with_data_completeness(queryset: QuerySet[Lead]) -> QuerySet[Lead]:
    """``queryset`` with the alias ``has_behaviour_history`` (an EXISTS on the events' lead index), which
    ``data_complete_q``, ``data_incomplete_q`` and ``DATA_GAPS`` read. An alias, not an annotation: filters
    and aggregates use it, but rows skipped by an OFFSET do not compute it (``mark_data_history`` for a page)."""
    return queryset.alias(**{HAS_HISTORY: Exists(MarketingEvent.objects.filter(lead_id=OuterRef("pk")))})


def mark_data_history(leads: list[Lead]) -> None:
    """Set ``has_behaviour_history`` on a page of leads for ``missing_data``: one query."""
    having = set(MarketingEvent.objects.filter(lead_id__in=[lead.pk for lead in leads])
                 .values_list("lead_id", flat=True).distinct())
    for lead in leads:
        setattr(lead, HAS_HISTORY, lead.pk in having)


def data_complete_q() -> Q:
    return (~Q(company_name="") | Q(account__isnull=False)) & ~Q(title="") & ~Q(source="") & Q(**{HAS_HISTORY: True})


def data_incomplete_q() -> Q:
    gaps = Q()
    for missing in DATA_GAPS.values():
        gaps |= missing
    return gaps


def missing_data(lead: Lead) -> list[str]:
    """What a lead annotated by ``with_data_completeness`` lacks, in ``DATA_GAPS`` order (Python, no query)."""
    found = {
        "company": not lead.company_name and lead.account_id is None,
        "title": not lead.title,
        "source": not lead.source,
        "behaviour history": getattr(lead, HAS_HISTORY, True) is False,
    }
    return [name for name in DATA_GAPS if found[name]]


def lead_list(user: User) -> QuerySet[Lead]:
    return leads_visible_to(user).select_related("owner", "team", "latest_campaign", "disposition")


def lead_detail(user: User, lead_id: int) -> Lead | None:
    return (
        leads_visible_to(user)
        .select_related("owner", "team", "account", "latest_campaign", "first_campaign", "disposition")
        .filter(pk=lead_id)
        .first()
    )


@dataclass(frozen=True)
class TimelineItem:
    kind: str  # transition, event, touch, assignment, opportunity, sla_clock, score
    occurred_at: dt.datetime
    cycle: int | None
    summary: str
    data: dict[str, Any]


def _transition_item(t: Mapping[str, Any]) -> TimelineItem:
    reason = t["reason__code"]
    who = t["actor__username"] if t["actor_id"] is not None else t["actor_kind"]
    text = f"{t['from_stage']} → {t['to_stage']} by {who}" + (f" ({reason})" if reason else "")
    return TimelineItem("transition", t["occurred_at"], t["cycle"], text, {
        "id": t["id"], "from": t["from_stage"], "to": t["to_stage"], "actor": t["actor_id"],
        "actor_kind": t["actor_kind"], "reason": reason, "trigger": t["trigger"], "note": t["note"],
        "override": t["override"],
    })


def cycle_finder(starts: list[tuple[dt.datetime, int]]) -> Callable[[dt.datetime], int]:
    """``cycle_at(when)``: the cycle of the last transition (in ``seq`` order) at or before ``when``, 0 before
    the first. ``starts``: the lead's transitions as (occurred_at, cycle), in ``seq`` order."""
    times = [at for at, _cycle in starts]
    if times == sorted(times):  # the usual case: a binary search
        def cycle_at(when: dt.datetime) -> int:
            i = bisect.bisect_right(times, when)
            return starts[i - 1][1] if i else 0
        return cycle_at

    def cycle_at_unordered(when: dt.datetime) -> int:  # a transition backdated before an earlier one
        current = 0
        for at, cycle in starts:
            if at <= when:
                current = cycle
        return current
    return cycle_at_unordered


def lead_timeline(lead: Lead) -> list[TimelineItem]:
    """Everything that happened to a lead, oldest first, across cycles, in a fixed number of queries.

    Rows are read as plain values (no model instances: a lead with hundreds of items would spend more on
    building them than on the queries)."""
    from routing.models import Assignment

    items: list[TimelineItem] = []
    transitions = list(StageTransition.objects.filter(lead=lead).order_by("seq").values(
        "id", "occurred_at", "cycle", "from_stage", "to_stage", "actor_id", "actor_kind", "actor__username",
        "reason__code", "trigger", "note", "override"))
    items += [_transition_item(t) for t in transitions]
    # the cycle a timestamped item belongs to: the cycle of the last transition at or before it
    cycle_at = cycle_finder([(t["occurred_at"], t["cycle"]) for t in transitions])

    for e in MarketingEvent.objects.filter(lead=lead).order_by("occurred_at", "id").values(
            "id", "occurred_at", "type", "campaign_id", "campaign__name", "source", "external_id", "properties"):
        items.append(TimelineItem("event", e["occurred_at"], cycle_at(e["occurred_at"]),
                                  e["type"] + (f" ({e['campaign__name']})" if e["campaign_id"] is not None else ""),
                                  {"id": e["id"], "type": e["type"], "campaign": e["campaign_id"],
                                   "source": e["source"], "external_id": e["external_id"],
                                   "properties": e["properties"]}))
    for t in Touch.objects.filter(lead=lead).order_by("occurred_at", "id").values(
            "id", "occurred_at", "cycle", "rep_id", "rep__username", "channel_id", "outcome_id", "note",
            "counts_as_attempt"):
        items.append(TimelineItem("touch", t["occurred_at"], t["cycle"],
                                  f"{t['channel_id']} · {t['outcome_id']} by {t['rep__username']}",
                                  {"id": t["id"], "rep": t["rep_id"], "channel": t["channel_id"],
                                   "outcome": t["outcome_id"], "note": t["note"],
                                   "counts_as_attempt": t["counts_as_attempt"]}))
    for a in Assignment.objects.filter(lead=lead).order_by("decided_at", "id").values(
            "id", "decided_at", "cycle", "method", "rep_id", "rep__username", "team_id", "team__name", "rule_name",
            "previous_rep_id", "actor_id", "candidates", "latency_ms", "note"):
        target = (a["rep__username"] if a["rep_id"] is not None
                  else (a["team__name"] if a["team_id"] is not None else "queue"))
        items.append(TimelineItem("assignment", a["decided_at"], a["cycle"], f"assigned to {target} ({a['method']})",
                                  {"id": a["id"], "rep": a["rep_id"], "team": a["team_id"], "method": a["method"],
                                   "rule": a["rule_name"], "previous_rep": a["previous_rep_id"],
                                   "actor": a["actor_id"], "candidates": a["candidates"],
                                   "latency_ms": a["latency_ms"], "note": a["note"]}))
    for o in Opportunity.objects.filter(lead=lead).order_by("created_at", "id").values(
            "id", "created_at", "cycle", "name", "deal_stage", "amount", "currency", "close_date"):
        items.append(TimelineItem("opportunity", o["created_at"], o["cycle"],
                                  f"opportunity {o['name']}: {o['deal_stage']}",
                                  {"id": o["id"], "deal_stage": o["deal_stage"], "amount": str(o["amount"]),
                                   "currency": o["currency"], "close_date": o["close_date"].isoformat()}))
    for provider in TIMELINE_PROVIDERS:
        items += provider(lead, cycle_at)
    order = {"transition": 0, "assignment": 1, "opportunity": 2, "event": 3, "touch": 4}
    items.sort(key=lambda i: (i.occurred_at, order.get(i.kind, 9)))
    return items


# Other apps (scoring, sla) add their rows to the timeline by appending a provider here in ready().
TIMELINE_PROVIDERS: list[Any] = []


def touches_visible_to(user: User) -> QuerySet[Touch]:
    """Touches on the leads ``user`` may see."""
    qs = Touch.objects.all()
    if roles.sees_all_leads(user):
        return qs
    return qs.filter(lead__in=leads_visible_to(user))


def opportunities_visible_to(user: User) -> QuerySet[Opportunity]:
    """Opportunities of the leads ``user`` may see."""
    qs = Opportunity.objects.select_related("lost_reason")
    if roles.sees_all_leads(user):
        return qs
    return qs.filter(lead__in=leads_visible_to(user))


class ILike(Lookup):
    """``column ILIKE pattern``. Case-insensitive like Django's ``icontains``, which compares
    ``UPPER(column)`` and so can never use the trigram (gin_trgm_ops) index on the bare column;
    ILIKE can (measured at 200k leads: 11 ms with the index against 313 ms scanning)."""

    lookup_name = "ilike"

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} ILIKE {rhs}", (*lhs_params, *rhs_params)


LEAD_SEARCH_FIELDS = ("email", "first_name", "last_name", "company_name")
MAX_SEARCH_TERMS = 5


def _contains_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def leads_matching(queryset: QuerySet[Lead], text: str) -> QuerySet[Lead]:
    """Leads where every word of ``text`` (up to five) appears in the email, a name or the company name."""
    for term in text.split()[:MAX_SEARCH_TERMS]:
        pattern = Value(_contains_pattern(term))
        anywhere = Q()
        for field in LEAD_SEARCH_FIELDS:
            anywhere |= Q(ILike(F(field), pattern))
        queryset = queryset.filter(anywhere)
    return queryset


def saved_views_for(user: User, page: str) -> QuerySet[SavedView]:
    """The user's own views of ``page`` and those shared with a team they are in or manage; own first."""
    teams = set(managed_team_ids(user)) if roles.role_of(user) == Role.SALES_MANAGER else set()
    if user.team_id is not None:
        teams.add(user.team_id)
    return (
        SavedView.objects.filter(Q(owner=user) | Q(team_id__in=teams), page=page)
        .select_related("owner", "team")
        .order_by(Case(When(owner=user, then=Value(0)), default=Value(1)), Lower("name"), "id")
    )
