"""Account match, round robin with availability, the skip reasons, the queue and its retry, idempotency,
the ledger, events."""

from __future__ import annotations

import datetime as dt

import pytest

from leadops import events
from leadops import services as org_services
from leadops.models import RepProfile
from lifecycle import services
from lifecycle.models import Account, Lead
from lifecycle.services import Actor
from routing import services as routing
from routing import tasks
from routing.models import Assignment, AssignmentMethod, RoundRobinState, RoutingSettings
from tests.conftest import T0
from tests.routing.conftest import add_rep, away, east_rule, ledger, skipped

pytestmark = pytest.mark.django_db


def own_account(lead: Lead, owner) -> None:
    Account.objects.filter(pk=lead.account_id).update(owner=owner)


def test_an_mql_is_routed_after_commit_by_weighted_round_robin(org, routed, clock):
    east_rule(org)
    first, second = routed(), routed()
    assert {first.owner, second.owner} == {org.rep_east, org.rep_east2}
    for lead in (first, second):
        [row] = ledger(lead)
        assert row.method == AssignmentMethod.ROUND_ROBIN and row.trigger == "mql"
        assert row.team == org.east and row.rule_name == "East" and row.rep == lead.owner
        assert lead.team == org.east and lead.assigned_at == T0 and row.decided_at == T0
        assert sorted(c["username"] for c in row.candidates) == ["rep_east", "rep_east2"]
        assert [c["chosen"] for c in row.candidates].count(True) == 1
    assert [ledger(first)[0].slot, ledger(second)[0].slot] == [1, 2]


def test_nothing_is_routed_before_the_transaction_commits(org):
    east_rule(org)
    from tests.lifecycle.walk import new_lead
    lead = new_lead()
    services.lead_promote(lead_id=lead.pk, to="mql", actor=Actor.of(org.mops))  # no commit in this test
    assert not Assignment.objects.filter(lead=lead).exists()


def test_the_ledger_keeps_the_latency_from_mql(org, clock, run_after_commit):
    east_rule(org)
    from tests.lifecycle.walk import new_lead
    lead = new_lead()
    services.lead_promote(lead_id=lead.pk, to="mql", actor=Actor.of(org.mops))
    clock.shift(dt.timedelta(seconds=2.5))
    run_after_commit(lambda: routing.lead_route(lead_id=lead.pk))
    assert ledger(lead)[0].latency_ms == 2500


def test_account_match_comes_first_when_the_owner_is_available(org, routed):
    east_rule(org)
    lead = routed(company_domain="known.example")
    own_account(lead, org.rep_west)
    second = routed(company_domain="known.example")
    assert second.owner == org.rep_west and second.team == org.west
    [row] = ledger(second)
    assert row.method == AssignmentMethod.ACCOUNT_MATCH and row.rule_name == ""
    assert row.candidates == [{**row.candidates[0], "via": "account_owner", "chosen": True, "skipped": None}]


def test_an_unavailable_account_owner_is_skipped_with_the_reason_and_the_rules_apply(org, routed, clock):
    east_rule(org)
    lead = routed(company_domain="known.example")
    own_account(lead, org.rep_west)
    away(org.rep_west, T0 - dt.timedelta(days=1), T0 + dt.timedelta(days=3))
    second = routed(company_domain="known.example")
    assert second.owner.team == org.east
    row = ledger(second)[0]
    assert row.method == AssignmentMethod.ROUND_ROBIN
    owner = row.candidates[0]
    assert (owner["via"], owner["username"], owner["skipped"]) == ("account_owner", "rep_west", "out_of_office")
    assert owner["away_until"] == (T0 + dt.timedelta(days=3)).isoformat()


def test_skip_reasons_are_recorded_for_each_unavailable_rep(org, routed, clock):
    east_rule(org)
    add_rep("rep_away", org.east)
    add_rep("rep_full", org.east, capacity=0)
    add_rep("rep_off", org.east, active=False)
    away(RepProfile.objects.get(user__username="rep_away").user, T0, T0 + dt.timedelta(hours=1))
    org_services.user_update(user=org.rep_east2, is_active=False)  # a deactivated login counts as inactive
    lead = routed()
    assert lead.owner == org.rep_east
    assert skipped(ledger(lead)[0]) == {"rep_east": None, "rep_east2": "inactive", "rep_away": "out_of_office",
                                        "rep_full": "at_capacity", "rep_off": "inactive"}


