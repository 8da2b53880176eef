"""The report pages (funnel, SLA, attribution, lead quality, win/loss, campaign calendar), the reports menu and
the lists behind their numbers; the new /reports/ endpoints and their CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from html import unescape

import pytest

from lifecycle.models import Campaign, DispositionReason
from tests.reporting.conftest import at

PERIOD = "from=2026-11-01&to=2026-11-30"
PAGES = {
    "funnel": "/dashboards/funnel/", "sla": "/dashboards/sla/", "attribution": "/dashboards/attribution/",
    "lead_quality": "/dashboards/lead-quality/", "win_loss": "/dashboards/win-loss/",
    "campaign_calendar": "/dashboards/campaign-calendar/",
}


@pytest.fixture
def month(history, org):
    """
    Campaign W (webinar, cost 600, runs Nov 2-29, 28 leads expected); November:
    east (rep_east's): MQL Nov 2 10:00, assigned 11:00, first attempt 12:00, SAL, SQL, opportunity 1200 won Nov 20
    west (rep_west's): MQL Nov 3, rejected wrong_title; never contacted
    Clocks: first_contact met (rep_east, east), first_contact breached (rep_west, west)
    """
    h = history
    w = Campaign.objects.create(name="W", channel="webinar", cost=600, starts_on=dt.date(2026, 11, 2),
                                ends_on=dt.date(2026, 11, 29), expected_volume=28)
    east = h.lead(source="webinar", team=org.east, owner=org.rep_east, first_campaign=w, score=70,
                  first_name="Eastlead", created_at=at(11, 2, 9))
    h.event(east, w, at(11, 2, 9))
    h.path(east, [("mql", at(11, 2, 10)), ("sal", at(11, 3)), ("sql", at(11, 5)), ("opportunity", at(11, 6))])
    h.assign(east, org.rep_east, at(11, 2, 11))
    h.touch(east, org.rep_east, at(11, 2, 12))
    opp = h.opportunity(east, "1200", created=at(11, 6), stage="closed_won", closed=at(11, 20))
    type(opp).objects.filter(pk=opp.pk).update(owner=org.rep_east)
    west = h.lead(source="webinar", team=org.west, owner=org.rep_west, first_campaign=w, score=65,
                  first_name="Westlead", created_at=at(11, 3, 9))
    rejection, _ = DispositionReason.objects.get_or_create(code="wrong_title", kind="rejection",
                                                           defaults={"label": "Wrong title", "target_stage": "nurture"})
    h.move(west, "lead", "mql", at(11, 3))
    h.move(west, "mql", "nurture", at(11, 4), reason=rejection)
    h.clock(east, "first_contact", at(11, 2, 14), "met", team=org.east, rep=org.rep_east)
    h.clock(west, "first_contact", at(11, 4), "breached", team=org.west, rep=org.rep_west)
    return w


def links(html: str) -> list[str]:
    return [unescape(u) for u in re.findall(r'href="([^"]+)"', html)]


def cell_links(html: str) -> dict[str, str]:
    """Link text -> URL of the lists behind numbers."""
    return {unescape(t).strip(): unescape(u) for u, t in re.findall(r'<a href="(/dashboards/leads/[^"]+)">([^<]+)</a>',
                                                                   html)}


@pytest.mark.parametrize("name", list(PAGES))
@pytest.mark.parametrize("who", ["rep_east", "lead_"])
def test_every_role_reads_every_report_page_and_no_link_is_dead(client, org, month, clock, name, who):
    client.force_login(getattr(org, who))
    extra = "&from=2026-10-26&to=2026-12-06" if name == "campaign_calendar" else f"&{PERIOD}"
    response = client.get(f"{PAGES[name]}?{extra[1:]}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "vendor/chart.umd.min.js" in html and "<canvas" in html
    behind = sorted({u for u in links(html) if u.startswith("/dashboards/leads/")})
    assert behind, "every number links to the leads behind it"
    for url in behind:
        assert client.get(url).status_code == 200, url
    assert f'href="{PAGES[name]}" aria-current="page"' in html  # the reports menu in the navigation


def test_funnel_page_shows_the_rates_and_flags_in_words(client, org, month):
    client.force_login(org.mops)
    html = client.get(f"/dashboards/funnel/?{PERIOD}&group_by=team").content.decode()
    # east: 1 MQL accepted, SQL -> 100 % MQL->SQL (healthy); west: 1 MQL rejected -> 0 % acceptance, 0 % MQL->SQL
    assert "100.0 %" in html and "MQL-&gt;SQL healthy" in html
    assert "Acceptance below the floor" in html and "MQL-&gt;SQL below the floor" in html
    assert "Sales East" in html and "Sales West" in html
    # the total: 2 MQLs, acceptance 1/2 = 50.0 %
    assert re.search(r"<th scope=\"row\">Total</th>\s*<td><a [^>]+>2</a>", html)
    assert "50.0 %" in html


def test_the_list_behind_a_funnel_number_is_the_cohort_the_reader_may_see(client, org, month):
    client.force_login(org.lead_)
    html = client.get(f"/dashboards/funnel/?{PERIOD}&group_by=team").content.decode()
    rejected = [u for u in links(html) if "metric=rejected" in u and f"key={org.west.pk}" in u]
    listed = client.get(rejected[0]).content.decode()
    assert "Westlead" in listed and "Eastlead" not in listed and "1 lead you may see" in listed
    client.force_login(org.rep_east)  # a rep sees the company-wide count, but only their own leads listed
    total_mqls = client.get(f"/dashboards/leads/?report=funnel&metric=mqls&{PERIOD}").content.decode()
    assert "Eastlead" in total_mqls and "Westlead" not in total_mqls


def test_sla_page_compliance_speeds_and_never_contacted(client, org, month):
    client.force_login(org.manager_east)
    html = client.get(f"/dashboards/sla/?{PERIOD}&group_by=rep").content.decode()
    # rep_east 1 met of 1 = 100 %; rep_west 0 of 1 = 0 %, below the 90 % target
    assert "100.0 %" in html and "0.0 %" in html and "Below target" in html and "On target" in html
    # speed to lead of the east entry: 10:00 -> 12:00 = 2 h; rep response 11:00 -> 12:00 = 1 h
    assert "2 h 0 min" in html and "1 h 0 min" in html
    # the west lead was never assigned to a rep: its speed row is "Unassigned"
    never = [u for u in links(html) if "metric=never_contacted" in u and "key=unknown" in u]
    client.force_login(org.lead_)
    assert "Westlead" in client.get(never[0]).content.decode()


def test_attribution_page_revenue_pipeline_and_costs(client, org, month):
    client.force_login(org.lead_)
    html = client.get(f"/dashboards/attribution/?{PERIOD}&model=u_shaped").content.decode()
    # one won deal of 1200 with a single W touch: all of it to W; pipeline created in November: the same 1200
    assert html.count("1200.00") >= 3
    # cost 600 / 1 SQL (east, first touch W) = 600.00; / 1 won deal = 600.00
    assert "600.00" in html
    won = [u for u in links(html) if "metric=won" in u and "group_by=campaign" in u]
    assert "Eastlead" in client.get(won[0]).content.decode()


def test_lead_quality_win_loss_and_calendar_pages(client, org, month, clock):
    client.force_login(org.mops)
    html = client.get(f"/dashboards/lead-quality/?{PERIOD}").content.decode()
    assert "2026-11" in html and "wrong_title 1" in html  # top rejection reason, linked
    html = client.get(f"/dashboards/win-loss/?{PERIOD}&group_by=rep").content.decode()
    assert "rep_east" in html and "100.0 %" in html  # 1 won of 1 closed
    html = client.get("/dashboards/campaign-calendar/?from=2026-11-01&to=2026-11-30").content.decode()
    # today Nov 16: 15 of 28 days -> 15.0 expected; 2 leads sourced -> 13.3 % of pace: behind, said in words
    assert "15.0" in html and "Behind (under 80 % of expected to date)" in html and "13.3 %" in html


@pytest.mark.parametrize("url", [
    "/dashboards/funnel/?group_by=owner", "/dashboards/sla/?from=2026-13-01",
    "/dashboards/attribution/?model=w_shaped", "/dashboards/lead-quality/?from=2026-11-30&to=2026-11-01",
    "/dashboards/win-loss/?group_by=team", "/dashboards/campaign-calendar/?from=2020-01-01&to=2026-01-01",
    "/dashboards/leads/?report=funnel&metric=nope", "/dashboards/leads/?report=sla&metric=met&group_by=channel",
    "/dashboards/leads/?report=attribution&metric=won&model=x", "/dashboards/leads/?report=x&metric=mqls",
    "/dashboards/leads/?report=funnel&metric=mqls&key=3", "/dashboards/leads/?report=funnel&metric=mqls&to=x",
    "/dashboards/leads/?report=campaigns&metric=created&group_by=week&key=2026-W60",
])
def test_bad_input_is_a_polite_422_page(client, org, url):
    client.force_login(org.mops)
    response = client.get(url)
    assert response.status_code == 422 and 'role="alert"' in response.content.decode()


@pytest.mark.parametrize("url", ["/dashboards/funnel/?group_by=owner", "/dashboards/sla/?from=2026-13-01"])
def test_the_422_page_offers_the_group_by_choices_in_words(client, org, url):
    client.force_login(org.mops)
    page = client.get(url).content.decode()
    assert ">Score band<" in page or ">Policy<" in page
    assert ">score_band<" not in page and ">policy<" not in page


def test_the_reports_menu_lists_every_page_for_everyone(client, org):
    client.force_login(org.rep_east)
    html = client.get("/dashboards/").content.decode()
    for url in PAGES.values():
        assert f'href="{url}"' in html
    assert client.get("/dashboards/funnel/").status_code == 200  # defaults: the last 30 days
    client.logout()
    assert client.get("/dashboards/").status_code == 302
    assert client.get("/dashboards/funnel/").status_code == 302


# --- the API and CSV of the new reports ---------------------------------------------------------------


def rows_of(response):
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_new_report_endpoints_and_csv(api, org, month, clock):
    client = api.as_user(org.rep_west)
    body = client.get(f"/api/v1/reports/lead-quality/?{PERIOD}&group_by=channel").json()
    assert (body["from"], body["months"]) == ("2026-11-01", ["2026-11"])
    assert body["rows"] == [{
        "month": "2026-11", "key": "webinar", "label": "Webinar", "leads": 2, "mqls": 2, "accepted": 1,
        "rejected": 1, "sqls": 1, "opportunities": 1, "acceptance_rate": 0.5, "mql_to_sql": 0.5,
        "pipeline": "1200.00", "won": "1200.00", "top_reasons": [{"reason": "wrong_title", "count": 1}],
        "flags": ["acceptance_below_floor", "mql_to_sql_healthy"]}]
    body = client.get(f"/api/v1/reports/win-loss/?{PERIOD}&group_by=rep").json()
    assert body["total"] == {"key": "total", "label": "Total", "won": 1, "won_amount": "1200.00", "lost": 0,
                             "lost_amount": "0.00", "win_rate": 1.0, "lost_reasons": []}
    body = client.get("/api/v1/reports/campaign-calendar/").json()
    assert (body["from"], body["to"], body["today"]) == ("2026-10-19", "2027-01-11", "2026-11-16")  # -28 d, +56 d
    assert [(c["name"], c["actual_volume"], c["status"]) for c in body["campaigns"]] == [("W", 2, "behind")]
    attribution = client.get(f"/api/v1/reports/attribution/?{PERIOD}").json()
    assert (attribution["pipeline_created"], attribution["campaigns"][0]["cost_per_won_deal"]) == ("1200.00", "600.00")
    for name in ("lead-quality", "win-loss", "campaign-calendar"):
        response = client.get(f"/api/v1/reports/{name}.csv?{PERIOD}")
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
        assert f'filename="{name}.csv"' in response["Content-Disposition"]
    table = rows_of(client.get(f"/api/v1/reports/win-loss.csv?{PERIOD}&group_by=rep"))
    assert table[0] == ["group_by", "key", "label", "won", "won_amount", "lost", "lost_amount", "win_rate",
                        "lost_reasons"]
    assert table[-1][2:6] == ["Total", "1", "1200.00", "0"]


def test_new_csv_neutralises_formulas(api, org, history, clock):
    evil = Campaign.objects.create(name="=cmd|' /C calc'!A0", channel="webinar", starts_on=dt.date(2026, 11, 1),
                                   expected_volume=5)
    history.lead(first_campaign=evil, created_at=at(11, 2))
    client = api.as_user(org.mops)
    table = rows_of(client.get("/api/v1/reports/campaign-calendar.csv?from=2026-11-01&to=2026-11-30"))
    assert table[1][1] == "'=cmd|' /C calc'!A0"
    table = rows_of(client.get(f"/api/v1/reports/lead-quality.csv?{PERIOD}&group_by=campaign"))
    assert table[1][3] == "'=cmd|' /C calc'!A0"


@pytest.mark.parametrize(("url", "field"), [
    ("lead-quality/?group_by=team", "group_by"), ("win-loss/?group_by=score_band", "group_by"),
    ("campaign-calendar/?from=2026-12-01&to=2026-11-01", "from"), ("win-loss/?to=tomorrow", "to"),
])
def test_new_endpoints_refuse_bad_parameters(api, org, url, field):
    response = api.as_user(org.mops).get(f"/api/v1/reports/{url}")
    assert response.status_code == 422 and field in response.json()["error"]["details"]["fields"]


@pytest.mark.parametrize(("url", "most"), [
    (f"/api/v1/reports/lead-quality/?{PERIOD}", 9),
    (f"/api/v1/reports/win-loss/?{PERIOD}&group_by=rep", 7),
    (f"/api/v1/reports/campaign-calendar/?{PERIOD}", 7),
    (f"/dashboards/lead-quality/?{PERIOD}", 13),
    (f"/dashboards/win-loss/?{PERIOD}", 12),
    (f"/dashboards/campaign-calendar/?{PERIOD}", 12),
    (f"/dashboards/funnel/?{PERIOD}&group_by=campaign", 12),
    (f"/dashboards/sla/?{PERIOD}&group_by=rep", 14),
    (f"/dashboards/attribution/?{PERIOD}", 14),
])
def test_more_data_does_not_mean_more_queries(client, api, org, month, history, django_assert_max_num_queries,
                                              url, most):
    for i in range(6):
        lead = history.lead(source="email", team=org.west, owner=org.rep_west, first_campaign=month,
                            created_at=at(11, 5 + i))
        history.event(lead, month, at(11, 5 + i))
        history.path(lead, [("mql", at(11, 10 + i)), ("sal", at(11, 20))])
        opp = history.opportunity(lead, "10", created=at(11, 21), stage="closed_lost", closed=at(11, 22))
        type(opp).objects.filter(pk=opp.pk).update(owner=org.rep_west)
    if url.startswith("/api/"):
        caller = api.as_user(org.lead_)
    else:
        client.force_login(org.lead_)
        caller = client
    with django_assert_max_num_queries(most):
        assert caller.get(url).status_code == 200


def test_charts_keep_to_the_biggest_groups_and_say_so(client, org, history):
    import json

    for i in range(10):  # 10 campaigns; campaign Ci gets i + 1 MQLs in November
        c = Campaign.objects.create(name=f"C{i}", channel="email")
        for j in range(i + 1):
            lead = history.lead(first_campaign=c, created_at=at(11, 2))
            history.move(lead, "lead", "mql", at(11, 3, j))
    client.force_login(org.lead_)
    html = client.get(f"/dashboards/lead-quality/?{PERIOD}").content.decode()
    data = json.loads(re.search(r'<script id="chart-data" type="application/json">(.*?)</script>', html, re.S)[1])
    assert sorted(s["label"] for s in data["series"]) == [f"C{i}" for i in range(2, 10)]  # C0, C1 have fewest
    assert "The chart shows the 8 campaigns with the most MQLs; the tables show all." in html
    assert ">C0</th>" in html  # still in the table
