"""The weighted round robin: shares over 10,000 picks through the real allocation service and its DB row,
smoothness, and the pure function's edge cases."""

from __future__ import annotations

import itertools
from collections import Counter

import pytest
from django.db import connection

from leadops.models import Team
from routing import services as routing
from routing import wrr
from routing.models import RoundRobinState, RoutingSettings
from tests.routing.conftest import add_rep


@pytest.mark.django_db(transaction=True)  # every pick commits, as in production (a row updated 10,000 times
def test_weights_1_2_3_over_10000_picks_give_their_shares(org):  # inside one transaction would not be)
    team = Team.objects.create(name="Weights", kind="sales")
    reps = {add_rep("w1", team, weight=1).pk: 1, add_rep("w2", team, weight=2).pk: 2,
            add_rep("w3", team, weight=3).pk: 3}
    settings = RoutingSettings()
    with connection.cursor() as cursor:  # durability of test commits is not under test; speed is
        cursor.execute("SET synchronous_commit TO off")
    try:
        picks = [routing.round_robin_pick(team_id=team.pk, eligible=reps, settings=settings) for _ in range(10_000)]
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO DEFAULT")
    counts = Counter(rep for rep, _ in picks)
    for rep, weight in reps.items():
        assert abs(counts[rep] / 10_000 - weight / 6) < 0.02, (counts, reps)
    assert [slot for _, slot in picks] == list(range(1, 10_001))
    assert RoundRobinState.objects.get(team=team).seq == 10_000


def test_picks_are_smooth_not_bursts():
    weights = {1: 1, 2: 2, 3: 3}
    credits: wrr.Credits = {}
    sequence = []
    for _ in range(12):
        rep, credits = wrr.advance(credits, weights, weights)
        sequence.append(rep)
    assert sequence == [3, 2, 3, 1, 2, 3] * 2
    runs = [len(list(group)) for _, group in itertools.groupby(sequence)]
    assert max(runs) <= 2  # the weight-3 rep never gets three in a row


def test_shares_follow_weights_among_the_reps_available_at_each_pick():
    weights = {1: 1, 2: 2, 3: 3}
    credits: wrr.Credits = {}
    counts: Counter[int] = Counter()
    for i in range(6000):
        eligible = {k: v for k, v in weights.items() if not (k == 3 and i % 2)}  # rep 3 misses every other pick
        rep, credits = wrr.advance(credits, eligible, weights)
        counts[rep] += 1
    # rep 3 expects 3/6 of the even picks; reps 1 and 2 share the rest 1:2
    assert abs(counts[3] - 1500) <= 3
    assert abs(counts[2] - 2 * counts[1]) <= 3


def test_a_rep_who_left_the_team_is_forgotten():
    credits = {"9": {"credit": 5, "weight": 1, "present": True}}
    rep, new = wrr.advance(credits, {1: 1}, {1: 1})
    assert rep == 1 and "9" not in new


def test_nobody_eligible_is_an_error_for_the_pure_function_and_none_for_the_service(org, db):
    with pytest.raises(ValueError):
        wrr.advance({}, {}, {})
    assert routing.round_robin_pick(team_id=org.east.pk, eligible={}) is None
    assert RoundRobinState.objects.get(team=org.east).seq == 0
