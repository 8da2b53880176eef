"""Two managers act on the same MQL at the same moment, on two real database connections."""

import threading

import pytest
from django.db import connection

from leadops import services as org_services
from leadops.errors import DomainError
from leadops.roles import Role
from lifecycle import services
from lifecycle.models import Lead, StageTransition
from lifecycle.services import Actor
from tests.lifecycle.walk import walk

pytestmark = pytest.mark.django_db(transaction=True)


def race(*calls):
    """Run the calls at once (a barrier releases them together); return each one's result or error."""
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait(timeout=10)
            outcomes[i] = call()
        except DomainError as exc:
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return outcomes


@pytest.mark.parametrize("attempt", range(5))
def test_accept_and_reject_at_once_exactly_one_wins(org, attempt):
    second_manager = org_services.user_create(username=f"mgr_east_b{attempt}", role=Role.SALES_MANAGER,
                                              team=org.east)
    lead = walk(org, "mql")
    before = StageTransition.objects.filter(lead=lead).count()
    outcomes = race(
        lambda: services.lead_accept(lead_id=lead.pk, actor=Actor.of(org.manager_east)),
        lambda: services.lead_reject(lead_id=lead.pk, actor=Actor.of(second_manager), reason_code="duplicate"),
    )
    errors = [o for o in outcomes if isinstance(o, DomainError)]
    wins = [o for o in outcomes if not isinstance(o, DomainError)]
    assert len(wins) == 1 and len(errors) == 1, outcomes
    assert errors[0].status == 409
    lead.refresh_from_db()
    assert lead.stage == wins[0].lead.stage
    rows = list(StageTransition.objects.filter(lead=lead).order_by("seq").values_list("seq", flat=True))
    assert len(rows) == before + 1 and rows == list(range(1, len(rows) + 1))


def test_two_accepts_at_once_write_one_history_row(org):
    lead = walk(org, "mql")
    before = StageTransition.objects.filter(lead=lead).count()
    outcomes = race(*[lambda: services.lead_accept(lead_id=lead.pk, actor=Actor.of(org.manager_east))] * 2)
    assert all(not isinstance(o, DomainError) for o in outcomes)
    assert sum(o.transition is not None for o in outcomes) == 1
    assert StageTransition.objects.filter(lead=lead).count() == before + 1
    assert Lead.objects.get(pk=lead.pk).stage == "sal"
