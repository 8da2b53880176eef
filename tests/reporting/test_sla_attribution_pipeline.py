"""SLA compliance, attribution, cost per SQL, coverage, aging and the weekly numbers, on hand-built data
with the expected numbers worked out by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from lifecycle.models import DispositionReason, RevenueTarget
from reporting.selectors.attribution import attribution_report
from reporting.selectors.common import Period
from reporting.selectors.pipeline import aging_leads, pipeline_coverage
from reporting.selectors.sla import compliance
from reporting.selectors.weekly import weekly_pipeline
from sla.models import Escalation
from tests.conftest import T0
from tests.reporting.conftest import at

NOVEMBER = Period.from_dates(dt.date(2026, 11, 1), dt.date(2026, 11, 30))


@pytest.fixture
def clocks(history, org):
    h = history
    # one lead per clock (a lead has one clock per kind and cycle)
    # first_contact (sales), east, rep_east: met, breached, met -> 2 / 3
    h.clock(h.lead(), "first_contact", at(11, 2), "met", team=org.east, rep=org.rep_east)
    h.clock(h.lead(), "first_contact", at(11, 3), "breached", team=org.east, rep=org.rep_east)
    h.clock(h.lead(), "first_contact", at(11, 5), "met", team=org.east, rep=org.rep_east)
    # routing (marketing), no team: breached, met (due 23:00 on the last day) -> 1 / 2
    h.clock(h.lead(), "routing", at(11, 10), "breached")
    h.clock(h.lead(), "routing", at(11, 30, 23), "met")
    # not counted: running, cancelled, due in December, due in October
    h.clock(h.lead(), "first_contact", at(11, 4), "running", team=org.east, rep=org.rep_east)
    h.clock(h.lead(), "sal_review", at(11, 4), "cancelled", team=org.west)
    h.clock(h.lead(), "first_contact", at(12, 1, 0), "met", team=org.east, rep=org.rep_east)
    h.clock(h.lead(), "first_contact", at(10, 31, 23, 59), "breached", team=org.west, rep=org.rep_west)
    return h


def test_sla_compliance_by_policy(clocks):
    rows, total, target = compliance(period=NOVEMBER, group_by="policy")
    got = {r.key: (r.side, r.met, r.breached, r.compliance, r.below_target) for r in rows}
    assert got == {"first_contact": ("sales", 2, 1, 0.6667, True), "routing": ("marketing", 1, 1, 0.5, True)}
    assert (total.met, total.breached, total.compliance, target) == (3, 2, 0.6, 0.9)


def test_sla_compliance_by_team_and_rep(clocks, org):
    rows, _, _ = compliance(period=NOVEMBER, group_by="team")
    assert {r.label: (r.met, r.breached) for r in rows} == {"Sales East": (2, 1), "Unassigned": (1, 1)}
    rows, _, _ = compliance(period=NOVEMBER, group_by="rep")
    assert {r.label: r.compliance for r in rows} == {"rep_east": 0.6667, "Unassigned": 0.5}


def test_sla_compliance_empty_period(clocks):
    rows, total, _ = compliance(period=Period.from_dates(dt.date(2026, 6, 1), dt.date(2026, 6, 30)),
                                group_by="policy")
    assert rows == [] and total.compliance is None and total.below_target is False


@pytest.fixture
def deals(history):
    h = history
    a, b, c = h.campaign("A", "webinar", "1000"), h.campaign("B", "paid_search", "600"), h.campaign("C", "email", "0")
    p1 = h.lead()
    # opportunity 1: 1000, created Nov 1, won Nov 10; touches before creation: A, B, C, B (n = 4)
    for camp, when in ((a, at(10, 1)), (None, at(10, 3)), (b, at(10, 5)), (c, at(10, 10)), (b, at(10, 20)),
                       (a, at(11, 2))):  # no-campaign event and the one after creation do not count
        h.event(p1, camp, when)
    h.opportunity(p1, "1000", created=at(11, 1), stage="closed_won", closed=at(11, 10))
    # opportunity 2: 500, won Nov 20; C and B at the same instant (a tie: C was recorded first)
    p2 = h.lead()
    h.event(p2, c, at(11, 1))
    h.event(p2, b, at(11, 1))
    h.opportunity(p2, "500", created=at(11, 15), stage="closed_won", closed=at(11, 20))
    # opportunity 3: 300, won Nov 25, no touches -> unattributed
    h.opportunity(h.lead(), "300", created=at(11, 20), stage="closed_won", closed=at(11, 25))
    # not in November's revenue: won in December, open, lost
    p4 = h.lead()
    h.event(p4, a, at(10, 1))
    h.opportunity(p4, "9000", created=at(11, 1), stage="closed_won", closed=at(12, 2))
    h.opportunity(h.lead(), "7000", created=at(11, 1))
    p6 = h.lead()
    h.event(p6, a, at(10, 1))
    h.opportunity(p6, "5000", created=at(11, 1), stage="closed_lost", closed=at(11, 9))
    # SQLs of November, credited to the first campaign event at or before the SQL move:
    q1 = h.lead()
    h.event(q1, b, at(10, 1))
    h.event(q1, a, at(10, 2))
    h.move(q1, "sal", "sql", at(11, 5))  # -> B
    q2 = h.lead()
    h.event(q2, a, at(11, 6))  # after its SQL: ignored
    h.event(q2, b, at(11, 1))
    h.move(q2, "sal", "sql", at(11, 5))  # -> B
    q3 = h.lead()
    h.event(q3, a, at(10, 1))
    h.move(q3, "sal", "sql", at(11, 7))  # -> A
    h.move(h.lead(), "sal", "sql", at(11, 8))  # no campaign event: not credited
    q5 = h.lead()
    h.event(q5, a, at(10, 1))
    h.move(q5, "sal", "sql", at(10, 30))  # October SQL: out of the period
    return a, b, c


@pytest.mark.parametrize(("model", "expected"), [
    # opp 1 (1000; A,B,C,B) + opp 2 (500; C,B)
    ("first_touch", {"A": "1000.00", "B": "0.00", "C": "500.00"}),
    # A and C get no last-touch credit but stay listed: A has SQLs and pipeline, C the first touch of opp 2
    ("last_touch", {"A": "0.00", "B": "1500.00", "C": "0.00"}),
    # 1000/4 each: A 250, B 500, C 250; 500/2: C 250, B 250
    ("linear", {"A": "250.00", "B": "750.00", "C": "500.00"}),
    # 1000: A 40 % = 400, B(2nd) 0.2/2 = 100, C 100, B(last) 400; 500 with two touches: 250 each
    ("u_shaped", {"A": "400.00", "B": "750.00", "C": "350.00"}),
])
def test_attribution_models(deals, model, expected):
    report = attribution_report(period=NOVEMBER, model=model)
    assert (report.won_revenue, report.won_deals, report.unattributed_revenue) == (
        Decimal("1800.00"), 3, Decimal("300.00"))
    got = {r.name: str(r.revenue) for r in report.campaigns}
    assert got == expected
    assert sum(r.revenue for r in report.campaigns) + report.unattributed_revenue == Decimal("1800.00")


def test_cost_per_sql_first_touch(deals):
    report = attribution_report(period=NOVEMBER, model="first_touch")
    rows = {r.name: (r.sqls, r.cost, r.cost_per_sql) for r in report.campaigns}
    assert rows["B"] == (2, Decimal("600.00"), Decimal("300.00"))  # 600 / 2
    assert rows["A"] == (1, Decimal("1000.00"), Decimal("1000.00"))
    assert rows["C"] == (0, Decimal("0.00"), None)  # no SQL: no cost per SQL (not a division by zero)
    channels = {c.channel: (c.revenue, c.cost_per_sql) for c in report.channels}
    assert channels["paid_search"] == (Decimal("0.00"), Decimal("300.00"))
    assert channels["email"] == (Decimal("500.00"), None)


@pytest.mark.parametrize(("model", "expected"), [
    # created in November: opp 1 (1000; A,B,C,B), opp 2 (500; C,B), opp 3 (300; none), p4 (9000; A),
    # the open 7000 (none), p6 (5000, lost since; A): whatever their stage now, they are November's pipeline
    ("first_touch", {"A": "15000.00", "B": "0.00", "C": "500.00"}),  # 1000 + 9000 + 5000
    ("u_shaped", {"A": "14400.00", "B": "750.00", "C": "350.00"}),  # A 400 + 9000 + 5000; B 100 + 400 + 250
])
def test_marketing_sourced_pipeline(deals, model, expected):
    report = attribution_report(period=NOVEMBER, model=model)
    assert (report.pipeline_created, report.pipeline_deals, report.unattributed_pipeline) == (
        Decimal("22800.00"), 6, Decimal("7300.00"))  # 300 + 7000 have no touch
    assert {r.name: str(r.pipeline) for r in report.campaigns} == expected


def test_cost_per_won_deal_first_touch(deals):
    report = attribution_report(period=NOVEMBER, model="linear")  # the model does not change it
    rows = {r.name: (r.won_deals_first_touch, r.cost_per_won_deal) for r in report.campaigns}
    # won in November: opp 1 first touched by A (cost 1000), opp 2 by C (cost 0, the tie goes to C)
    assert rows == {"A": (1, Decimal("1000.00")), "B": (0, None), "C": (1, Decimal("0.00"))}
    channels = {c.channel: c.cost_per_won_deal for c in report.channels}
    assert channels == {"webinar": Decimal("1000.00"), "paid_search": None, "email": Decimal("0.00")}


def test_attribution_empty_period(deals):
    report = attribution_report(period=Period.from_dates(dt.date(2025, 1, 1), dt.date(2025, 3, 31)), model="linear")
    assert (report.won_revenue, report.won_deals, report.campaigns, report.channels) == (Decimal("0.00"), 0, [], [])


def test_pipeline_coverage(history, org):
    h = history
    h.opportunity(h.lead(), "100000", created=at(10, 1), close_date=dt.date(2026, 12, 15))
    h.opportunity(h.lead(), "50000", created=at(10, 1), stage="on_hold", close_date=dt.date(2026, 10, 1))
    h.opportunity(h.lead(), "20000", created=at(10, 1), stage="closed_won", closed=at(11, 2))  # closed: out
    h.opportunity(h.lead(), "40000", created=at(10, 1), close_date=dt.date(2027, 1, 1))  # next quarter
    no_target = pipeline_coverage(day=dt.date(2026, 11, 16))
    assert (no_target.open_amount, no_target.open_deals, no_target.coverage, no_target.status) == (
        Decimal("150000.00"), 2, None, "no_target")
    RevenueTarget.objects.create(team=org.east, period_start=dt.date(2026, 10, 1), amount=Decimal("100000"))
    assert pipeline_coverage(day=dt.date(2026, 11, 16)).coverage == 1.5  # the team rows when no company row
    RevenueTarget.objects.create(team=None, period_start=dt.date(2026, 10, 1), amount=Decimal("50000"))
    cov = pipeline_coverage(day=dt.date(2026, 12, 31))
    assert (cov.quarter_start, cov.quarter_end, cov.coverage, cov.status) == (
        dt.date(2026, 10, 1), dt.date(2027, 1, 1), 3.0, "healthy")  # 150000 / 50000


def test_aging_leads(history, org, clock):
    h = history  # now is T0 (Nov 16 09:00); MQL window 24 h (sal_review), SAL window 14 days (disposition)
    h.lead(stage="mql", became_mql_at=T0 - dt.timedelta(hours=25))
    h.lead(stage="mql", became_mql_at=T0 - dt.timedelta(hours=23))
    h.lead(stage="sal", owner=org.rep_east, became_sal_at=T0 - dt.timedelta(days=15))
    h.lead(stage="sal", owner=org.rep_east, became_sal_at=T0 - dt.timedelta(days=16))
    h.lead(stage="sal", owner=org.rep_west, became_sal_at=T0 - dt.timedelta(days=13))
    h.lead(stage="sql", owner=org.rep_west, became_sql_at=T0 - dt.timedelta(days=60))  # SQL has no window
    groups = {g.stage: g for g in aging_leads()}
    assert (groups["mql"].total, groups["mql"].window_hours) == (1, 24.0)
    assert groups["mql"].by_owner == [{"owner": None, "count": 1, "username": ""}]
    assert groups["sal"].by_owner == [{"owner": org.rep_east.pk, "count": 2, "username": "rep_east"}]
    assert set(groups) == {"mql", "sal"}


def test_weekly_pipeline(history, org, clock):
    h = history
    reason, _ = DispositionReason.objects.get_or_create(code="wrong_title", kind="rejection",
                                                        defaults={"label": "Wrong title", "target_stage": "nurture"})
    w47 = at(11, 17)  # a Tuesday of 2026-W47 (Nov 16-22)
    new = h.lead(source="webinar", created_at=w47)
    h.path(new, [("mql", w47), ("sal", at(11, 18)), ("sql", at(11, 19)), ("opportunity", at(11, 19))])
    h.opportunity(new, "1000", created=at(11, 19))
    old = h.lead(source="", created_at=at(11, 10))  # 2026-W46
    h.path(old, [("mql", at(11, 10))])
    h.move(old, "mql", "nurture", at(11, 22, 23, 59), reason=reason)  # Sunday night: still W47
    h.move(h.lead(created_at=at(8, 1)), "lead", "mql", at(8, 20))  # 2026-W34: before the 12 weeks
    h.clock(new, "first_contact", at(11, 18), "met", team=org.east)
    h.clock(h.lead(), "first_contact", at(11, 19), "breached", team=org.east)
    h.clock(new, "routing", at(11, 17), "met")
    Escalation.objects.create(team=org.east, side="sales", level=1, week=dt.date(2026, 11, 9), compliance=0.5,
                              target=0.9, opened_at=at(11, 16))

    report = weekly_pipeline(monday=dt.date(2026, 11, 16))
    assert report.week == "2026-W47" and len(report.weeks) == 13
    assert (report.weeks[0].week, report.weeks[-2].week) == ("2026-W35", "2026-W46")
    cur = report.current
    assert (cur.leads, cur.leads_by_source, cur.mqls, cur.mqls_by_source) == (1, {"webinar": 1}, 1, {"webinar": 1})
    assert (cur.sals, cur.sqls, cur.opportunities, cur.pipeline_created) == (1, 1, 1, Decimal("1000.00"))
    assert (cur.sales_met, cur.sales_breached, cur.sales_compliance) == (1, 1, 0.5)
    assert (cur.marketing_met, cur.marketing_compliance) == (1, 1.0)
    prev = report.weeks[-2]
    assert (prev.leads, prev.leads_by_source, prev.mqls, prev.sales_compliance) == (1, {"unknown": 1}, 1, None)
    assert sum(w.mqls for w in report.weeks) == 2  # the August MQL is outside the 13 weeks
    assert report.rejection_reasons == [{"reason": "wrong_title", "count": 1}]
    assert [(e["team_name"], e["level"]) for e in report.open_escalations] == [("Sales East", 1)]
    assert report.coverage["open_amount"] == Decimal("1000.00")  # close date Dec 15, in Q4
