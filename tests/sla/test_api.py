"""The SLA endpoints: /sla/clocks/, /sla/escalations/, /calendars/, /sla-policies/, /notifications/,
/sla/capacity-notices/, /sla/obligations/, and the lead detail's open clocks and the lead list's sla_status."""

from __future__ import annotations

import datetime as dt

import pytest

from leadops.models import Scope
from leadops.services import token_issue
from sla.models import Escalation, SlaPolicy
from tests.conftest import T0
from tests.sla.conftest import D, H, clock_of

pytestmark = pytest.mark.django_db
API = "/api/v1"


def fields_of(response) -> dict:
    assert response.status_code == 422, response.content
    return response.json()["error"]["details"]["fields"]


@pytest.fixture
def breached_lead(org, walker, clock, sweep):
    """A lead of rep_east whose first contact and SAL review breached (T0 + 25 h)."""
    lead = walker.assign(walker.mql())
    clock.shift(25 * H)
    sweep()
    return lead


# --- clocks ------------------------------------------------------------------------------------------------


def test_clock_list_filters_and_explains(api, org, walker, clock, breached_lead):
    fresh = walker.assign(walker.mql(), org.rep_east2)
    client = api.as_user(org.admin)
    body = client.get(f"{API}/sla/clocks/", {"lead": breached_lead.pk, "policy": "first_contact"}).json()
    [row] = body["results"]
    assert row["status"] == "breached" and row["policy"] == "first_contact" and row["policy_version"] == 1
    assert row["accountable"] == {"kind": "rep", "user": org.rep_east.pk, "team": org.east.pk}
    assert row["due_at"] == "2026-11-17T09:00:00Z" and row["cause"] == "rep"
    assert row["explanation"]["calendar"] == "24x7" and row["explanation"]["business_duration"] == "PT24H"
    owner = client.get(f"{API}/sla/clocks/", {"owner": org.rep_east2.pk, "status": "running"}).json()["results"]
    assert {r["lead"] for r in owner} == {fresh.pk}
    due = client.get(f"{API}/sla/clocks/", {"due_after": "2026-11-18T00:00:00Z", "team": org.east.pk}).json()
    assert {r["policy"] for r in due["results"]} == {"first_contact", "sal_review"}
    assert all(r["lead"] == fresh.pk for r in due["results"])
    assert fields_of(client.get(f"{API}/sla/clocks/", {"status": "late"}))["status"]


def test_the_clock_list_costs_the_same_for_any_page(api, org, walker, clock, django_assert_max_num_queries):
    for _ in range(4):
        walker.assign(walker.mql())
    client = api.as_user(org.manager_east)  # visibility through the manager's teams: a subquery
    with django_assert_max_num_queries(6):
        rows = client.get(f"{API}/sla/clocks/", {"page_size": 500}).json()["results"]
    assert len(rows) == 12


def test_at_risk_filter(api, org, walker, clock, sweep):
    lead = walker.assign(walker.mql())
    clock.shift(19 * H)
    sweep()
    rows = api.as_user(org.admin).get(f"{API}/sla/clocks/", {"status": "at_risk"}).json()["results"]
    assert {(r["lead"], r["policy"], r["at_risk"]) for r in rows} == {(lead.pk, "first_contact", True),
                                                                       (lead.pk, "sal_review", True)}


def test_clocks_follow_lead_visibility(api, org, breached_lead):
    east = api.as_user(org.rep_east).get(f"{API}/sla/clocks/").json()["results"]
    assert {r["lead"] for r in east} == {breached_lead.pk}
    west = api.as_user(org.rep_west)
    assert west.get(f"{API}/sla/clocks/").json()["results"] == []
    clock_id = east[0]["id"]
    assert west.get(f"{API}/sla/clocks/{clock_id}/").status_code == 404
    assert api.as_user(org.manager_east).get(f"{API}/sla/clocks/{clock_id}/").status_code == 200


