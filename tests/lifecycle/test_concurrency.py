"""Two managers act on the same MQL at the same moment, on two real database connections."""

import pytest

from leadops import services as org_services
from leadops.errors import DomainError
from leadops.roles import Role
from lifecycle import services
from lifecycle.models import Lead, StageTransition
from lifecycle.services import Actor
from tests.lifecycle.walk import walk
from tests.support import race

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("attempt", range(5))
def test_accept_and_reject_at_once_exactly_one_wins(org, attempt):
    second_manager = org_services.user_create(username=f"mgr_east_b{attempt}", role=Role.SALES_MANAGER, team=org.east)
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
