"""Two workers routing at once, on two real database connections: no slot is handed out twice."""

from __future__ import annotations

import pytest
from django.db import connection

from leadops import events
from leadops.models import User
from lifecycle import services
from lifecycle.models import Lead
from lifecycle.services import Actor
from routing import handlers, wrr
from routing import services as routing
from routing.models import Assignment, AssignmentMethod
from tests.lifecycle.walk import new_lead
from tests.routing.conftest import add_rep, east_rule
from tests.support import race

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def unrouted_mqls(org):
    """``unrouted_mqls(n)``: n committed MQLs that the ``lead.mql`` handler has not routed."""
    events.unsubscribe("lead.mql", handlers.on_mql)

    def make(n: int) -> list[int]:
        ids = []
        for _ in range(n):
            lead = new_lead()
            services.lead_promote(lead_id=lead.pk, to="mql", actor=Actor.of(org.mops))
            ids.append(lead.pk)
        return ids

    yield make
    events.subscribe("lead.mql", handlers.on_mql)


def test_two_workers_routing_at_once_take_distinct_slots_in_the_one_fair_order(org, unrouted_mqls):
    east_rule(org)
    add_rep("rep_east3", org.east, weight=3)
    ids = unrouted_mqls(30)
    outcomes = race(
        lambda: [routing.lead_route(lead_id=i) for i in ids[0::2]],
        lambda: [routing.lead_route(lead_id=i) for i in ids[1::2]],
    )
    assert all(isinstance(o, list) for o in outcomes), outcomes
    rows = list(Assignment.objects.filter(lead_id__in=ids).order_by("slot"))
    assert len(rows) == 30 and {r.lead_id for r in rows} == set(ids)
    assert [r.slot for r in rows] == list(range(1, 31))  # no slot twice, none skipped
    assert all(r.method == AssignmentMethod.ROUND_ROBIN for r in rows)
    weights = {r.pk: r.rep_profile.weight for r in (org.rep_east, org.rep_east2)}
    weights[User.objects.get(username="rep_east3").pk] = 3
    credits: wrr.Credits = {}
    expected = []
    for _ in range(30):
        rep, credits = wrr.advance(credits, weights, weights)
        expected.append(rep)
    assert [r.rep_id for r in rows] == expected  # exactly the sequence one worker would have produced
    assert all(Lead.objects.get(pk=r.lead_id).owner_id == r.rep_id for r in rows)


def test_two_workers_routing_the_same_lead_write_one_decision(org, unrouted_mqls):
    east_rule(org)
    for _ in range(3):
        [lead_id] = unrouted_mqls(1)
        route = lambda lead_id=lead_id: routing.lead_route(lead_id=lead_id)  # noqa: E731
        outcomes = race(route, route)
        written = [o for o in outcomes if isinstance(o, Assignment)]
        assert len(written) == 1 and outcomes.count(None) == 1, outcomes
        assert Assignment.objects.filter(lead_id=lead_id).count() == 1


def test_the_allocation_service_hands_each_slot_out_once_under_contention(org):
    weights = {org.rep_east.pk: 1, org.rep_east2.pk: 2}

    def worker():
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO off")
        return [routing.round_robin_pick(team_id=org.east.pk, eligible=weights) for _ in range(150)]

    first, second = race(worker, worker)
    slots = [slot for _, slot in first + second]
    assert sorted(slots) == list(range(1, 301))
    by_slot = dict(sorted((slot, rep) for rep, slot in first + second))
    assert list(by_slot.values()).count(org.rep_east2.pk) == 200
