"""The transition table, edge by edge: every allowed move works for the right people, every other move is
refused with 409 naming the allowed moves. Parametrised from the table itself and from an independent
list written from domain.md section 4."""

import datetime as dt
from decimal import Decimal

import pytest

from leadops.errors import Forbidden, IllegalTransition, RuleViolation
from lifecycle import services
from lifecycle.models import Lead, Opportunity, StageTransition
from lifecycle.services import Actor
from lifecycle.state_machine import TABLE, Stage
from tests.lifecycle.walk import BANT, walk

pytestmark = pytest.mark.django_db

# Written by hand from domain.md section 4, independently of lifecycle/state_machine.py.
DOMAIN_EDGES = {
    ("subscriber", "lead"), ("subscriber", "mql"), ("lead", "mql"), ("nurture", "mql"), ("disqualified", "mql"),
    ("mql", "sal"), ("mql", "nurture"), ("mql", "disqualified"), ("sal", "sql"),
    ("sal", "nurture"), ("sql", "nurture"), ("sal", "disqualified"), ("sql", "disqualified"),
    ("sql", "opportunity"), ("opportunity", "customer"), ("opportunity", "nurture"),
    ("opportunity", "disqualified"),
}
TABLE_EDGES = {(str(s), str(m.target)) for m in TABLE for s in m.sources}
ALL_STAGES = [str(s) for s in Stage]
REFUSED = sorted((a, b) for a in ALL_STAGES for b in ALL_STAGES if a != b and (a, b) not in DOMAIN_EDGES)


def test_the_table_is_exactly_domain_md():
    assert TABLE_EDGES == DOMAIN_EDGES


def make_move(org, lead: Lead, to: str):
    """Make the move the way the right person would, meeting its requirement."""
    rep, mgr, mops = Actor.of(org.rep_east), Actor.of(org.manager_east), Actor.of(org.mops)
    src = lead.stage
    if to == "lead":
        services.lead_update(lead_id=lead.pk, fields={"title": "Head of Sales Ops"})
        return Lead.objects.get(pk=lead.pk)
    if to == "mql" and src == "disqualified":
        return services.lead_transition(lead_id=lead.pk, to="mql", actor=Actor.system(),
                                        trigger="high_intent_event").lead
    if to == "mql":
        return services.lead_promote(lead_id=lead.pk, to="mql", actor=mops).lead
    if to == "sal":
        return services.lead_accept(lead_id=lead.pk, actor=mgr).lead
    if src == "mql" and to in ("nurture", "disqualified"):
        code = "missing_data" if to == "nurture" else "not_a_prospect"
        return services.lead_reject(lead_id=lead.pk, actor=mgr, reason_code=code).lead
    if to == "sql":
        return services.lead_qualify(lead_id=lead.pk, actor=rep, bant=BANT).lead
    if src in ("sal", "sql") and to == "nurture":
        return services.lead_recycle(lead_id=lead.pk, actor=rep, reason_code="bad_timing").lead
    if src in ("sal", "sql") and to == "disqualified":
        return services.lead_disqualify(lead_id=lead.pk, actor=rep, reason_code="no_need").lead
    if to == "opportunity":
        return services.lead_convert(lead_id=lead.pk, actor=rep, amount=Decimal("5000"),
                                     close_date=dt.date(2027, 3, 1)).lead
    opp = Opportunity.objects.get(lead=lead, deal_stage="discovery")
    if to == "customer":
        services.opportunity_update(opportunity_id=opp.pk, deal_stage="closed_won")
    else:
        services.opportunity_update(opportunity_id=opp.pk, deal_stage="closed_lost",
                                    lost_reason="price" if to == "nurture" else "product_fit")
    return Lead.objects.get(pk=lead.pk)