def test_out_of_office_is_a_utc_range_and_the_time_zone_only_shows_local_time(org, routed, clock):
    east_rule(org)
    RepProfile.objects.filter(user=org.rep_east2).update(time_zone="Asia/Tokyo")
    away(org.rep_east2, T0 - dt.timedelta(hours=2), T0)  # ended exactly now: back
    away(org.rep_east, T0, T0 + dt.timedelta(minutes=1))  # starts exactly now: away
    lead = routed()
    assert lead.owner == org.rep_east2
    entry = next(c for c in ledger(lead)[0].candidates if c["username"] == "rep_east2")
    assert entry["local_time"] == "2026-11-16T18:00+09:00" and entry["time_zone"] == "Asia/Tokyo"


def test_capacity_counts_open_leads_owned_in_mql_to_opportunity(org, routed):
    from tests.lifecycle.walk import walk
    east_rule(org)
    RepProfile.objects.filter(user=org.rep_east).update(capacity=2)
    walk(org, "sal", owner=org.rep_east)
    walk(org, "nurture", owner=org.rep_east)  # closed: does not count
    assert routed().owner == org.rep_east  # 1 open: room for one more (round robin starts with rep_east)
    lead = routed()
    assert lead.owner == org.rep_east2
    third = routed()
    assert third.owner == org.rep_east2  # rep_east now holds 2 open leads: at capacity
    assert skipped(ledger(third)[0])["rep_east"] == "at_capacity"


def test_a_team_capacity_caps_the_whole_team(org, routed):
    east_rule(org)
    org.east.capacity = 1
    org.east.save()
    assert routed().owner is not None
    lead = routed()
    assert lead.owner is None and lead.team == org.east
    assert set(skipped(ledger(lead)[0]).values()) == {"team_at_capacity"}


def test_nobody_available_queues_the_lead_for_the_team(org, routed, clock):
    east_rule(org)
    for rep in (org.rep_east, org.rep_east2):
        away(rep, T0 - dt.timedelta(days=1), T0 + dt.timedelta(hours=2))
    seen: list[events.DomainEvent] = []
    events.subscribe("lead.queued", seen.append)
    try:
        lead = routed()
    finally:
        events.unsubscribe("lead.queued", seen.append)
    assert lead.owner is None and lead.team == org.east and lead.assigned_at is None
    [row] = ledger(lead)
    assert row.method == AssignmentMethod.QUEUE and row.rep is None and row.team == org.east
    assert set(skipped(row).values()) == {"out_of_office"}
    assert "nobody in the team is available" in row.note
    assert [e.lead_id for e in seen] == [lead.pk] and seen[0].data["team"] == org.east.pk


def test_the_beat_retry_routes_queued_leads_oldest_first_once_a_leave_ends(org, routed, clock):
    east_rule(org)
    RepProfile.objects.filter(user=org.rep_east2).update(active=False)
    away(org.rep_east, T0 - dt.timedelta(days=1), T0 + dt.timedelta(hours=2))
    older = routed()
    clock.shift(dt.timedelta(minutes=5))
    newer = routed()
    RepProfile.objects.filter(user=org.rep_east).update(capacity=1)
    assert older.owner is None and newer.owner is None

    clock.shift(dt.timedelta(minutes=30))  # still away: the pass changes nothing and writes nothing
    assert tasks.retry_queued_leads() == {"looked_at": 2, "assigned": 0, "requeued": 0, "unchanged": 2}
    assert Assignment.objects.count() == 2

    clock.shift(dt.timedelta(hours=2))  # the leave is over; the beat's next pass (no manual step)
    assert tasks.retry_queued_leads()["assigned"] == 1
    older.refresh_from_db()
    newer.refresh_from_db()
    assert older.owner == org.rep_east and newer.owner is None  # capacity 1: the oldest MQL first
    row = ledger(older)[-1]
    assert row.method == AssignmentMethod.ROUND_ROBIN and row.trigger == "retry"
    assert row.latency_ms == int(dt.timedelta(hours=2, minutes=35).total_seconds() * 1000)
    assert older.assigned_at == T0 + dt.timedelta(hours=2, minutes=35)


def test_a_rep_back_from_leave_through_the_api_gets_the_queue_at_once(org, routed, clock, api, run_after_commit):
    east_rule(org)
    RepProfile.objects.filter(user=org.rep_east2).update(active=False)
    away(org.rep_east, T0 - dt.timedelta(days=1), T0 + dt.timedelta(days=2))
    lead = routed()
    assert lead.owner is None
    profile = RepProfile.objects.get(user=org.rep_east)
    response = run_after_commit(lambda: api.as_user(org.admin).patch(
        f"/api/v1/reps/{profile.pk}/", {"out_of_office": []}, format="json"))
    assert response.status_code == 200, response.json()
    lead.refresh_from_db()
    assert lead.owner == org.rep_east
    assert [r.method for r in ledger(lead)] == [AssignmentMethod.QUEUE, AssignmentMethod.ROUND_ROBIN]


