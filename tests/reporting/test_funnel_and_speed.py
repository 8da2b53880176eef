"""Funnel, conversion and speed on a hand-built November 2026. Expected numbers are worked out by hand
in the comments; nothing here calls a selector to compute an expectation."""

from __future__ import annotations

import datetime as dt

import pytest

from reporting.selectors.common import Period
from reporting.selectors.funnel import funnel_report
from reporting.selectors.sla import speed
from tests.reporting.conftest import at

NOVEMBER = Period.from_dates(dt.date(2026, 11, 1), dt.date(2026, 11, 30))


@pytest.fixture
def november(history, org):
    """
    L1 webinar/east/85/campaign C1: MQL Nov 2 10:00, SAL, SQL, opportunity     (cycle 0)
    L2 webinar/east/65: MQL Nov 4 00:00, rejected -> nurture (cycle 0);
                        MQL again Nov 20 08:00, accepted (cycle 1)             -> two cohort entries
    L3 paid_search/west/30: MQL Oct 28, SAL Nov 2                              -> not in November's cohort
    L4 paid_search/west/50: MQL Nov 10 09:00, SAL, SQL
    L5 paid_search/no team/45: MQL Nov 30 23:59                                -> last minute, included
    L6 email/45: MQL Dec 1 00:00                                               -> excluded
    L7 webinar/no team/20: cycle 0 MQL Oct 10 ... SQL Oct 20, recycled;
                           cycle 1 MQL Nov 15, nothing since                   -> its October SQL must not count
    """
    h = history
    c1 = h.campaign("C1", "webinar", "1000")
    o = org
    leads = {}
    leads["L1"] = h.lead(source="webinar", team=o.east, score=85, first_campaign=c1)
    h.path(leads["L1"], [("mql", at(11, 2, 10)), ("sal", at(11, 3)), ("sql", at(11, 5)), ("opportunity", at(11, 10))])
    leads["L2"] = h.lead(source="webinar", team=o.east, score=65)
    h.path(leads["L2"], [("mql", at(11, 4, 0)), ("nurture", at(11, 5))])
    h.path(leads["L2"], [("mql", at(11, 20, 8)), ("sal", at(11, 21))], cycle=1, start="nurture")
    leads["L3"] = h.lead(source="paid_search", team=o.west, score=30)
    h.path(leads["L3"], [("mql", at(10, 28)), ("sal", at(11, 2))])
    leads["L4"] = h.lead(source="paid_search", team=o.west, score=50)
    h.path(leads["L4"], [("mql", at(11, 10, 9)), ("sal", at(11, 11)), ("sql", at(11, 12))])
    leads["L5"] = h.lead(source="paid_search", score=45)
    h.path(leads["L5"], [("mql", at(11, 30, 23, 59))])
    leads["L6"] = h.lead(source="email", score=45)
    h.path(leads["L6"], [("mql", at(12, 1, 0))])
    leads["L7"] = h.lead(source="webinar", score=20)
    h.path(leads["L7"], [("mql", at(10, 10)), ("sal", at(10, 11)), ("sql", at(10, 20)), ("nurture", at(10, 25))])
    h.path(leads["L7"], [("mql", at(11, 15))], cycle=1, start="nurture")
    return leads


def rows_by_key(report):
    return {r.key: r for r in report.rows}


def test_funnel_by_channel_counts_each_cycle_in_its_own_cohort(november):
    report = funnel_report(period=NOVEMBER, group_by="channel")
    rows = rows_by_key(report)
    assert set(rows) == {"webinar", "paid_search"}  # L6 (December) and L3 (October) are out
    web = rows["webinar"]
    # L1, L2 cycle 0, L2 cycle 1, L7 cycle 1; accepted L1 + L2c1; rejected L2c0; SQL only L1 (L7's SQL was cycle 0)
    assert (web.mqls, web.accepted, web.rejected, web.sqls, web.opportunities) == (4, 2, 1, 1, 1)
    assert web.mql_to_sql == 0.25  # 1/4
    assert web.acceptance_rate == 0.6667  # 2/(2+1)
    assert web.lead_to_opportunity == 0.25
    assert web.flags == []  # 25 % is between the 20 % floor and 40 % healthy; 67 % acceptance >= 60 %
    paid = rows["paid_search"]  # L4, L5
    assert (paid.mqls, paid.accepted, paid.rejected, paid.sqls, paid.opportunities) == (2, 1, 0, 1, 0)
    assert paid.mql_to_sql == 0.5 and paid.acceptance_rate == 1.0 and paid.lead_to_opportunity == 0.0
    assert paid.flags == ["mql_to_sql_healthy"]
    t = report.total
    assert (t.mqls, t.accepted, t.rejected, t.sqls, t.opportunities) == (6, 3, 1, 2, 1)
    assert (t.mql_to_sql, t.acceptance_rate, t.lead_to_opportunity) == (0.3333, 0.75, 0.1667)