def test_a_token_needs_leads_read(api, org, breached_lead):
    _, raw = token_issue(user=org.integrator, scopes=[Scope.EVENTS_WRITE])
    response = api.with_token(raw).get(f"{API}/sla/clocks/")
    assert response.status_code == 403 and response.json()["error"]["details"]["scope"] == "leads:read"
    _, reader = token_issue(user=org.integrator, scopes=[Scope.LEADS_READ])
    from lifecycle.models import ClientLead

    ClientLead.objects.create(client=org.integrator, lead=breached_lead)  # an API client sees its own leads
    assert len(api.with_token(reader).get(f"{API}/sla/clocks/").json()["results"]) == 3  # routing too


def test_lead_detail_lists_open_clocks_and_the_list_filters_by_sla_status(api, org, walker, breached_lead):
    walker.touch(breached_lead)  # first contact met late: breached with a stop time, no longer open
    client = api.as_user(org.admin)
    detail = client.get(f"{API}/leads/{breached_lead.pk}/").json()
    assert [(c["policy"], c["status"]) for c in detail["open_sla_clocks"]] == [("sal_review", "breached")]
    assert detail["open_sla_clocks"][0]["explanation"]["time_zone"] == "UTC"
    timeline = client.get(f"{API}/leads/{breached_lead.pk}/timeline/").json()["results"]
    assert {(r["data"]["policy"], r["data"]["event"]) for r in timeline if r["kind"] == "sla_clock"} >= {
        ("first_contact", "started"), ("first_contact", "breached"), ("first_contact", "stopped")}
    other = walker.assign(walker.mql())
    breached = client.get(f"{API}/leads/", {"sla_status": "breached"}).json()["results"]
    assert [r["id"] for r in breached] == [breached_lead.pk]
    assert client.get(f"{API}/leads/", {"sla_status": "at_risk"}).json()["results"] == []
    assert other.pk not in [r["id"] for r in breached]


# --- calendars ---------------------------------------------------------------------------------------------

BERLIN = {"name": "Berlin", "time_zone": "Europe/Berlin",
          "working_hours": [{"weekday": d, "start": "09:00", "end": "12:00"} for d in range(5)]
          + [{"weekday": d, "start": "13:00", "end": "17:00"} for d in range(5)],
          "holidays": [{"date": "2026-12-25", "name": "Christmas"}]}


