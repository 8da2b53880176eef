"""In a real browser: marketing ops narrows the MQL queue to the leads with incomplete data, sees what each
lacks, saves that as a view, shares it with the team, and a colleague applies it with one click."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from leadops import clock
from lifecycle import services
from lifecycle.models import SavedView
from tests.leadops.factories import UserFactory
from tests.workspace.test_browser import shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_data_incomplete_filter_saved_shared_and_applied(page, live_server, org, live_desk):
    complete = live_desk.mql(title="Head of Ops", source="webinar")
    services.event_record(lead=complete, type="page_view", occurred_at=clock.now())
    gap = live_desk.mql(source="email")  # no title, no behaviour history
    UserFactory(username="mops2", role="marketing_ops", team=org.marketing)

    sign_in(page, "mops")
    page.get_by_role("link", name="MQL queue").click()
    table = page.get_by_role("table", name="MQLs")
    expect(table).to_contain_text(complete.email)
    page.get_by_label("Data incomplete").select_option(value="true")
    page.get_by_label("Sort", exact=True).select_option(label="Newest MQL first")
    page.get_by_role("button", name="Apply filters").click()
    expect(table).not_to_contain_text(complete.email)
    expect(table.get_by_role("row", name=gap.email)).to_contain_text(
        "Data incomplete: missing title, behaviour history")

    # save the current filters under a name: the panel updates in place
    url = page.url
    page.get_by_label("Name for the current filters").fill("Gaps to fix")
    page.get_by_role("button", name="Save view").click()
    panel = page.get_by_role("region", name="Saved views")
    expect(panel.get_by_role("status")).to_contain_text("Saved the view “Gaps to fix”.")
    expect(panel.get_by_role("link", name="Gaps to fix")).to_be_visible()
    assert page.url == url
    shot(page, "mql_queue_saved_view")

    # share it with the team
    panel.get_by_text("Edit").click()
    panel.get_by_role("button", name="Share Gaps to fix with Marketing").click()
    expect(panel.get_by_role("status")).to_contain_text("Shared “Gaps to fix” with Marketing.")
    assert SavedView.objects.get().team == org.marketing
    page.get_by_role("button", name="Sign out").click()

    # a colleague applies it with one click, and cannot delete it
    sign_in(page, "mops2")
    page.get_by_role("link", name="MQL queue").click()
    expect(table).to_contain_text(complete.email)
    panel.get_by_role("link", name="Gaps to fix").click()
    expect(page.get_by_label("Data incomplete")).to_have_value("true")
    expect(table).to_contain_text(gap.email)
    expect(table).not_to_contain_text(complete.email)
    expect(panel).to_contain_text("Showing the saved view Gaps to fix (by mops)")
    expect(panel.get_by_role("button", name="Delete Gaps to fix")).to_have_count(0)
    shot(page, "mql_queue_shared_view_applied")
    page.get_by_role("button", name="Sign out").click()

    # the owner renames it, then deletes it after confirming
    sign_in(page, "mops")
    page.goto("/mql-queue/")
    panel.get_by_text("Edit").click()
    panel.get_by_label("New name for Gaps to fix").fill("Data gaps")
    panel.get_by_role("button", name="Rename").click()
    expect(panel.get_by_role("link", name="Data gaps")).to_be_visible()
    panel.get_by_text("Edit").click()
    page.once("dialog", lambda dialog: dialog.accept())
    panel.get_by_role("button", name="Delete Data gaps").click()
    expect(panel.get_by_role("status")).to_contain_text("Deleted the view “Data gaps”.")
    expect(panel.get_by_role("link", name="Data gaps")).to_have_count(0)
    assert not SavedView.objects.exists()
