"""In a real browser (Playwright driving Debian's chromium against the live server): a manager decides
MQLs in place, a stale decision is explained, a rep logs a touch, a disqualification below the cadence
is refused. Each page is screenshotted into ``.leadops/screenshots/`` (not committed) for a look."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from leadops import clock
from lifecycle import services
from lifecycle.models import Lead
from lifecycle.services import Actor
from sla.models import Notification, NotificationKind
from tests.workspace.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("LEADOPS_SCREENSHOTS", Path(__file__).resolve().parents[2] / ".leadops" / "screenshots"))


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def row_of(page: Page, lead: Lead):
    return page.locator(f"#lead-{lead.pk}")


def test_a_manager_accepts_one_mql_and_rejects_another_with_a_reason_in_place(page, live_server, org, live_desk):
    keep, drop = live_desk.mql(), live_desk.mql(owner=org.rep_east2)
    Notification.objects.create(recipient=org.manager_east, kind=NotificationKind.AT_RISK, lead=keep,
                                title="SAL review at risk")
    sign_in(page, "mgr_east")
    page.get_by_role("link", name="SAL review").click()
    expect(page.get_by_role("heading", name="SAL review")).to_be_visible()
    expect(page.get_by_role("link", name="Notifications, 1 unread")).to_be_visible()
    shot(page, "sal_review")
    url = page.url

    # Accept the first, keeping its routed owner: the row turns into the result, the page stays
    row_of(page, keep).get_by_role("button", name="Accept").click()
    expect(row_of(page, keep).get_by_role("status")).to_contain_text("Accepted")
    expect(row_of(page, keep)).to_contain_text("now SAL, owned by rep_east")
    expect(row_of(page, keep).get_by_role("button", name="Accept")).to_have_count(0)

    # Reject the second with a Reason
    row_of(page, drop).get_by_label("Reason").select_option(label="Missing data")
    row_of(page, drop).get_by_label("Note").fill("no phone number")
    row_of(page, drop).get_by_role("button", name="Reject").click()
    expect(row_of(page, drop).get_by_role("status")).to_contain_text("Rejected")
    expect(row_of(page, drop)).to_contain_text("now Nurture")
    assert page.url == url  # updated in place, no navigation
    shot(page, "sal_review_decided")
    assert Lead.objects.get(pk=keep.pk).stage == "sal"
    drop.refresh_from_db()
    assert (drop.stage, drop.disposition.code, drop.disposition_note) == ("nurture", "missing_data", "no phone number")

    # The bell leads to the notifications page
    page.get_by_role("link", name="Notifications, 1 unread").click()
    expect(page.get_by_role("table", name="Notifications")).to_contain_text("SAL review at risk")
    shot(page, "notifications")


def test_a_stale_accept_says_the_lead_changed_since_it_was_opened(page, live_server, org, live_desk):
    lead = live_desk.mql()
    sign_in(page, "mgr_east")
    page.goto("/sal-review/")
    expect(row_of(page, lead).get_by_role("button", name="Accept")).to_be_visible()

    # Meanwhile another manager of the team rejects it
    services.lead_reject(lead_id=lead.pk, actor=Actor.of(org.manager_east), reason_code="duplicate")

    row_of(page, lead).get_by_role("button", name="Accept").click()
    status = row_of(page, lead).get_by_role("status")
    expect(status).to_contain_text("This lead changed since you opened it")
    expect(status).to_contain_text("now Disqualified")
    expect(page.get_by_role("heading", name="SAL review")).to_be_visible()  # not an error page
    assert Lead.objects.get(pk=lead.pk).stage == "disqualified"


def test_a_rep_logs_a_touch_in_my_leads_and_sees_the_attempt_count(page, live_server, org, live_desk):
    lead = live_desk.sal()
    sign_in(page, "rep_east")
    page.get_by_role("link", name="My leads").click()
    expect(row_of(page, lead)).to_contain_text("0 of 6 attempts")
    shot(page, "my_leads")

    row_of(page, lead).get_by_label("Channel").select_option("call")
    row_of(page, lead).get_by_role("button", name="Log touch").click()
    expect(row_of(page, lead).get_by_role("status")).to_contain_text("1 of 6 attempts")
    expect(row_of(page, lead).locator("td.progress")).to_have_text("1 of 6 attempts")
    assert Lead.objects.get(pk=lead.pk).touch_attempts == 1


def test_disqualifying_as_unresponsive_below_the_cadence_is_refused_and_explained(page, live_server, org, live_desk):
    lead = live_desk.sal()
    services.touch_log(lead_id=lead.pk, rep=org.rep_east, channel="call", outcome="voicemail",
                       occurred_at=clock.now())
    sign_in(page, "rep_east")
    page.goto(f"/leads/{lead.pk}/")
    expect(page.get_by_role("heading", name="SLA clocks")).to_be_visible()
    shot(page, "lead")

    page.locator("summary", has_text="Disqualify").click()  # opens the action form
    form = page.get_by_role("form", name="Disqualify")
    expect(form).to_contain_text("Touch cadence: 1 of 6 attempts.")
    form.get_by_label("Reason").select_option(label="Unresponsive")
    form.get_by_role("button", name="Disqualify").click()

    refusal = page.get_by_role("form", name="Disqualify").get_by_role("alert")
    expect(refusal).to_contain_text("The touch cadence is not met: 1 of 6 attempts. A sales manager may override.")
    shot(page, "lead_disqualify_refused")
    assert Lead.objects.get(pk=lead.pk).stage == "sal"
    expect(page).to_have_url(re.compile(rf"/leads/{lead.pk}/act/disqualify/$"))


def test_marketing_ops_filters_the_mql_queue_and_sees_a_rejection_in_recycled_leads(page, live_server, org,
                                                                                     live_desk):
    east, west = live_desk.mql(), live_desk.mql(owner=org.rep_west)
    rejected = live_desk.mql()
    services.lead_reject(lead_id=rejected.pk, actor=Actor.of(org.manager_east), reason_code="wrong_title",
                         note="a student")
    sign_in(page, "mops")
    page.get_by_role("link", name="MQL queue").click()
    table = page.get_by_role("table", name="MQLs")
    expect(table).to_contain_text(east.email)
    expect(table).to_contain_text(west.email)

    page.get_by_label("Team").select_option(label="Sales West")
    page.get_by_role("button", name="Apply filters").click()
    expect(table).to_contain_text(west.email)
    expect(table).not_to_contain_text(east.email)
    shot(page, "mql_queue")

    page.get_by_role("link", name="Recycled leads").click()
    latest = page.get_by_role("table", name="Sent back, newest first")
    expect(latest).to_contain_text(rejected.email)
    expect(latest).to_contain_text("Wrong title / persona")
    shot(page, "recycled")


def test_an_accepted_lead_reaches_the_reps_queue_and_a_touch_meets_first_contact(page, live_server, org, live_desk):
    lead = live_desk.mql()
    sign_in(page, "mgr_east")
    page.goto("/sal-review/")
    row_of(page, lead).get_by_label("Owner").select_option(label="rep_east2")
    row_of(page, lead).get_by_role("button", name="Accept").click()
    expect(row_of(page, lead).get_by_role("status")).to_contain_text("owned by rep_east2")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, "rep_east2")
    page.get_by_role("link", name="My leads").click()
    page.get_by_role("link", name=f"Open: qualify, disqualify, recycle {lead.email}").click()
    page.locator("summary", has_text="Log touch").click()
    form = page.get_by_role("form", name="Log touch")
    form.get_by_label("Channel").select_option(label="Email")
    form.get_by_label("Outcome").select_option(label="Replied")
    form.get_by_role("button", name="Log touch").click()
    expect(page.get_by_role("status")).to_contain_text("Touch logged (email · replied): 1 of 6 attempts.")
    first_contact = page.get_by_role("row", name=re.compile("First contact"))
    expect(first_contact).to_contain_text("Met")
    shot(page, "lead_after_touch")
