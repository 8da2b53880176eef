"""In a real browser: an admin signs in to the admin and reads the API docs; a rep signs in and out."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from leadops import services
from leadops.roles import Role
from tests.leadops.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.browser

PASSWORD = "a-long-pass-phrase-9"


def test_an_admin_signs_in_sees_the_organisation_and_reads_the_api_docs_offline(page, live_server):
    UserFactory(username="ada", role=Role.ADMIN, is_staff=True, is_superuser=True, password=PASSWORD)
    foreign: list[str] = []
    server = urlsplit(live_server.url).netloc
    page.on("request", lambda request: None if urlsplit(request.url).netloc == server else foreign.append(request.url))

    # When the admin signs in on the admin's login page
    page.goto("/admin/login/")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    # Then the admin index lists the organisation's models
    expect(page).to_have_url(f"{live_server.url}/admin/")
    expect(page.get_by_role("link", name="Teams", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Rep profiles", exact=True)).to_be_visible()

    # And the API docs render the paths, with nothing fetched from another host (no CDN: works offline)
    page.goto("/api/docs/")
    expect(page.get_by_text("/api/v1/users/", exact=True).first).to_be_visible()
    assert foreign == []


def test_a_rep_signs_in_sees_their_role_on_the_home_page_and_signs_out(page, live_server):
    team = TeamFactory(name="Sales East", kind="sales")
    services.user_create(
        username="riley", role=Role.SALES_REP, team=team, password=PASSWORD, first_name="Riley", last_name="Reed"
    )

    # Given a wrong password, the sign-in page says so
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("riley")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("didn't match")

    # When the rep signs in
    page.get_by_label("Username").fill("riley")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    # Then the home page greets them with their role and team
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Welcome, Riley Reed")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("You are signed in as Sales rep / SDR in team Sales East.")
    expect(page.get_by_role("link", name="Admin", exact=True)).to_have_count(0)  # not staff

    # When they sign out, they are back on the sign-in page and the home page is closed to them
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