def test_calendars_are_created_by_admins_and_explain_due_times(api, org):
    assert api.as_user(org.manager_east).post(f"{API}/calendars/", BERLIN, format="json").status_code == 403
    client = api.as_user(org.admin)
    created = client.post(f"{API}/calendars/", BERLIN, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["hours"] == "Mon-Fri 09:00-12:00, 13:00-17:00" and body["holidays"] == [
        {"date": "2026-12-25", "name": "Christmas"}]
    explained = client.get(f"{API}/calendars/{body['id']}/explain/",
                           {"start": "2026-12-24T15:00:00Z", "duration": "PT2H"}).json()
    assert explained["due"] == "2026-12-28T09:00:00Z"  # 16:00 Thu: 1 h; Christmas, weekend; Mon 09-10 Berlin
    assert explained["explanation"]["holidays_skipped"] == [{"date": "2026-12-25", "name": "Christmas"}]
    listed = client.get(f"{API}/calendars/").json()["results"]
    assert {c["name"] for c in listed} == {"24x7", "Berlin"}


@pytest.mark.parametrize(("change", "field"), [
    ({"working_hours": [{"weekday": 0, "start": "09:00", "end": "12:00"},
                        {"weekday": 0, "start": "11:30", "end": "14:00"}]}, "working_hours[1]"),
    ({"working_hours": [{"weekday": 2, "start": "17:00", "end": "09:00"}]}, "working_hours[0].end"),
    ({"time_zone": "Europe/Atlantis"}, "time_zone"),
    ({"working_hours": [{"weekday": 9, "start": "09:00", "end": "12:00"}]}, "working_hours"),
    ({"holidays": [{"date": "2026-12-25"}, {"date": "2026-12-25"}]}, "holidays[1].date"),
])
def test_bad_calendars_answer_422_naming_the_field(api, org, change, field):
    response = api.as_user(org.admin).post(f"{API}/calendars/", {**BERLIN, **change}, format="json")
    assert field in fields_of(response)


def test_ics_import_adds_holidays_and_bumps_the_version(api, org):
    client = api.as_user(org.admin)
    calendar = client.post(f"{API}/calendars/", BERLIN, format="json").json()
    ics = ("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261225\r\nSUMMARY:Xmas\r\nEND:VEVENT\r\n"
           "BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261226\r\nSUMMARY:Boxing Day\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    result = client.post(f"{API}/calendars/{calendar['id']}/import-ics/", {"ics": ics}, format="json").json()
    assert (result["created"], result["already_present"]) == (1, 1)
    assert result["calendar"]["version"] == calendar["version"] + 1
    assert [h["date"] for h in result["calendar"]["holidays"]] == ["2026-12-25", "2026-12-26"]
    bad = client.post(f"{API}/calendars/{calendar['id']}/import-ics/", {"ics": "nope"}, format="json")
    assert "ics" in fields_of(bad)


# --- policies --------------------------------------------------------------------------------------------------


def test_policies_are_seeded_with_the_domain_defaults(api, org):
    rows = api.as_user(org.rep_east).get(f"{API}/sla-policies/", {"active": "true"}).json()["results"]
    got = {r["kind"]: (r["target"], r["high_intent_target"], r["required_attempts"], r["warn_fraction"])
           for r in rows}
    assert got == {"first_contact": ("PT24H", "PT4H", None, 0.75), "touch_cadence": ("P14D", None, 6, 0.75),
                   "disposition": ("P14D", None, None, 0.75), "sal_review": ("PT24H", None, None, 0.75),
                   "routing": ("PT5M", None, None, 0.75)}


def test_editing_a_policy_writes_a_new_version(api, org):
    client = api.as_user(org.admin)
    v1 = SlaPolicy.objects.get(kind="first_contact", active=True)
    response = client.patch(f"{API}/sla-policies/{v1.pk}/", {"target": "PT8H", "warn_fraction": 0.5}, format="json")
    assert response.status_code == 201, response.content
    v2 = response.json()
    assert (v2["version"], v2["target"], v2["high_intent_target"], v2["active"]) == (2, "PT8H", "PT4H", True)
    assert client.get(f"{API}/sla-policies/{v1.pk}/").json()["active"] is False
    off = client.patch(f"{API}/sla-policies/{v2['id']}/", {"active": False}, format="json")
    assert off.status_code == 200 and off.json()["version"] == 2 and off.json()["active"] is False
    assert api.as_user(org.manager_east).patch(f"{API}/sla-policies/{v1.pk}/", {"target": "PT1H"},
                                               format="json").status_code == 403


@pytest.mark.parametrize(("body", "field"), [
    ({"kind": "first_contact", "target": "-PT4H"}, "target"),
    ({"kind": "first_contact", "target": "PT0S"}, "target"),
    ({"kind": "first_contact", "target": "four hours"}, "target"),
    ({"kind": "first_contact", "target": "PT4H", "warn_fraction": 1}, "warn_fraction"),
    ({"kind": "first_contact", "target": "PT4H", "warn_fraction": 0}, "warn_fraction"),
    ({"kind": "first_contact", "target": "PT4H", "high_intent_target": "PT8H"}, "high_intent_target"),
    ({"kind": "routing", "target": "PT5M", "required_attempts": 3}, "required_attempts"),
    ({"kind": "touch_cadence", "target": "P14D"}, "required_attempts"),
    ({"kind": "coffee", "target": "PT5M"}, "kind"),
    ({"kind": "routing", "target": "PT5M", "stage": "x"}, "stage"),
])
def test_bad_policies_answer_422_naming_the_field(api, org, body, field):
    assert field in fields_of(api.as_user(org.admin).post(f"{API}/sla-policies/", body, format="json"))


def test_recalculate_moves_running_clocks_on_purpose(api, org, walker, clock):
    lead = walker.assign(walker.mql())
    client = api.as_user(org.admin)
    v1 = SlaPolicy.objects.get(kind="first_contact", active=True)
    v2 = client.patch(f"{API}/sla-policies/{v1.pk}/", {"target": "PT12H"}, format="json").json()
    assert clock_of(lead, "first_contact").due_at == T0 + 24 * H
    assert client.post(f"{API}/sla-policies/{v2['id']}/recalculate/").json() == {"recalculated": 1}
    assert clock_of(lead, "first_contact").due_at == T0 + 12 * H


# --- notifications, escalations, notices, obligations ---------------------------------------------------------


def test_the_bell(api, org, breached_lead):
    client = api.as_user(org.manager_east)
    assert client.get(f"{API}/notifications/unread-count/").json() == {"unread": 2}  # two breaches
    rows = client.get(f"{API}/notifications/", {"unread": "true"}).json()["results"]
    assert {r["kind"] for r in rows} == {"sla.breached"} and all(r["read"] is False for r in rows)
    marked = client.post(f"{API}/notifications/mark-read/", {"ids": [rows[0]["id"]]}, format="json").json()
    assert marked == {"updated": 1, "unread": 1}
    assert client.post(f"{API}/notifications/mark-read/", {}, format="json").json() == {"updated": 1, "unread": 0}
    assert api.as_user(org.rep_west).get(f"{API}/notifications/").json()["results"] == []
    assert api.as_user(org.lead_).post(f"{API}/notifications/mark-read/", {}, format="json").status_code == 200


def test_escalation_filters(api, org):
    monday = dt.date(2026, 11, 9)
    common = {"side": "sales", "week": monday, "target": 0.9, "opened_at": T0, "evidence": {"weeks": []}}
    Escalation.objects.create(team=org.east, level=2, **common)
    Escalation.objects.create(team=org.west, level=1, closed_at=T0, close_reason="recovered", **common)
    client = api.as_user(org.lead_)
    assert {r["team"] for r in client.get(f"{API}/sla/escalations/").json()["results"]} == {org.east.pk, org.west.pk}
    assert [r["level"] for r in client.get(f"{API}/sla/escalations/", {"open": "true"}).json()["results"]] == [2]
    assert [r["team"] for r in client.get(f"{API}/sla/escalations/", {"level": 1}).json()["results"]] == [org.west.pk]
    assert [r["team"] for r in api.as_user(org.rep_west).get(f"{API}/sla/escalations/").json()["results"]] == [
        org.west.pk]
    assert fields_of(client.get(f"{API}/sla/escalations/", {"level": 7}))["level"]
    assert fields_of(client.get(f"{API}/sla/escalations/", {"open": "maybe"}))["open"]
    assert fields_of(client.get(f"{API}/sla/escalations/", {"team": "east"}))["team"]


def test_capacity_notices_flag_short_notice(api, org, clock):
    manager = api.as_user(org.manager_east)
    short = manager.post(f"{API}/sla/capacity-notices/", {"team": org.east.pk, "effective_on": "2026-12-01",
                                                           "new_capacity": 40}, format="json")
    assert short.status_code == 201 and short.json()["short_notice"] is True and short.json()["lead_time_days"] == 15
    fine = manager.post(f"{API}/sla/capacity-notices/", {"team": org.east.pk, "effective_on": "2027-01-04"},
                        format="json").json()
    assert fine["short_notice"] is False
    assert manager.post(f"{API}/sla/capacity-notices/", {"team": org.west.pk, "effective_on": "2027-01-04"},
                        format="json").status_code == 403
    assert api.as_user(org.rep_east).post(f"{API}/sla/capacity-notices/", {"team": org.east.pk,
                                          "effective_on": "2027-01-04"}, format="json").status_code == 403
    rows = api.as_user(org.lead_).get(f"{API}/sla/obligations/", {"month": "2026-11", "team": org.east.pk}).json()
    [notices] = [m for m in rows[0]["sales"] if m["name"] == "capacity_notice"]
    assert (notices["status"], notices["denominator"], len(notices["detail"]["flagged"])) == ("flagged", 2, 1)
    assert fields_of(api.as_user(org.lead_).get(f"{API}/sla/obligations/", {"month": "November"}))["month"]
    clock.shift(D)
