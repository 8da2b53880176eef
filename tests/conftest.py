"""Shared fixtures: the frozen clock, API clients per role, and the stores' lifecycle."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
import time_machine
from rest_framework.test import APIClient

from leadops import services as org_services
from leadops import stack
from leadops.roles import Role
from tests.leadops.factories import TeamFactory, UserFactory

T0 = dt.datetime(2026, 11, 16, 9, 0, tzinfo=dt.UTC)  # a Monday morning


def pytest_unconfigure(config):
    # Stop the embedded servers if this test run started them (a developer's running app keeps its own).
    if os.environ.get("LEADOPS_KEEP_STORES"):
        return
    if "redis" in stack.STARTED:
        stack.stop_redis()
    if "postgres" in stack.STARTED:
        stack.stop_postgres()


@pytest.fixture
def clock():
    """The one frozen-clock fixture: time stands at T0 until the test moves it (``clock.shift(...)``)."""
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def api():
    """An API client; ``api.as_user(user)`` signs in with a session, ``api.with_token(raw)`` uses a token."""

    class Client(APIClient):
        def as_user(self, user):
            self.force_authenticate(user=user)
            return self

        def with_token(self, raw: str):
            self.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
            return self

    return Client()


@pytest.fixture
def org(db):
    """A small organisation: one marketing, two sales teams with managers, reps, leadership, admin."""

    class Org:
        pass

    o = Org()
    o.marketing = TeamFactory(name="Marketing", kind="marketing")
    o.east = TeamFactory(name="Sales East", kind="sales")
    o.west = TeamFactory(name="Sales West", kind="sales")
    o.admin = UserFactory(username="admin", role=Role.ADMIN, is_staff=True, is_superuser=True)
    o.mops = UserFactory(username="mops", role=Role.MARKETING_OPS, team=o.marketing)
    o.lead_ = UserFactory(username="boss", role=Role.LEADERSHIP)
    o.manager_east = UserFactory(username="mgr_east", role=Role.SALES_MANAGER, team=o.east)
    o.manager_west = UserFactory(username="mgr_west", role=Role.SALES_MANAGER, team=o.west)
    o.east.manager = o.manager_east
    o.east.save()
    o.west.manager = o.manager_west
    o.west.save()
    o.rep_east = org_services.user_create(username="rep_east", role=Role.SALES_REP, team=o.east)
    o.rep_east2 = org_services.user_create(username="rep_east2", role=Role.SALES_REP, team=o.east)
    o.rep_west = org_services.user_create(username="rep_west", role=Role.SALES_REP, team=o.west)
    o.integrator = org_services.user_create(username="mapi", role=Role.INTEGRATOR)
    return o


# --- the browser (Playwright driving Debian's chromium) -------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _browser_unavailable(reason: str):
    if os.environ.get("LEADOPS_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason}; LEADOPS_REQUIRE_BROWSER=1 requires the browser tests to run")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium driven by Playwright's sync API, shared by the tests of a module.

    While Playwright runs, its asyncio loop counts as running in the test thread, so Django's guard
    against ORM calls from async code would refuse every query in the test (and the flush of
    ``transactional_db``): DJANGO_ALLOW_ASYNC_UNSAFE is set while the browser lives. Module scope,
    not session scope, keeps that running loop (which also breaks ``asyncio.run`` and
    ``async_to_sync``) and the relaxed guard out of the tests of other modules.
    """
    if not Path(CHROMIUM).exists():
        _browser_unavailable(f"{CHROMIUM} is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _browser_unavailable("playwright is not installed (pip install -e '.[test]')")
    with pytest.MonkeyPatch.context() as env, sync_playwright() as playwright:
        env.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser tab (own cookies) whose relative URLs go to the live server."""
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()
