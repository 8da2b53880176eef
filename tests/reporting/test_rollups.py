"""The rollups answer with exactly the numbers of the live queries (funnel, SLA compliance, speeds, the weekly
pipeline), on the hand-built November (recycled leads, two entries of one lead in a period, ties), and only
while they are fresh: a rollup older than 5 minutes is not used."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from reporting import services, tasks
from reporting.selectors import rollups
from reporting.selectors.attribution import attribution_report
from reporting.selectors.campaigns import campaign_calendar
from reporting.selectors.common import Period
from reporting.selectors.funnel import funnel_report
from reporting.selectors.scorecard import scorecard
from reporting.selectors.sla import compliance, sla_report
from reporting.selectors.weekly import weekly_pipeline
from reporting.selectors.winloss import win_loss
from tests.conftest import T0
from tests.reporting.conftest import at
from tests.reporting.test_funnel_and_speed import november  # noqa: F401 - the shared hand-built history

NOVEMBER = Period.from_dates(dt.date(2026, 11, 1), dt.date(2026, 11, 30))


@pytest.fixture
def rich(november, history, org):  # noqa: F811
    """November plus touches, assignments (a reassignment), clocks of both sides and opportunities."""
    h, L = history, november
    h.assign(L["L1"], org.rep_east, at(11, 2, 10, 10))
    h.touch(L["L1"], org.rep_east, at(11, 2, 10, 30), attempt=False)
    h.touch(L["L1"], org.rep_east, at(11, 2, 11))
    h.assign(L["L4"], org.rep_west, at(11, 10, 9))
    h.touch(L["L4"], org.rep_west, at(11, 10, 12))
    h.assign(L["L2"], org.rep_east, at(11, 20, 8, 30), cycle=1)
    h.assign(L["L2"], org.rep_east2, at(11, 20, 8, 45), cycle=1)
    h.touch(L["L2"], org.rep_east, at(11, 20, 9), cycle=1)
    h.clock(L["L1"], "first_contact", at(11, 3), "met", team=org.east, rep=org.rep_east)
    h.clock(L["L4"], "first_contact", at(11, 11), "breached", team=org.west, rep=org.rep_west)
    h.clock(L["L1"], "routing", at(11, 2, 10, 5), "met", team=org.marketing)
    h.clock(L["L2"], "routing", at(11, 4, 0, 5), "breached")
    h.clock(L["L4"], "sal_review", at(11, 11), "running", team=org.west)
    h.clock(L["L5"], "disposition", at(12, 1, 0, 0), "met", team=org.east)  # due Dec 1 00:00: not November
    h.opportunity(L["L1"], "1200", created=at(11, 10))
    h.opportunity(L["L4"], "800", created=at(11, 12), stage="closed_won", closed=at(11, 13))
    h.opportunity(L["L7"], "100", created=at(11, 1), stage="closed_won", close_date=dt.date(2026, 11, 20))
    a, b = h.campaign("A", "webinar", "500"), h.campaign("B", "paid_search", "300")
    type(a).objects.filter(pk=a.pk).update(starts_on=dt.date(2026, 10, 20), expected_volume=30)
    type(b).objects.filter(pk=b.pk).update(starts_on=dt.date(2026, 11, 3), ends_on=dt.date(2026, 11, 20))
    for i, campaign in enumerate([a, a, b]):  # leads sourced by the campaigns (first campaign)
        h.lead(source="webinar", first_campaign=campaign, created_at=at(11, 3 + 7 * i))
    lost = h.lead(source="event", owner=org.rep_west)
    h.opportunity(lost, "450", created=at(10, 2), stage="closed_lost", closed=at(11, 18))
    h.opportunity(h.lead(first_campaign=a), "70", created=at(10, 2), stage="closed_lost", closed=at(11, 30, 23))
    for campaign, when in [(a, at(11, 1)), (b, at(11, 1)), (a, at(11, 5)), (b, at(11, 12)), (a, at(11, 14))]:
        h.event(L["L4"], campaign, when)  # a tie at Nov 1 (id order); Nov 12 12:00 is not before the deal
    h.event(L["L1"], b, at(11, 9))
    h.event(L["L1"], None, at(11, 9, 13))  # no campaign: never a touch
    h.lead(stage="mql", became_mql_at=at(11, 14), owner=org.rep_east, team=org.east)  # aging: MQL > 24 h at T0
    return L


def everything():
    out = {}
    for group_by in ("channel", "campaign", "team", "score_band"):
        out[f"funnel {group_by}"] = funnel_report(period=NOVEMBER, group_by=group_by)
    for group_by in ("policy", "team", "rep"):
        out[f"sla {group_by}"] = sla_report(period=NOVEMBER, group_by=group_by)
    for model in ("first_touch", "last_touch", "linear", "u_shaped"):
        out[f"attribution {model}"] = attribution_report(period=NOVEMBER, model=model)
    for group_by in ("campaign", "channel"):
        out[f"scorecard {group_by}"] = scorecard(period=NOVEMBER, group_by=group_by)
    for group_by in ("campaign", "channel", "rep"):
        out[f"win/loss {group_by}"] = win_loss(period=NOVEMBER, group_by=group_by)
    out["campaign calendar"] = campaign_calendar(period=NOVEMBER, today=dt.date(2026, 11, 16))
    for week in (dt.date(2026, 11, 2), dt.date(2026, 11, 16), dt.date(2026, 11, 30)):
        report = weekly_pipeline(monday=week)
        out[f"weekly {week}"] = (report.weeks, report.coverage, report.aging, report.rejection_reasons)
    return out


def test_rollup_backed_reports_match_the_live_queries(rich, clock):
    with rollups.disabled():
        live = everything()
    assert rollups.usable() is None  # never refreshed: the live path answers
    state = services.rollups_refresh(now=T0)
    assert rollups.usable() == T0 and state.rows == 9  # nine MQL entries in the history
    rolled = everything()
    for name, value in live.items():
        assert rolled[name] == value, name
    # spot checks that the compared numbers are not empty
    assert live["funnel channel"].total.mqls == 6
    assert live["weekly 2026-11-02"][0][-1].mqls == 2  # W45: L1 Nov 2 and L2 Nov 4 (cycle 0)
    u = live["attribution u_shaped"]  # L4's 800: touches A, B (tie, id order), A -> 320 + 160 + 320; L7 none
    assert (u.won_revenue, u.unattributed_revenue) == (Decimal("900.00"), Decimal("100.00"))
    assert {c.name: c.revenue for c in u.campaigns} == {"A": Decimal("640.00"), "B": Decimal("160.00")}
    assert u.pipeline_created == Decimal("2100.00")  # L7 100 (Nov 1) + L1 1200 + L4 800
    # closed in November: L4 won (paid_search), L7 won on its close date (webinar), two lost (event; no source)
    assert {(r.key, r.won, r.lost) for r in live["win/loss channel"].rows} == {
        ("event", 0, 1), ("paid_search", 1, 0), ("unknown", 0, 1), ("webinar", 1, 0)}
    assert (live["win/loss rep"].total.won, live["win/loss rep"].total.lost) == (2, 2)
    # leads by first campaign: A two sourced leads plus the lost deal's lead, B one
    assert [(c.name, c.actual_volume) for c in live["campaign calendar"].campaigns] == [("A", 3), ("B", 1)]
    assert any(r.top_reasons for r in live["scorecard channel"].rows)
    assert [(g["stage"], g["total"]) for g in live["weekly 2026-11-16"][2]] == [("mql", 1), ("sal", 0)]
    assert [(r.key, r.met, r.breached) for r in live["sla policy"].rows] == [("first_contact", 1, 1),
                                                                            ("routing", 1, 1)]


def test_the_rollup_is_what_answers_and_it_expires_after_five_minutes(rich, history, org, clock):
    services.rollups_refresh(now=T0)
    late = history.lead(source="webinar", team=org.east, score=70)
    history.path(late, [("mql", at(11, 16, 8))])  # after the refresh
    # the rollup (as of T0) does not know the new entry yet; live does
    assert funnel_report(period=NOVEMBER, group_by="channel").total.mqls == 6
    with rollups.disabled():
        assert funnel_report(period=NOVEMBER, group_by="channel").total.mqls == 7
    assert weekly_pipeline(monday=dt.date(2026, 11, 16)).generated_at == T0
    clock.shift(dt.timedelta(minutes=5, seconds=1))  # older than 5 minutes: live again, fresh numbers
    assert rollups.usable() is None
    assert funnel_report(period=NOVEMBER, group_by="channel").total.mqls == 7
    tasks.refresh_rollups.delay()  # the beat's task (eager in tests): a second refresh, written as a difference
    assert rollups.usable() == T0 + dt.timedelta(minutes=5, seconds=1)
    assert funnel_report(period=NOVEMBER, group_by="channel").total.mqls == 7


def test_a_refresh_finds_changes_to_old_rows(rich, history, clock):
    """A later move of an old cycle (L5 accepted) and a changed lead (L7's source) reach the rollup."""
    services.rollups_refresh(now=T0)
    history.move(rich["L5"], "mql", "sal", at(12, 2))
    type(rich["L7"]).objects.filter(pk=rich["L7"].pk).update(source="event")
    services.rollups_refresh(now=T0)
    rolled = funnel_report(period=NOVEMBER, group_by="channel")
    with rollups.disabled():
        live = funnel_report(period=NOVEMBER, group_by="channel")
    assert rolled == live
    assert {r.key: r.accepted for r in rolled.rows}["paid_search"] == 2  # L4 and now L5
    assert "event" in {r.key for r in rolled.rows}


def test_compliance_of_a_partial_day_period_is_computed_live(rich, clock):
    services.rollups_refresh(now=T0)
    period = Period(at(11, 2, 10), at(11, 3, 12, 1))  # not whole days: the daily rollup cannot answer
    rows, total, _ = compliance(period=period, group_by="policy")
    # routing L1 due Nov 2 10:05 (met), first_contact L1 due Nov 3 12:00 (met)
    assert (total.met, total.breached) == (2, 0)


def test_report_pages_say_how_fresh_their_numbers_are(rich, client, org, clock):
    client.force_login(org.lead_)
    pages = ["/dashboards/funnel/?from=2026-11-01&to=2026-11-30", "/dashboards/sla/?from=2026-11-01&to=2026-11-30",
             "/dashboards/attribution/?from=2026-11-01&to=2026-11-30", "/dashboards/weekly-pipeline/?week=2026-W47"]
    for url in pages:  # no rollup yet: computed live, as of now (T0 09:00)
        assert "as of <strong>09:00 UTC</strong>" in client.get(url).content.decode(), url
    services.rollups_refresh(now=T0 - dt.timedelta(minutes=3))  # a rollup 3 minutes old answers
    for url in pages:
        assert "as of <strong>08:57 UTC</strong>" in client.get(url).content.decode(), url