def test_capacity_freed_by_a_rejection_routes_the_queue_at_once(org, routed, run_after_commit):
    east_rule(org)
    RepProfile.objects.filter(user__in=[org.rep_east, org.rep_east2]).update(capacity=1)
    first, second = routed(), routed()
    queued = routed()
    assert queued.owner is None and {first.owner, second.owner} == {org.rep_east, org.rep_east2}
    run_after_commit(lambda: services.lead_reject(lead_id=first.pk, actor=Actor.of(org.manager_east),
                                                  reason_code="duplicate"))
    queued.refresh_from_db()
    assert queued.owner == first.owner
    assert ledger(queued)[-1].trigger == "retry"


def test_routing_is_idempotent(org, routed, run_after_commit):
    east_rule(org)
    lead = routed()
    owner, rows, state = lead.owner, ledger(lead), RoundRobinState.objects.get(team=org.east).seq
    assert tasks.route_lead(lead.pk) is None  # the task delivered twice
    run_after_commit(lambda: events.publish(events.DomainEvent("lead.mql", T0, lead.pk)))  # the event again
    assert routing.lead_route(lead_id=lead.pk, trigger="retry") is None  # a retry of an owned lead
    lead.refresh_from_db()
    assert lead.owner == owner and ledger(lead) == rows
    assert RoundRobinState.objects.get(team=org.east).seq == state


def test_a_queued_lead_is_not_queued_twice_by_a_repeated_mql_event(org, routed):
    east_rule(org)
    RepProfile.objects.filter(user__in=[org.rep_east, org.rep_east2]).update(active=False)
    lead = routed()
    assert tasks.route_lead(lead.pk) is None
    assert len(ledger(lead)) == 1


def test_only_mqls_are_routed(org):
    east_rule(org)
    from tests.lifecycle.walk import walk
    sal = walk(org, "sal")
    assert routing.lead_route(lead_id=sal.pk) is None
    assert routing.lead_route(lead_id=10**9) is None


def test_a_new_cycle_is_routed_again(org, routed, run_after_commit, clock):
    east_rule(org)
    lead = routed()
    run_after_commit(lambda: services.lead_reject(lead_id=lead.pk, actor=Actor.of(org.manager_east),
                                                  reason_code="insufficient_budget"))
    clock.shift(dt.timedelta(days=3))
    run_after_commit(lambda: services.lead_promote(lead_id=lead.pk, to="mql", actor=Actor.of(org.mops)))
    lead.refresh_from_db()
    assert lead.recycle_count == 1 and lead.owner is not None
    assert [r.cycle for r in ledger(lead)] == [0, 1]


def test_manual_reassignment_writes_the_same_ledger_and_both_owners_are_kept(org, routed, api):
    east_rule(org)
    lead = routed()
    other = org.rep_east2 if lead.owner == org.rep_east else org.rep_east
    response = api.as_user(org.manager_east).post(f"/api/v1/leads/{lead.pk}/assign/", {"owner": other.pk},
                                                  format="json")
    assert response.status_code == 200, response.json()
    auto, manual = ledger(lead)
    assert (auto.method, manual.method) == (AssignmentMethod.ROUND_ROBIN, AssignmentMethod.MANUAL)
    assert (manual.previous_rep, manual.rep, manual.actor) == (auto.rep, other, org.manager_east)
    timeline = api.as_user(org.manager_east).get(f"/api/v1/leads/{lead.pk}/timeline/").json()["results"]
    rows = [item["data"] for item in timeline if item["kind"] == "assignment"]
    assert [r["method"] for r in rows] == ["round_robin", "manual"]
    assert rows[0]["rule"] == "East" and len(rows[0]["candidates"]) == 2


def test_each_assignment_publishes_lead_assigned(org, routed, clock):
    east_rule(org)
    seen: list[events.DomainEvent] = []
    events.subscribe("lead.assigned", seen.append)
    try:
        lead = routed()
    finally:
        events.unsubscribe("lead.assigned", seen.append)
    [event] = seen
    assert event.lead_id == lead.pk
    assert event.data == {"assignment_id": ledger(lead)[0].pk, "rep": lead.owner_id, "previous_rep": None,
                          "method": "round_robin", "team": org.east.pk, "rule": ledger(lead)[0].rule_id,
                          "trigger": "mql", "latency_ms": 0}


