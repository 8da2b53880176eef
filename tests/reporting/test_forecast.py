"""Forecast vs actual: the weekly snapshot (idempotent per week) and the weekly comparison with closed won,
on a hand-built set of opportunities; the API, the CSV and the page. Expected numbers worked out by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from reporting import services, tasks
from reporting.models import ForecastLine, ForecastSnapshot
from reporting.selectors.forecast import forecast_vs_actual
from tests.conftest import T0
from tests.reporting.conftest import at

W46, W47 = dt.date(2026, 11, 9), dt.date(2026, 11, 16)  # T0 is Monday 2026-11-16 09:00 (W47); Q4 = Oct-Dec


@pytest.fixture
def deals(history, org):
    """
    A  east, discovery 1000, closes 2026-12-15 (Q4)                    open
    B  west, proposal_presented 500, closes 2027-01-20 (Q1 2027)       open
    C  east, won 300, closed_at Tue 2026-11-10 (W46)
    F  west, won 200, no closed_at, close date 2026-10-05 (Q4, W41)   -> counted on its close date
    G  east, won 50, closed_at Mon 2026-11-16 08:00 (W47)
    H  west, won 999, closed_at 2026-09-30 23:00 (Q3)                   -> not in Q4
    D  east, lost 700                                                   -> never counted
    """
    h = history
    lead = {}
    for name, team in [("A", org.east), ("B", org.west), ("C", org.east), ("F", org.west), ("G", org.east),
                       ("H", org.west), ("D", org.east)]:
        lead[name] = h.lead(team=team)
    h.opportunity(lead["A"], "1000", created=at(11, 1), close_date=dt.date(2026, 12, 15))
    h.opportunity(lead["B"], "500", created=at(11, 1), stage="proposal_presented", close_date=dt.date(2027, 1, 20))
    h.opportunity(lead["C"], "300", created=at(10, 1), stage="closed_won", closed=at(11, 10))
    opp_f = h.opportunity(lead["F"], "200", created=at(9, 1), stage="closed_won", close_date=dt.date(2026, 10, 5))
    assert opp_f.closed_at is None
    h.opportunity(lead["G"], "50", created=at(10, 1), stage="closed_won", closed=at(11, 16, 8))
    h.opportunity(lead["H"], "999", created=at(8, 1), stage="closed_won", closed=at(9, 30, 23))
    h.opportunity(lead["D"], "700", created=at(10, 1), stage="closed_lost", closed=at(11, 12))
    return lead


def test_snapshot_stores_the_open_pipeline_once_per_week(deals, history, org, clock):
    snap = services.forecast_snapshot_take(now=T0)
    assert snap is not None and snap.week == W47
    assert (snap.open_deals, snap.open_amount) == (2, Decimal("1500.00"))
    lines = {(ln.deal_stage, ln.team_id, ln.close_quarter): (ln.deals, ln.amount) for ln in ForecastLine.objects.all()}
    assert lines == {("discovery", org.east.pk, dt.date(2026, 10, 1)): (1, Decimal("1000.00")),
                     ("proposal_presented", org.west.pk, dt.date(2027, 1, 1)): (1, Decimal("500.00"))}
    # a new deal later in the same week changes nothing: the week's snapshot stands
    history.opportunity(history.lead(team=org.east), "4000", created=at(11, 17))
    assert services.forecast_snapshot_take(now=at(11, 18)) is None
    assert tasks.forecast_snapshot.delay().get() is None  # the beat task (eager in tests) is as idempotent
    assert ForecastSnapshot.objects.count() == 1 and ForecastLine.objects.count() == 2
    # the next week gets its own snapshot, with the new deal
    nxt = services.forecast_snapshot_take(now=at(11, 22, 23, 59))
    assert nxt is None  # Sunday 23:59 is still W47
    nxt = services.forecast_snapshot_take(now=at(11, 23, 0, 1))
    assert nxt is not None and (nxt.week, nxt.open_amount) == (dt.date(2026, 11, 23), Decimal("5500.00"))


def test_forecast_against_closed_won_per_week(deals, clock):
    services.forecast_snapshot_take(now=T0)  # W47 only; W46 has none
    w46, w47 = forecast_vs_actual(first_monday=W46, last_monday=W47).weeks
    assert (w46.week, w47.week) == ("2026-W46", "2026-W47")
    assert (w46.snapshot_taken_at, w46.open_amount, w46.quarter_forecast) == (None, None, None)
    assert (w47.open_deals, w47.open_amount) == (2, Decimal("1500.00"))
    assert w47.quarter_forecast == Decimal("1000.00")  # only A closes in Q4
    assert w47.by_stage == {"discovery": Decimal("1000.00"), "proposal_presented": Decimal("500.00")}
    assert (w46.won_deals, w46.won_amount) == (1, Decimal("300.00"))  # C
    assert (w47.won_deals, w47.won_amount) == (1, Decimal("50.00"))  # G
    assert w46.quarter_won_to_date == Decimal("500.00")  # F (Oct 5) + C; H is Q3
    assert w47.quarter_won_to_date == Decimal("550.00")  # + G
    assert w46.quarter_won == w47.quarter_won == Decimal("550.00")


def test_forecast_of_one_team_and_of_empty_weeks(deals, org, clock):
    services.forecast_snapshot_take(now=T0)
    w47 = forecast_vs_actual(first_monday=W47, last_monday=W47, team=org.east.pk).weeks[0]
    assert (w47.open_amount, w47.quarter_forecast, w47.won_amount, w47.quarter_won_to_date) == (
        Decimal("1000.00"), Decimal("1000.00"), Decimal("50.00"), Decimal("350.00"))  # A; G; C + G
    empty = forecast_vs_actual(first_monday=dt.date(2025, 1, 6), last_monday=dt.date(2025, 1, 13)).weeks
    assert [(w.week, w.open_amount, w.won_amount, w.quarter_won) for w in empty] == [
        ("2025-W02", None, Decimal("0.00"), Decimal("0.00")), ("2025-W03", None, Decimal("0.00"), Decimal("0.00"))]


def test_forecast_api_csv_and_page(api, client, deals, org, clock):
    services.forecast_snapshot_take(now=T0)
    api.as_user(org.rep_east)
    body = api.get("/api/v1/reports/forecast/?from=2026-11-10&to=2026-11-16").json()
    assert [w["week"] for w in body["weeks"]] == ["2026-W46", "2026-W47"]
    assert body["weeks"][1]["quarter_forecast"] == "1000.00" and body["weeks"][0]["won_amount"] == "300.00"
    default = api.get("/api/v1/reports/forecast/").json()  # the 13 weeks to this week
    assert len(default["weeks"]) == 13 and default["last_week"] == "2026-W47"
    csv = api.get("/api/v1/reports/forecast.csv?from=2026-11-16&to=2026-11-16").content.decode()
    assert csv.splitlines()[0].startswith("week,starts_on,snapshot_taken_at")
    assert "2026-W47,2026-11-16" in csv and ",1500.00,1000.00,1,50.00,550.00,550.00" in csv
    for bad in ("from=2026-11-20&to=2026-11-01", "team=abc", "from=2020-01-01&to=2026-11-16", "to=soon"):
        r = api.get(f"/api/v1/reports/forecast/?{bad}")
        assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error", bad
    client.force_login(org.lead_)
    html = client.get("/dashboards/forecast/?from=2026-11-09&to=2026-11-16").content.decode()
    assert "2026-W47" in html and "Data as of" in html and "vendor/chart.umd.min.js" in html
    r = client.get("/dashboards/forecast/?from=nope")
    assert r.status_code == 422 and 'role="alert"' in r.content.decode()
