"""In a real browser: each report page draws its charts from the vendored Chart.js and shows its figures; the
reports menu in the navigation opens and leads to them. Screenshots go to /tmp (LEADOPS_SCREENSHOTS to move
them), never into the repository."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.reporting.test_report_pages import PERIOD, month  # noqa: F401  (the fixture)

SHOTS = Path(os.environ.get("LEADOPS_SCREENSHOTS", "/tmp/leadops-report-shots"))

# page, query, (row header, expected cell text): a figure worked out by hand from the ``month`` fixture
CASES = [
    ("/dashboards/funnel/", f"{PERIOD}&group_by=team", ("Sales West", "Acceptance below the floor")),
    ("/dashboards/sla/", f"{PERIOD}&group_by=rep", ("rep_west", "Below target")),
    ("/dashboards/attribution/", f"{PERIOD}&model=linear", ("W", "1200.00")),
    ("/dashboards/lead-quality/", f"{PERIOD}&group_by=campaign", ("W", "wrong_title 1")),
    ("/dashboards/win-loss/", f"{PERIOD}&group_by=rep", ("rep_east", "100.0 %")),
    ("/dashboards/campaign-calendar/", PERIOD, ("W", "2026-11-02 to 2026-11-29")),
]


@pytest.mark.browser
def test_each_report_page_draws_its_charts_and_figures(page, page_errors, live_server, org, month):  # noqa: F811
    errors = page_errors
    SHOTS.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import expect

    for path, query, (header, text) in CASES:
        page.goto(f"{path}?{query}")
        row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=header, exact=True)).first
        expect(row).to_contain_text(text)
        canvases = page.locator("canvas")
        expect(canvases.first).to_be_visible()
        charts = page.evaluate("() => Object.keys(Chart.instances).length")
        assert charts == canvases.count() and charts >= 1, path
        page.screenshot(path=str(SHOTS / f"{path.strip('/').replace('/', '_')}.png"), full_page=True)
    assert errors == []

    # the reports menu: a native disclosure in the navigation
    page.goto("/")
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_text("Reports", exact=True).click()
    nav.get_by_role("link", name="Win/loss").click()
    expect(page.get_by_role("heading", name="Win/loss")).to_be_visible()
    # a number leads to the leads behind it
    page.goto(f"/dashboards/funnel/?{PERIOD}&group_by=team")
    page.get_by_role("row", name=re.compile("Sales West")).get_by_role("link", name="1", exact=True).first.click()
    expect(page.get_by_role("heading", name="Leads behind the number")).to_be_visible()
    expect(page.get_by_role("link", name="Westlead")).to_be_visible()