def test_funnel_by_team_flags_and_no_reviews(november, org):
    rows = rows_by_key(funnel_report(period=NOVEMBER, group_by="team"))
    east, west, none = rows[str(org.east.pk)], rows[str(org.west.pk)], rows["unknown"]
    assert east.label == "Sales East"
    assert (east.mqls, east.sqls, east.mql_to_sql) == (3, 1, 0.3333)
    assert (west.mqls, west.sqls, west.mql_to_sql) == (1, 1, 1.0)
    # L5 and L7 cycle 1: nothing reviewed yet -> no acceptance rate (None, not 0), MQL->SQL 0 % flagged
    assert (none.mqls, none.acceptance_rate, none.mql_to_sql) == (2, None, 0.0)
    assert none.flags == ["mql_to_sql_below_floor"]


def test_funnel_acceptance_below_floor_is_flagged(history, org):
    h = history
    for i in range(3):  # 1 accepted, 2 rejected: 33 % < 60 %
        lead = h.lead(source="event", team=org.east)
        h.path(lead, [("mql", at(11, 3 + i)), ("sal" if i == 0 else "disqualified", at(11, 6))])
    row = funnel_report(period=NOVEMBER, group_by="channel").rows[0]
    assert (row.accepted, row.rejected, row.acceptance_rate) == (1, 2, 0.3333)
    assert "acceptance_below_floor" in row.flags and "mql_to_sql_below_floor" in row.flags


def test_funnel_by_campaign_and_score_band(november):
    by_campaign = funnel_report(period=NOVEMBER, group_by="campaign")
    assert [(r.label, r.mqls) for r in by_campaign.rows] == [("C1", 1), ("Unknown", 5)]
    bands = [(r.key, r.mqls) for r in funnel_report(period=NOVEMBER, group_by="score_band").rows]
    # L7 20; L4 50, L5 45; L2 65 twice; L1 85 -- in band order, lowest first
    assert bands == [("<40", 1), ("40-59", 2), ("60-79", 2), ("80+", 1)]


def test_funnel_empty_period(november):
    report = funnel_report(period=Period.from_dates(dt.date(2025, 1, 1), dt.date(2025, 1, 31)), group_by="channel")
    assert report.rows == []
    assert (report.total.mqls, report.total.mql_to_sql, report.total.acceptance_rate) == (0, None, None)


def test_speed_to_lead_and_response_time_with_ties(november, history, org):
    h, L = history, november
    # L1: assigned 10:10, a non-attempt touch 10:30 (ignored), first attempt 11:00 -> speed 3600 s, response 3000 s
    h.assign(L["L1"], org.rep_east, at(11, 2, 10, 10))
    h.touch(L["L1"], org.rep_east, at(11, 2, 10, 30), attempt=False)
    h.touch(L["L1"], org.rep_east, at(11, 2, 11))
    h.touch(L["L1"], org.rep_east, at(11, 2, 15))  # a later attempt changes nothing
    # L4: assigned at MQL 09:00, attempt 12:00 -> 10800 s and 10800 s
    h.assign(L["L4"], org.rep_west, at(11, 10, 9))
    h.touch(L["L4"], org.rep_west, at(11, 10, 12))
    # L2 cycle 1: MQL 08:00, assigned 08:30 (then reassigned 08:45: the first one counts), attempt 09:00
    #   -> 3600 s and 1800 s; the cycle-1 touch does not contact cycle 0 (which stays never contacted)
    h.assign(L["L2"], org.rep_east, at(11, 20, 8, 30), cycle=1)
    h.assign(L["L2"], org.rep_east2, at(11, 20, 8, 45), cycle=1)
    h.touch(L["L2"], org.rep_east, at(11, 20, 9), cycle=1)
    # L7 was touched in cycle 0 only: its cycle 1 is never contacted
    h.touch(L["L7"], org.rep_east, at(10, 12))

    rows, total = speed(period=NOVEMBER, group_by="rep")
    # speed to lead: 3600, 3600, 10800 (a tie at the median) -> median 3600;
    #   p90 = value at position 0.9 * (3 - 1) = 1.8 -> 3600 + 0.8 * (10800 - 3600) = 9360
    # response: 1800, 3000, 10800 -> median 3000; p90 = 3000 + 0.8 * (10800 - 3000) = 9240
    assert (total.mqls, total.contacted, total.never_contacted) == (6, 3, 3)
    assert (total.speed_to_lead_median_s, total.speed_to_lead_p90_s) == (3600.0, 9360.0)
    assert (total.response_time_median_s, total.response_time_p90_s) == (3000.0, 9240.0)
    by_rep = {r.label: r for r in rows}
    # rep_east: L1 (3600/3000) and L2c1 (3600/1800): median of two = their mean
    assert (by_rep["rep_east"].mqls, by_rep["rep_east"].response_time_median_s) == (2, 2400.0)
    assert by_rep["rep_west"].speed_to_lead_median_s == 10800.0
    # L2c0, L5, L7c1 were never assigned to a rep
    assert (by_rep["Unassigned"].mqls, by_rep["Unassigned"].never_contacted) == (3, 3)
    assert by_rep["Unassigned"].speed_to_lead_median_s is None


def test_speed_empty_period(db):
    rows, total = speed(period=NOVEMBER, group_by="team")
    assert rows == [] and (total.mqls, total.never_contacted, total.speed_to_lead_median_s) == (0, 0, None)
