"""The lead quality scorecard, win/loss and the campaign calendar on hand-built histories. Every expected
number is worked out by hand in the comments; nothing here calls a selector to compute an expectation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from lifecycle.models import Campaign, DispositionReason
from reporting.selectors.campaigns import campaign_calendar
from reporting.selectors.common import Period
from reporting.selectors.drilldown import period_leads_behind
from reporting.selectors.scorecard import scorecard
from reporting.selectors.winloss import win_loss
from tests.reporting.conftest import at

OCT_NOV = Period.from_dates(dt.date(2026, 10, 1), dt.date(2026, 11, 30))
NOVEMBER = Period.from_dates(dt.date(2026, 11, 1), dt.date(2026, 11, 30))


def reason(code: str, kind: str = "rejection") -> DispositionReason:
    found, _ = DispositionReason.objects.get_or_create(code=code, kind=kind,
                                                       defaults={"label": code, "target_stage": "nurture"})
    return found


@pytest.fixture
def quality(history, org):
    """
    campaign W (webinar), campaign P (paid_search)
    A (W, created Oct 20): MQL Nov 2, SAL, SQL, opportunity (cycle 0) -> deal 1000 won
    B (W, created Nov 1), recycled twice: MQL Nov 3, rejected wrong_title (cycle 0); MQL Nov 10, rejected
      not_a_prospect (cycle 1); MQL Nov 20, accepted (cycle 2)                      -> three November entries
    C (W, Nov 2): MQL Nov 6, rejected wrong_title        D (W, Nov 2): MQL Nov 8, rejected duplicate
    H (W, Nov 3): MQL Nov 12, rejected wrong_geography
    E (P, created Oct 1): MQL Oct 5, SAL, SQL, opportunity (cycle 0) -> deal 500 still open
    F (no campaign, created Nov 15): never MQL          G (W, created Dec 1): outside
    """
    h = history
    w, p = h.campaign("W", "webinar", "100"), h.campaign("P", "paid_search", "100")
    leads = {}
    leads["A"] = h.lead(first_campaign=w, source="webinar", created_at=at(10, 20), first_name="Ann")
    h.path(leads["A"], [("mql", at(11, 2)), ("sal", at(11, 3)), ("sql", at(11, 5)), ("opportunity", at(11, 10))])
    h.opportunity(leads["A"], "1000", created=at(11, 10), stage="closed_won", closed=at(11, 25))
    leads["B"] = h.lead(first_campaign=w, source="webinar", created_at=at(11, 1), first_name="Bob")
    h.move(leads["B"], "lead", "mql", at(11, 3))
    h.move(leads["B"], "mql", "nurture", at(11, 4), reason=reason("wrong_title"))
    h.move(leads["B"], "nurture", "mql", at(11, 10), cycle=1)
    h.move(leads["B"], "mql", "disqualified", at(11, 11), cycle=1, reason=reason("not_a_prospect"))
    h.move(leads["B"], "disqualified", "mql", at(11, 20), cycle=2)
    h.move(leads["B"], "mql", "sal", at(11, 21), cycle=2)
    for name, mql_day, code in (("C", 6, "wrong_title"), ("D", 8, "duplicate"), ("H", 12, "wrong_geography")):
        leads[name] = h.lead(first_campaign=w, source="webinar", created_at=at(11, 2 if name != "H" else 3),
                             first_name=name * 3)
        h.move(leads[name], "lead", "mql", at(11, mql_day))
        h.move(leads[name], "mql", "nurture", at(11, mql_day + 1), reason=reason(code))
    leads["E"] = h.lead(first_campaign=p, source="paid_search", created_at=at(10, 1), first_name="Eve")
    h.path(leads["E"], [("mql", at(10, 5)), ("sal", at(10, 6)), ("sql", at(10, 10)), ("opportunity", at(10, 12))])
    h.opportunity(leads["E"], "500", created=at(10, 12))
    leads["F"] = h.lead(created_at=at(11, 15))
    leads["G"] = h.lead(first_campaign=w, created_at=at(12, 1))
    return w, p, leads


def test_scorecard_per_campaign_per_month(quality):
    w, p, _ = quality
    report = scorecard(period=OCT_NOV, group_by="campaign")
    assert report.months == ["2026-10", "2026-11"]
    got = [(r.month, r.label) for r in report.rows]
    assert got == [("2026-10", "P"), ("2026-10", "W"), ("2026-11", "Unknown"), ("2026-11", "W")]
    oct_p, oct_w, nov_unknown, nov_w = report.rows
    # October P: E created and MQL in October, accepted, SQL: 1/1 -> healthy; its open deal is pipeline, not won
    assert (oct_p.leads, oct_p.mqls, oct_p.accepted, oct_p.rejected, oct_p.sqls) == (1, 1, 1, 0, 1)
    assert (oct_p.acceptance_rate, oct_p.mql_to_sql, oct_p.flags) == (1.0, 1.0, ["mql_to_sql_healthy"])
    assert (oct_p.pipeline, oct_p.won) == (Decimal("500.00"), Decimal("0.00"))
    # October W: A was created in October but became MQL in November: a lead, no cohort -> rates "no data"
    assert (oct_w.leads, oct_w.mqls, oct_w.acceptance_rate, oct_w.mql_to_sql, oct_w.flags) == (1, 0, None, None, [])
    assert (nov_unknown.leads, nov_unknown.mqls) == (1, 0)  # F
    # November W: leads B, C, D, H (G is December) = 4; entries A, B/0, B/1, B/2, C, D, H = 7
    assert (nov_w.leads, nov_w.mqls, nov_w.accepted, nov_w.rejected, nov_w.sqls, nov_w.opportunities) == (
        4, 7, 2, 5, 1, 1)
    assert nov_w.acceptance_rate == 0.2857  # 2 / (2 + 5)
    assert nov_w.mql_to_sql == 0.1429  # 1 / 7
    assert nov_w.flags == ["acceptance_below_floor", "mql_to_sql_below_floor"]
    assert (nov_w.pipeline, nov_w.won) == (Decimal("1000.00"), Decimal("1000.00"))
    # wrong_title 2 (B/0, C); duplicate, not_a_prospect, wrong_geography 1 each: the tie goes by code
    assert nov_w.top_reasons == [{"reason": "wrong_title", "count": 2}, {"reason": "duplicate", "count": 1},
                                 {"reason": "not_a_prospect", "count": 1}]


def test_scorecard_per_channel_and_empty_period(quality):
    rows = scorecard(period=NOVEMBER, group_by="channel").rows
    assert [(r.month, r.key, r.leads, r.mqls) for r in rows] == [("2026-11", "unknown", 1, 0),
                                                                  ("2026-11", "webinar", 4, 7)]
    empty = scorecard(period=Period.from_dates(dt.date(2025, 1, 1), dt.date(2025, 1, 31)), group_by="campaign")
    assert (empty.months, empty.rows) == (["2025-01"], [])
    with pytest.raises(ValueError):
        scorecard(period=NOVEMBER, group_by="team")


def test_scorecard_numbers_link_to_their_leads(quality):
    w, _, leads = quality

    def names(**kw):
        return sorted(x.first_name for x in period_leads_behind(report="funnel", period=NOVEMBER,
                                                                group_by="campaign", key=str(w.pk), **kw))

    assert names(metric="rejected", reason="wrong_title") == ["Bob", "CCC"]
    assert names(metric="won") == ["Ann"]
    assert names(metric="mqls") == ["Ann", "Bob", "CCC", "DDD", "HHH"]  # Bob's three entries: listed once
    assert names(metric="leads") == ["Bob", "CCC", "DDD", "HHH"]


@pytest.fixture
def closed(history, org):
    """
    W: L1 won 1000 (rep_east, Nov 5); L2 lost 400 price (rep_east, Nov 6) and, in its next cycle, lost 250
    timing (Nov 20); L3 lost 300 lost_to_competitor (rep_west, Nov 7)
    P: L4 lost 200 price (rep_west, no closed_at: close date Nov 30); L5 won 700 on Dec 1 00:00 (out)
    none: L6 lost 100 without reason and owner (Nov 30 23:59); L7 open (out)
    """
    h = history
    w, p = h.campaign("W", "webinar", "0"), h.campaign("P", "paid_search", "0")
    price, timing, competitor = (reason("price", "closed_lost"), reason("timing", "closed_lost"),
                                 reason("lost_to_competitor", "closed_lost"))
    made = {}

    def deal(name, campaign, amount, stage, owner, *, closed_at=None, close_date=None, lost=None, cycle=0):
        lead = made.get(name) or h.lead(first_campaign=campaign, first_name=name)
        made[name] = lead
        o = h.opportunity(lead, amount, created=at(10, 1), stage=stage, closed=closed_at, close_date=close_date)
        type(o).objects.filter(pk=o.pk).update(owner=owner, lost_reason=lost, cycle=cycle)

    deal("L1", w, "1000", "closed_won", org.rep_east, closed_at=at(11, 5))
    deal("L2", w, "400", "closed_lost", org.rep_east, closed_at=at(11, 6), lost=price)
    deal("L2", w, "250", "closed_lost", org.rep_east, closed_at=at(11, 20), lost=timing, cycle=1)
    deal("L3", w, "300", "closed_lost", org.rep_west, closed_at=at(11, 7), lost=competitor)
    deal("L4", p, "200", "closed_lost", org.rep_west, close_date=dt.date(2026, 11, 30), lost=price)
    deal("L5", p, "700", "closed_won", org.rep_west, closed_at=at(12, 1, 0))
    deal("L6", None, "100", "closed_lost", None, closed_at=at(11, 30, 23, 59))
    deal("L7", w, "999", "discovery", org.rep_east)
    return w, p


def test_win_loss_by_campaign(closed):
    report = win_loss(period=NOVEMBER, group_by="campaign")
    got = [(r.label, r.won, r.won_amount, r.lost, r.lost_amount, r.win_rate) for r in report.rows]
    assert got == [
        ("W", 1, Decimal("1000.00"), 3, Decimal("950.00"), 0.25),  # 400 + 250 + 300; 1 / 4
        ("P", 0, Decimal("0.00"), 1, Decimal("200.00"), 0.0),  # L5 won in December
        ("Unknown", 0, Decimal("0.00"), 1, Decimal("100.00"), 0.0),
    ]
    # a tie of three reasons with one deal each: by code
    assert report.rows[0].lost_reasons == [{"reason": "lost_to_competitor", "count": 1},
                                           {"reason": "price", "count": 1}, {"reason": "timing", "count": 1}]
    assert report.rows[2].lost_reasons == [{"reason": "unknown", "count": 1}]
    t = report.total
    assert (t.won, t.won_amount, t.lost, t.lost_amount, t.win_rate) == (1, Decimal("1000.00"), 5, Decimal("1250.00"),
                                                                       0.1667)  # 1 / 6
    assert report.reasons == ["price", "lost_to_competitor", "timing", "unknown"]


def test_win_loss_by_rep_and_its_lists(closed, org):
    report = win_loss(period=NOVEMBER, group_by="rep")
    assert [(r.label, r.won, r.lost, r.win_rate) for r in report.rows] == [
        ("rep_east", 1, 2, 0.3333), ("rep_west", 0, 2, 0.0), ("No owner", 0, 1, 0.0)]
    lost = period_leads_behind(report="win_loss", metric="lost", period=NOVEMBER, group_by="rep",
                               key=str(org.rep_east.pk))
    assert sorted(x.first_name for x in lost) == ["L2"]  # two lost deals, one lead
    price = period_leads_behind(report="win_loss", metric="lost", period=NOVEMBER, reason="price")
    assert sorted(x.first_name for x in price) == ["L2", "L4"]
    empty = win_loss(period=Period.from_dates(dt.date(2025, 1, 1), dt.date(2025, 1, 31)), group_by="rep")
    assert (empty.rows, empty.total.win_rate, empty.reasons) == ([], None, [])


@pytest.fixture
def calendar(history):
    """Today is Mon Nov 16 2026 (T0). Campaigns and the leads each sourced (first campaign), by creation day."""
    h = history

    def campaign(name, starts, ends, expected):
        return Campaign.objects.create(name=name, channel="webinar", starts_on=starts, ends_on=ends,
                                       expected_volume=expected)

    c1 = campaign("C1", dt.date(2026, 11, 2), dt.date(2026, 11, 29), 28)  # 28 days, 1 a day
    c2 = campaign("C2", dt.date(2026, 11, 20), dt.date(2026, 12, 10), 42)  # 21 days, 2 a day
    c3 = campaign("C3", dt.date(2026, 10, 1), dt.date(2026, 11, 10), None)
    c4 = campaign("C4", dt.date(2026, 9, 1), dt.date(2026, 10, 31), 50)  # ended before November
    campaign("C5", None, None, 10)  # not scheduled
    c6 = campaign("C6", dt.date(2026, 11, 10), None, 10)  # open end: runs to Nov 30, 21 days
    for c, days in ((c1, [(11, 3), (11, 5), (11, 9), (11, 12), (11, 14), (11, 16)]), (c3, [(10, 5), (11, 1)]),
                    (c4, [(11, 3)]), (c6, [(11, 10), (11, 11), (11, 16)])):
        for month, day in days:
            h.lead(first_campaign=c, created_at=at(month, day))
    return c1, c2, c3, c6


def test_campaign_calendar(calendar):
    c1, c2, c3, c6 = calendar
    report = campaign_calendar(period=NOVEMBER, today=dt.date(2026, 11, 16))
    got = [(c.name, c.expected_volume, c.actual_volume, c.expected_to_date, c.pace, c.status)
           for c in report.campaigns]
    assert got == [
        ("C3", None, 2, None, None, "no_expectation"),  # its October lead counts: actual is all time
        ("C1", 28, 6, 15.0, 0.4, "behind"),  # Nov 2..16 = 15 of 28 days -> 15 expected; 6 / 15
        ("C6", 10, 3, 3.33, 0.9009, "on_track"),  # Nov 10..16 = 7 of 21 days -> 3.33; 3 / 3.33
        ("C2", 42, 0, 0.0, None, "upcoming"),
    ]
    weeks = [(w.week, w.expected, w.actual) for w in report.weeks]
    assert weeks == [
        ("2026-W44", 0.0, 1),  # Sunday Nov 1 only: C3's lead
        ("2026-W45", 7.0, 2),  # C1 7 days; C1 leads Nov 3, 5 (C4's Nov 3 lead: C4 is not listed)
        ("2026-W46", 9.9, 5),  # C1 7 + C6 6 x 10/21 = 9.857; Nov 9, 12, 14 (C1), 10, 11 (C6)
        ("2026-W47", 16.3, 2),  # C1 7 + C6 7 x 10/21 + C2 3 x 2 = 16.33; Nov 16 (C1, C6)
        ("2026-W48", 24.3, 0),  # C1 7 + C6 3.33 + C2 14
        ("2026-W49", 2.5, 0),  # Monday Nov 30 only: C6 0.48 + C2 2
    ]
    sourced = period_leads_behind(report="campaigns", metric="sourced", period=NOVEMBER, group_by="campaign",
                                  key=str(c3.pk))
    assert sourced.count() == 2
    empty = campaign_calendar(period=Period.from_dates(dt.date(2025, 1, 1), dt.date(2025, 1, 7)),
                              today=dt.date(2026, 11, 16))
    assert empty.campaigns == [] and [(w.expected, w.actual) for w in empty.weeks] == [(0.0, 0), (0.0, 0)]


def test_the_scorecard_counts_are_the_funnels(quality):
    """One definition: the scorecard's cohort numbers of a month are the funnel's for that month."""
    from reporting.selectors.funnel import funnel_report

    funnel_rows = {r.key: r for r in funnel_report(period=NOVEMBER, group_by="campaign").rows}
    for row in scorecard(period=NOVEMBER, group_by="campaign").rows:
        if row.mqls:
            f = funnel_rows[row.key]
            assert (row.mqls, row.accepted, row.rejected, row.sqls, row.opportunities, row.acceptance_rate,
                    row.mql_to_sql) == (f.mqls, f.accepted, f.rejected, f.sqls, f.opportunities, f.acceptance_rate,
                                        f.mql_to_sql)


@pytest.mark.parametrize("group_by", ["campaign", "channel"])
def test_the_scorecard_from_the_rollup_is_the_live_one(quality, clock, group_by):
    """Whether the scorecard computes live or (once hooked to ``rollups.scorecard_rows``) reads the fresh
    MQL-entry rollup, the numbers must not change."""
    from reporting import services
    from reporting.selectors import rollups
    from tests.conftest import T0

    with rollups.disabled():
        live = scorecard(period=OCT_NOV, group_by=group_by)
    services.rollups_refresh(now=T0)
    assert rollups.usable() is not None
    rolled = scorecard(period=OCT_NOV, group_by=group_by)
    assert [r.as_dict() for r in rolled.rows] == [r.as_dict() for r in live.rows]
    assert sum(r.mqls for r in rolled.rows) == 8  # A, B x3, C, D, H in November; E in October


def test_the_calendars_weekly_actual_lists_its_leads(calendar):
    # 2026-W46 (Nov 9-15): C1's Nov 9, 12, 14 and C6's Nov 10, 11 = 5, as counted above
    week = period_leads_behind(report="campaigns", metric="created", period=NOVEMBER, group_by="week",
                               key="2026-W46")
    assert week.count() == 5
    # W45: C4's Nov 3 lead is not counted (C4 ended in October): C1's Nov 3 and 5 only
    assert period_leads_behind(report="campaigns", metric="created", period=NOVEMBER, group_by="week",
                               key="2026-W45").count() == 2
    with pytest.raises(ValueError):
        period_leads_behind(report="campaigns", metric="created", period=NOVEMBER, group_by="week", key="2026-W60")
