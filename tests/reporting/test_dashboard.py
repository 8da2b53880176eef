"""The weekly pipeline dashboard page: everyone reads it, and every number links to the leads behind it."""

from __future__ import annotations

import re
from html import unescape

import pytest

from tests.reporting.conftest import at

PAGE = "/dashboards/weekly-pipeline/"


@pytest.fixture
def week(history, org):
    h = history
    mine = h.lead(source="webinar", team=org.east, owner=org.rep_east, created_at=at(11, 17), first_name="Mine")
    h.path(mine, [("mql", at(11, 17)), ("sal", at(11, 18))])
    theirs = h.lead(source="webinar", team=org.west, owner=org.rep_west, created_at=at(11, 17), first_name="Theirs")
    h.path(theirs, [("mql", at(11, 18))])
    return mine, theirs


def links(html: str) -> list[str]:
    return [unescape(u) for u in re.findall(r'href="([^"]+)"', html)]


@pytest.mark.parametrize("who", ["lead_", "rep_east"])
def test_everyone_reads_the_dashboard_and_its_links_work(client, org, week, clock, who):
    client.force_login(getattr(org, who))
    response = client.get(f"{PAGE}?week=2026-W47")
    assert response.status_code == 200
    html = response.content.decode()
    assert "2026-W47" in html and "vendor/chart.umd.min.js" in html
    drill = sorted({u for u in links(html) if u.startswith(f"{PAGE}leads/")})
    assert any("metric=mqls" in u and "week=2026-W47" in u for u in drill)
    for url in drill:  # no dead links
        assert client.get(url).status_code == 200, url


def test_the_list_behind_a_number_is_that_weeks_leads_the_reader_may_see(client, org, week, clock):
    client.force_login(org.lead_)
    html = client.get(f"{PAGE}leads/?week=2026-W47&metric=mqls&source=webinar").content.decode()
    assert "Mine" in html and "Theirs" in html and "2 leads" in html
    html = client.get(f"{PAGE}leads/?week=2026-W47&metric=sals").content.decode()
    assert "Mine" in html and "Theirs" not in html
    assert "No leads." in client.get(f"{PAGE}leads/?week=2026-W46&metric=mqls").content.decode()
    client.force_login(org.rep_east)  # a rep sees the shared count, but only their own leads in the list
    html = client.get(f"{PAGE}leads/?week=2026-W47&metric=mqls").content.decode()
    assert "Mine" in html and "Theirs" not in html


@pytest.mark.parametrize("url", [f"{PAGE}?week=2026-W60", f"{PAGE}?week=soon", f"{PAGE}leads/?week=2026-W47&metric=x",
                                 f"{PAGE}leads/?week=2026-W47&metric=aging&owner=me"])
def test_bad_week_or_metric_is_refused_politely(client, org, url):
    client.force_login(org.mops)
    response = client.get(url)
    assert response.status_code == 422 and 'role="alert"' in response.content.decode()


def test_signed_out_people_are_sent_to_log_in(client):
    assert client.get(PAGE).status_code == 302


@pytest.mark.browser
def test_in_a_browser_the_charts_draw_from_the_vendored_chart_js(page, page_errors, live_server, org, week):
    from playwright.sync_api import expect

    errors = page_errors
    page.goto(f"{PAGE}?week=2026-W47")
    expect(page.get_by_label("ISO week")).to_have_value("2026-W47")
    assert page.evaluate("() => Object.keys(Chart.instances).length") == 3
    assert errors == []
    page.get_by_role("row", name=re.compile("2026-W47")).get_by_role("link", name="2", exact=True).first.click()
    expect(page.get_by_role("heading", name="Leads behind the number")).to_be_visible()
