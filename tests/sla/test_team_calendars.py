"""Team calendars (domain.md section 3: a team has an optional business calendar): a clock the team answers
for counts on the team's business hours when its policy says so, and explains that; other teams' clocks
and the two-week policies stay on the policy's calendar."""

from __future__ import annotations

import datetime as dt

import pytest

from sla.models import SlaClock, SlaPolicy
from sla.services import calendar_create, clocks_recalculate, policy_update
from tests.sla.conftest import H, M, clock_of

pytestmark = pytest.mark.django_db

FRIDAY_4PM_BERLIN = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


@pytest.fixture
def east_hours(org):
    """Sales East works Mon-Fri 09:00-17:00 Berlin time (UTC+1 in November)."""
    calendar = calendar_create(name="East office hours", time_zone="Europe/Berlin",
                               working_hours=[{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(5)])
    org.east.calendar = calendar
    org.east.save(update_fields=["calendar"])
    return calendar


def test_first_contact_counts_on_the_owners_team_hours_and_says_so(org, walker, clock, east_hours):
    clock.move_to(FRIDAY_4PM_BERLIN)
    lead = walker.assign(walker.mql())
    fc = clock_of(lead, "first_contact")
    # 24 business hours from Fri 16:00: Fri 1 h, Mon 8 h, Tue 8 h, Wed 7 h -> Wed 16:00 Berlin = 15:00 UTC
    assert fc.due_at == utc(2026, 11, 25, 15, 0)
    # warned after 18 of the 24 hours: Fri 1 + Mon 8 + Tue 8 + 1 h on Wed -> Wed 10:00 Berlin
    assert fc.warn_at == utc(2026, 11, 25, 9, 0)
    assert fc.calendar == east_hours
    assert fc.explanation["calendar"] == "East office hours" and fc.explanation["time_zone"] == "Europe/Berlin"
    assert "East office hours" in fc.explanation["text"]


def test_a_team_without_a_calendar_keeps_the_policys_24x7(org, walker, clock, east_hours):
    clock.move_to(FRIDAY_4PM_BERLIN)
    lead = walker.assign(walker.mql(), org.rep_west)
    fc = clock_of(lead, "first_contact")
    assert fc.due_at == FRIDAY_4PM_BERLIN + 24 * H and fc.calendar is None
    assert fc.explanation["calendar"] == "24x7"


def test_the_two_week_policies_stay_in_calendar_weeks(org, walker, clock, east_hours):
    clock.move_to(FRIDAY_4PM_BERLIN)
    lead = walker.sal()
    for kind in ("touch_cadence", "disposition"):
        c = clock_of(lead, kind)
        assert (c.due_at, c.calendar) == (FRIDAY_4PM_BERLIN + dt.timedelta(days=14), None), kind


def test_an_admin_can_put_a_two_week_policy_on_team_hours(org, walker, clock, east_hours):
    policy_update(policy=SlaPolicy.objects.get(kind="disposition", active=True), use_team_calendar=True,
                  target=dt.timedelta(hours=80))  # "ten working days"
    clock.move_to(FRIDAY_4PM_BERLIN)
    lead = walker.sal()
    # 80 business hours from Fri 16:00: Fri 1 h + 9 full days (72 h) -> the 10th working day (Fri 4 Dec) 16:00
    assert clock_of(lead, "disposition").due_at == utc(2026, 12, 4, 15, 0)


def test_the_routing_clock_counts_on_marketings_hours(org, walker, clock):
    org.marketing.calendar = calendar_create(
        name="Marketing ops hours", time_zone="Europe/Berlin",
        working_hours=[{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(5)])
    org.marketing.save(update_fields=["calendar"])
    clock.move_to(utc(2026, 11, 20, 15, 58))  # Fri 16:58 Berlin: 2 minutes left in the week
    lead = walker.mql()
    routing = clock_of(lead, "routing")
    assert routing.due_at == utc(2026, 11, 23, 8, 3)  # Mon 09:03 Berlin
    assert routing.explanation["calendar"] == "Marketing ops hours"


def test_a_high_intent_request_retargets_on_the_clocks_own_calendar(org, walker, clock, east_hours):
    clock.move_to(FRIDAY_4PM_BERLIN)
    lead = walker.assign(walker.mql())
    clock.shift(30 * M)  # Fri 16:30 Berlin
    walker.demo_request(lead)
    fc = clock_of(lead, "first_contact")
    # 4 business hours from Fri 16:30: Fri 30 min, Mon 09:00 + 3 h 30 -> Mon 12:30 Berlin
    assert fc.due_at == utc(2026, 11, 23, 11, 30)
    assert fc.explanation["rule"] == "high_intent_request" and fc.explanation["calendar"] == "East office hours"


def test_editing_the_team_calendar_later_leaves_running_clocks_alone_until_recalculated(org, walker, clock,
                                                                                         east_hours):
    clock.move_to(FRIDAY_4PM_BERLIN)
    lead = walker.assign(walker.mql())
    org.east.calendar = None
    org.east.save(update_fields=["calendar"])
    assert clock_of(lead, "first_contact").due_at == utc(2026, 11, 25, 15, 0)
    policy_update(policy=SlaPolicy.objects.get(kind="first_contact", active=True), warn_fraction=0.5)
    assert clocks_recalculate(kind="first_contact") == 1
    fc = SlaClock.objects.get(lead=lead, kind="first_contact")
    # recalculated onto version 2, still on the calendar it started with: due unchanged, warned at half time
    assert (fc.policy_version, fc.due_at, fc.calendar) == (2, utc(2026, 11, 25, 15, 0), east_hours)
    assert fc.warn_at == utc(2026, 11, 24, 11, 0)  # 12 business hours: Fri 1 + Mon 8 + Tue 3 -> Tue 12:00 Berlin


def test_the_teams_api_sets_and_shows_the_calendar_naming_bad_input(api, org, east_hours):
    admin = api.as_user(org.admin)
    response = admin.patch(f"/api/v1/teams/{org.west.pk}/", {"calendar": east_hours.pk}, format="json")
    assert response.status_code == 200 and response.json()["calendar"] == east_hours.pk
    assert admin.get(f"/api/v1/teams/{org.west.pk}/").json()["calendar"] == east_hours.pk
    bad = admin.patch(f"/api/v1/teams/{org.west.pk}/", {"calendar": 999999}, format="json")
    assert bad.status_code == 422 and "calendar" in bad.json()["error"]["details"]["fields"]
    cleared = admin.patch(f"/api/v1/teams/{org.west.pk}/", {"calendar": None}, format="json")
    assert cleared.status_code == 200 and cleared.json()["calendar"] is None


def test_policies_show_and_take_the_team_calendar_switch(api, org):
    admin = api.as_user(org.admin)
    rows = {p["kind"]: p for p in admin.get("/api/v1/sla-policies/?active=true").json()["results"]}
    assert {k: rows[k]["use_team_calendar"] for k in rows} == {
        "first_contact": True, "sal_review": True, "routing": True, "touch_cadence": False, "disposition": False}
    response = admin.patch(f"/api/v1/sla-policies/{rows['routing']['id']}/", {"use_team_calendar": False},
                           format="json")
    assert response.status_code == 201, response.json()  # a change is a new version
    assert response.json()["use_team_calendar"] is False and response.json()["version"] == 2