def test_lead_assigned_has_one_shape_for_routing_reassignment_and_accept(org, routed, run_after_commit, clock):
    east_rule(org)
    seen: list[events.DomainEvent] = []
    events.subscribe("lead.assigned", seen.append)
    try:
        lead = routed()
        other = org.rep_east2 if lead.owner == org.rep_east else org.rep_east
        run_after_commit(lambda: services.lead_assign(lead_id=lead.pk, owner_id=other.pk, actor=org.manager_east))
        accepted = routed()
        run_after_commit(lambda: services.lead_accept(
            lead_id=accepted.pk, actor=Actor.of(org.manager_east),
            owner=org.rep_east2 if accepted.owner == org.rep_east else org.rep_east))
    finally:
        events.unsubscribe("lead.assigned", seen.append)
    by_routing, by_hand, on_accept = seen[0].data, seen[1].data, seen[-1].data
    assert set(by_routing) == set(by_hand) == set(on_accept) == {
        "assignment_id", "rep", "previous_rep", "method", "team", "rule", "trigger", "latency_ms"}
    manual = ledger(lead)[1]
    assert by_hand == {"assignment_id": manual.pk, "rep": other.pk, "previous_rep": ledger(lead)[0].rep_id,
                       "method": "manual", "team": org.east.pk, "rule": None, "trigger": None, "latency_ms": 0}
    assert (on_accept["method"], on_accept["trigger"]) == ("accept", None)


def test_routing_tasks_have_a_queue_of_their_own():
    from leadops.celery import app

    def queue(task: str) -> str:
        return app.amqp.router.route({}, task, args=(), kwargs={})["queue"].name

    assert queue("routing.tasks.route_lead") == queue("routing.tasks.retry_queued_leads") == "routing"
    assert queue("scoring.tasks.rescore_lead") == queue("scoring.tasks.rescore_run_step") == "celery"


def test_a_settings_change_is_seen_by_the_next_decision(org, routed):
    east_rule(org)
    own_account(routed(company_domain="known.example"), org.rep_west)
    assert routed(company_domain="known.example").owner == org.rep_west  # account match (the config is cached)

    RoutingSettings.objects.update_or_create(pk=1, defaults={"account_match": False})  # e.g. in the admin

    third = routed(company_domain="known.example")
    assert third.team == org.east and ledger(third)[0].method == AssignmentMethod.ROUND_ROBIN


def test_a_rep_back_from_leave_is_not_flooded(org, clock):
    """Three equal reps; C is away for 60 picks. Back, C gets a third of the next 60, not a catch-up burst."""
    c = add_rep("rep_c", org.east)
    team = {org.rep_east.pk: 1, org.rep_east2.pk: 1, c.pk: 1}
    members = team
    without_c = {k: v for k, v in team.items() if k != c.pk}
    for _ in range(60):
        routing.round_robin_pick(team_id=org.east.pk, eligible=lambda: (without_c, members))
    after = [routing.round_robin_pick(team_id=org.east.pk, eligible=lambda: (team, members))[0] for _ in range(60)]
    assert after.count(c.pk) == 20
    assert after[:3].count(c.pk) == 1  # no burst on return


def test_capped_catch_up_gives_a_returning_rep_a_few_extra_leads_at_most(org):
    RoutingSettings.objects.create(catch_up="capped", catch_up_max_leads=2)
    c = add_rep("rep_c", org.east)
    team = {org.rep_east.pk: 1, org.rep_east2.pk: 1, c.pk: 1}
    members = team
    without_c = {k: v for k, v in team.items() if k != c.pk}
    for _ in range(60):
        routing.round_robin_pick(team_id=org.east.pk, eligible=lambda: (without_c, members))
    after = [routing.round_robin_pick(team_id=org.east.pk, eligible=lambda: (team, members))[0] for _ in range(60)]
    assert after[:3] == [c.pk, c.pk, org.rep_east.pk]  # two owed leads first, then the rotation as it was
    assert after.count(c.pk) in (21, 22)


def test_a_decision_costs_the_same_queries_whatever_the_team_size(org):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.lifecycle.walk import new_lead
    east_rule(org)

    def queries_for_one_decision() -> int:
        lead = new_lead()
        services.lead_promote(lead_id=lead.pk, to="mql", actor=Actor.of(org.mops))
        with CaptureQueriesContext(connection) as ctx:
            assert routing.lead_route(lead_id=lead.pk) is not None
        return len(ctx.captured_queries)

    queries_for_one_decision()  # the team's round-robin row is created by its first pick
    small = queries_for_one_decision()
    for i in range(30):
        add_rep(f"extra{i}", org.east, weight=1 + i % 3)
    assert queries_for_one_decision() == small


def test_the_fairness_report_reads_a_fixed_number_of_queries(org, routed, clock, django_assert_max_num_queries):
    from routing import selectors
    east_rule(org)
    for _ in range(5):
        routed()
    start, end = selectors.iso_week_bounds(2026, 47)
    with django_assert_max_num_queries(4):
        report = selectors.fairness_report(starts_at=start, ends_at=end, team_ids=[org.east.pk, org.west.pk])
    assert sum(t.round_robin for t in report) == 5