@pytest.mark.parametrize(("source", "target"), sorted(TABLE_EDGES))
def test_each_allowed_move_works_and_writes_one_history_row(org, source, target):
    lead = walk(org, source)
    assert lead.stage == source
    before = StageTransition.objects.filter(lead=lead).count()
    moved = make_move(org, lead, target)
    assert moved.stage == target
    rows = list(StageTransition.objects.filter(lead=lead).order_by("seq"))
    assert len(rows) == before + 1
    assert (rows[-1].from_stage, rows[-1].to_stage) == (source, target)
    assert getattr(moved, f"became_{target}_at") is not None


@pytest.mark.parametrize(("source", "target"), REFUSED)
def test_each_refused_move_is_409_naming_the_allowed_moves(org, source, target):
    lead = walk(org, source)
    before = StageTransition.objects.filter(lead=lead).count()
    for actor in (Actor.system(), Actor.of(org.mops), Actor.of(org.manager_east), Actor.of(org.rep_east)):
        with pytest.raises(IllegalTransition) as err:
            services.lead_transition(lead_id=lead.pk, to=target, actor=actor, trigger="high_intent_event")
        assert err.value.status == 409
        allowed = sorted(b for a, b in DOMAIN_EDGES if a == source)
        assert sorted(err.value.details["allowed"]) == allowed
    assert StageTransition.objects.filter(lead=lead).count() == before
    assert Lead.objects.get(pk=lead.pk).stage == source


def test_a_move_to_the_current_stage_is_a_no_op(org):
    lead = walk(org, "sal")
    before = StageTransition.objects.filter(lead=lead).count()
    result = services.lead_accept(lead_id=lead.pk, actor=Actor.of(org.manager_east))
    assert result.transition is None
    assert StageTransition.objects.filter(lead=lead).count() == before


@pytest.mark.parametrize(("stage", "to", "who"), [
    ("mql", "sal", "rep_east"), ("mql", "sal", "mops"), ("mql", "sal", "manager_west"),
    ("sal", "sql", "rep_east2"), ("sal", "sql", "mops"), ("sql", "opportunity", "mops"),
    ("lead", "mql", "rep_east"), ("lead", "mql", "manager_east"), ("disqualified", "mql", "mops"),
])
def test_the_wrong_person_is_refused_and_nothing_is_written(org, stage, to, who):
    lead = walk(org, stage)
    before = StageTransition.objects.filter(lead=lead).count()
    actor = Actor.of(getattr(org, who))
    with pytest.raises((Forbidden, IllegalTransition)):
        services.lead_transition(lead_id=lead.pk, to=to, actor=actor, bant=BANT, owner=org.rep_east,
                                 opportunity={"amount": Decimal(1), "close_date": dt.date(2027, 1, 1)})
    assert StageTransition.objects.filter(lead=lead).count() == before


def test_an_integrator_may_promote_a_subscriber_with_a_title_and_convert_an_sql(org):
    lead = walk(org, "subscriber")
    services.lead_update(lead_id=lead.pk, fields={"first_name": "Only a name"})
    with pytest.raises(RuleViolation) as err:
        services.lead_promote(lead_id=lead.pk, to="lead", actor=Actor.of(org.integrator))
    assert "title" in err.value.details["fields"]
    lead = walk(org, "sql")
    result = services.lead_convert(lead_id=lead.pk, actor=Actor.of(org.integrator), amount=Decimal("900"),
                                   close_date=dt.date(2027, 2, 1))
    assert result.lead.stage == "opportunity" and result.opportunity.amount == Decimal("900")


def test_start_up_check_fails_when_a_stage_has_no_move(monkeypatch):
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    from lifecycle import state_machine

    call_command("check")  # the real table passes
    trimmed = tuple(m for m in state_machine.TABLE if Stage.CUSTOMER not in (m.target, *m.sources))
    monkeypatch.setattr(state_machine, "TABLE", trimmed)
    with pytest.raises(SystemCheckError, match="stage customer appears in no move"):
        call_command("check")
