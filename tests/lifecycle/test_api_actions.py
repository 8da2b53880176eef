"""The lead actions over the API, and /touches/, /events/ (/opportunities/: test_api_opportunities.py)."""

import datetime as dt

import pytest

from leadops import services as org_services
from lifecycle import services
from lifecycle.models import ClientLead, Lead, MarketingEvent, Opportunity, StageTransition, Touch
from lifecycle.services import Actor
from tests.conftest import T0
from tests.lifecycle.factories import BANT, CampaignFactory, LeadFactory

pytestmark = pytest.mark.django_db


def act(client, lead, name, body=None):
    return client.post(f"/api/v1/leads/{lead.pk}/{name}/", body or {}, format="json")


def error(response, status):
    assert response.status_code == status, response.json()
    return response.json()["error"]


def stage_of(lead):
    return Lead.objects.get(pk=lead.pk).stage


# --- happy paths, one per action ------------------------------------------------------------------


def test_promote_moves_a_lead_to_mql_for_marketing_ops(api, org, clock):
    lead = LeadFactory()
    response = act(api.as_user(org.mops), lead, "promote",
                   {"to": "mql", "note": "event list", "expected_stage": "lead"})
    assert response.status_code == 200, response.json()
    assert response.json()["stage"] == "mql" and response.json()["became_mql_at"] == "2026-11-16T09:00:00Z"
    transition = StageTransition.objects.filter(lead=lead).latest("seq")
    assert (transition.actor, transition.note, transition.trigger) == (org.mops, "event list", "promote")


def test_accept_makes_an_mql_a_sal_with_the_chosen_owner(api, org):
    lead = LeadFactory(stage="mql", team=org.east)
    response = act(api.as_user(org.manager_east), lead, "accept", {"owner": org.rep_east2.pk})
    assert response.status_code == 200, response.json()
    assert response.json()["stage"] == "sal" and response.json()["owner"]["id"] == org.rep_east2.pk


def test_reject_sends_the_mql_where_its_reason_says(api, org):
    lead = LeadFactory(stage="mql", team=org.east)
    response = act(api.as_user(org.manager_east), lead, "reject", {"reason": "wrong_title", "note": "intern"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["stage"] == "nurture"
    assert body["disposition"] == {"code": "wrong_title", "label": "Wrong title / persona", "kind": "rejection"}
    other = LeadFactory(stage="mql", team=org.east)
    assert act(api.as_user(org.manager_east), other, "reject", {"reason": "duplicate"}).json()["stage"] == \
        "disqualified"


def test_qualify_records_bant_and_makes_the_lead_sql(api, org):
    lead = LeadFactory(stage="sal", owner=org.rep_east)
    response = act(api.as_user(org.rep_east), lead, "qualify", BANT)
    assert response.status_code == 200, response.json()
    assert response.json()["stage"] == "sql"
    assert {k: response.json()[k] for k in BANT} == BANT


def test_disqualify_and_recycle_by_the_owner(api, org):
    first, second = LeadFactory(stage="sal", owner=org.rep_east), LeadFactory(stage="sql", owner=org.rep_east)
    client = api.as_user(org.rep_east)
    response = act(client, first, "disqualify", {"reason": "no_need", "note": "has a tool"})
    assert response.status_code == 200 and response.json()["stage"] == "disqualified"
    response = act(client, second, "recycle", {"reason": "bad_timing"})
    assert response.status_code == 200 and response.json()["stage"] == "nurture"
    assert response.json()["disposition"]["code"] == "bad_timing"


def test_disqualify_unresponsive_needs_the_cadence_or_a_managers_override(api, org):
    lead = LeadFactory(stage="sal", owner=org.rep_east)
    err = error(act(api.as_user(org.rep_east), lead, "disqualify", {"reason": "unresponsive"}), 422)
    assert err["code"] == "cadence_not_met" and "reason" in err["details"]["fields"]
    err = error(act(api.as_user(org.rep_east), lead, "disqualify", {"reason": "unresponsive", "override": True}), 422)
    assert err["code"] == "cadence_not_met"
    response = act(api.as_user(org.manager_east), lead, "disqualify", {"reason": "unresponsive", "override": True})
    assert response.status_code == 200 and response.json()["stage"] == "disqualified"
    assert StageTransition.objects.filter(lead=lead).latest("seq").override


def test_convert_creates_the_opportunity_and_answers_its_id(api, org):
    lead = LeadFactory(stage="sql", owner=org.rep_east)
    response = act(api.as_user(org.rep_east), lead, "convert",
                   {"amount": "25000.50", "currency": "eur", "close_date": "2027-02-28", "name": "Big deal"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["stage"] == "opportunity"
    opportunity = Opportunity.objects.get(lead=lead)
    assert body["opportunity"]["id"] == opportunity.pk
    assert body["opportunity"]["amount"] == "25000.50" and body["opportunity"]["currency"] == "EUR"
    assert opportunity.name == "Big deal" and opportunity.owner == org.rep_east


def test_an_integrator_converts_too(api, org):
    lead = LeadFactory(stage="sql", owner=org.rep_east)
    ClientLead.objects.create(client=org.integrator, lead=lead)  # an API client acts on its own leads
    response = act(api.as_user(org.integrator), lead, "convert", {"amount": 100, "close_date": "2027-01-01"})
    assert response.status_code == 200 and response.json()["opportunity"]["currency"] == "USD"


def test_assign_hands_the_lead_to_another_rep_of_the_team(api, org):
    lead = LeadFactory(stage="sal", owner=org.rep_east)
    response = act(api.as_user(org.manager_east), lead, "assign", {"owner": org.rep_east2.pk, "note": "leave"})
    assert response.status_code == 200, response.json()
    assert response.json()["owner"]["id"] == org.rep_east2.pk


# --- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name,body,field", [
    ("promote", {}, "to"),
    ("promote", {"to": "sql"}, "to"),
    ("reject", {}, "reason"),
    ("reject", {"reason": "no_such_reason"}, "reason"),
    ("reject", {"reason": "bad_timing"}, "reason"),  # a recycle reason, not a rejection reason
    ("accept", {"owner": 999999}, "owner"),
    ("accept", {"owner": "x"}, "owner"),
    ("accept", {"expected_stage": "won"}, "expected_stage"),
    ("accept", {"stage": "sal"}, "stage"),
])
def test_bad_action_input_on_an_mql_is_422_naming_the_field(api, org, name, body, field):
    lead = LeadFactory(stage="mql", team=org.east)
    err = error(act(api.as_user(org.manager_east if name != "promote" else org.mops), lead, name, body), 422)
    assert field in err["details"]["fields"]
    assert stage_of(lead) == "mql"


def test_accepting_for_a_rep_of_another_team_is_422(api, org):
    lead = LeadFactory(stage="mql", team=org.east)
    err = error(act(api.as_user(org.manager_east), lead, "accept", {"owner": org.rep_west.pk}), 422)
    assert err["code"] == "invalid_owner" and "owner" in err["details"]["fields"]


def test_qualify_without_full_bant_is_422_naming_each_missing_field(api, org):
    lead = LeadFactory(stage="sal", owner=org.rep_east)
    err = error(act(api.as_user(org.rep_east), lead, "qualify", {"budget": "10k", "authority": "   "}), 422)
    assert set(err["details"]["fields"]) == {"authority", "need", "timeline"}
    assert stage_of(lead) == "sal"


@pytest.mark.parametrize("body,field", [
    ({"amount": "-1", "close_date": "2027-01-01"}, "amount"),
    ({"amount": "lots", "close_date": "2027-01-01"}, "amount"),
    ({"amount": "NaN", "close_date": "2027-01-01"}, "amount"),
    ({"amount": True, "close_date": "2027-01-01"}, "amount"),
    ({"amount": "1.234", "close_date": "2027-01-01"}, "amount"),
    ({"amount": "100"}, "close_date"),
    ({"amount": "100", "close_date": "31/01/2027"}, "close_date"),
    ({"amount": "100", "close_date": "2027-01-01", "currency": "euro"}, "currency"),
])
def test_convert_refuses_bad_amounts_and_dates_with_422(api, org, body, field):
    lead = LeadFactory(stage="sql", owner=org.rep_east)
    err = error(act(api.as_user(org.rep_east), lead, "convert", body), 422)
    assert field in err["details"]["fields"]
    assert stage_of(lead) == "sql" and not Opportunity.objects.exists()


def test_an_illegal_transition_is_409_naming_the_allowed_moves(api, org):
    lead = LeadFactory(stage="mql", team=org.east)
    err = error(act(api.as_user(org.manager_east), lead, "qualify", BANT), 409)
    assert err["code"] == "illegal_transition"
    assert set(err["details"]["allowed"]) == {"sal", "nurture", "disqualified"}
    sal = LeadFactory(stage="sal", owner=org.rep_east)
    err = error(act(api.as_user(org.manager_east), sal, "reject", {"reason": "duplicate"}), 409)
    assert err["code"] == "illegal_transition"


def test_a_stale_expected_stage_is_409_and_changes_nothing(api, org):
    lead = LeadFactory(stage="sal", owner=org.rep_east)
    err = error(act(api.as_user(org.manager_east), lead, "recycle",
                    {"reason": "bad_timing", "expected_stage": "mql"}), 409)
    assert err["code"] == "stale" and err["details"]["stage"] == "sal"
    err = error(act(api.as_user(org.manager_east), lead, "assign",
                    {"owner": org.rep_east2.pk, "expected_stage": "mql"}), 409)
    assert err["code"] == "stale"
    lead.refresh_from_db()
    assert lead.stage == "sal" and lead.owner == org.rep_east


@pytest.mark.parametrize("who,name,body", [
    ("rep_east", "accept", {}),               # accepting is a manager's move
    ("mops", "reject", {"reason": "duplicate"}),
    ("rep_east", "assign", {"owner": "rep_east2"}),
    ("integrator", "accept", {}),
])
def test_the_wrong_role_for_a_move_is_403(api, org, who, name, body):
    lead = LeadFactory(stage="mql", owner=org.rep_east)
    ClientLead.objects.create(client=org.integrator, lead=lead)  # the API client sees it (its own lead)
    body = {k: getattr(org, v).pk if k == "owner" else v for k, v in body.items()}
    err = error(act(api.as_user(getattr(org, who)), lead, name, body), 403)
    assert err["code"] == "not_allowed"
    assert stage_of(lead) == "mql"


def test_another_reps_lead_cannot_be_qualified_even_when_visible_to_a_manager_of_another_team(api, org):
    lead = LeadFactory(stage="sal", owner=org.rep_east)
    assert act(api.as_user(org.rep_east2), lead, "qualify", BANT).status_code == 404
    assert act(api.as_user(org.manager_west), lead, "qualify", BANT).status_code == 404
    assert act(api.as_user(org.mops), lead, "qualify", BANT).status_code == 403


# --- touches --------------------------------------------------------------------------------------

TOUCHES = "/api/v1/touches/"


def test_a_rep_logs_a_touch_on_own_lead_and_it_counts_as_an_attempt(api, org, clock):
    lead = LeadFactory(stage="sal", owner=org.rep_east)
    response = api.as_user(org.rep_east).post(TOUCHES, {
        "lead": lead.pk, "channel": "call", "outcome": "voicemail", "occurred_at": "2026-11-16T08:59:30Z",
        "note": "left a message"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["rep"] == org.rep_east.pk and response.json()["counts_as_attempt"] is True
    assert Lead.objects.get(pk=lead.pk).touch_attempts == 0  # before the cycle began: kept, not counted
    response = api.as_user(org.rep_east).post(TOUCHES, {
        "lead": lead.pk, "channel": "note", "outcome": "logged", "occurred_at": "2026-11-16T09:00:00Z"},
        format="json")
    assert response.json()["counts_as_attempt"] is False


@pytest.mark.parametrize("body,field", [
    ({"occurred_at": "2026-11-16T10:00:00Z"}, "occurred_at"),  # an hour in the future
    ({"channel": "pigeon"}, "channel"),
    ({"outcome": "maybe"}, "outcome"),
    ({"occurred_at": "tomorrow"}, "occurred_at"),
    ({"lead": 999999}, "lead"),
    ({"counts_as_attempt": False}, "counts_as_attempt"),
])
def test_a_bad_touch_is_422_naming_the_field(api, org, clock, body, field):
    lead = LeadFactory(stage="sal", owner=org.rep_east)
    payload = {"lead": lead.pk, "channel": "call", "outcome": "attempted", "occurred_at": "2026-11-16T08:00:00Z",
               **body}
    err = error(api.as_user(org.rep_east).post(TOUCHES, payload, format="json"), 422)
    assert field in err["details"]["fields"]
    assert not Touch.objects.exists()


def test_who_may_name_the_rep_of_a_touch(api, org, clock):
    lead = LeadFactory(stage="sal", owner=org.rep_east)
    ClientLead.objects.create(client=org.integrator, lead=lead)
    body = {"lead": lead.pk, "channel": "email", "outcome": "replied", "occurred_at": "2026-11-16T08:00:00Z"}
    assert error(api.as_user(org.integrator).post(TOUCHES, body, format="json"), 422)["details"]["fields"]["rep"]
    response = api.as_user(org.integrator).post(TOUCHES, {**body, "rep": org.rep_east.pk}, format="json")
    assert response.status_code == 201 and response.json()["rep"] == org.rep_east.pk
    assert error(api.as_user(org.rep_east).post(TOUCHES, {**body, "rep": org.rep_east2.pk}, format="json"),
                 403)["code"] == "not_allowed"
    err = error(api.as_user(org.manager_east).post(TOUCHES, {**body, "rep": org.rep_west.pk}, format="json"), 422)
    assert "rep" in err["details"]["fields"]
    assert api.as_user(org.manager_east).post(TOUCHES, {**body, "rep": org.rep_east.pk},
                                              format="json").status_code == 201
    # a lead out of view is not a lead at all for the caller
    assert "lead" in error(api.as_user(org.rep_west).post(TOUCHES, body, format="json"), 422)["details"]["fields"]
    assert error(api.as_user(org.mops).post(TOUCHES, body, format="json"), 403)["code"] == "forbidden"


def test_touches_need_the_touches_write_scope(api, org, clock):
    lead = LeadFactory(stage="sal", owner=org.rep_east)
    _, raw = org_services.token_issue(user=org.integrator, scopes=["leads:read", "leads:write"])
    response = api.with_token(raw).post(TOUCHES, {"lead": lead.pk, "rep": org.rep_east.pk, "channel": "call",
                                                  "outcome": "attempted", "occurred_at": "2026-11-16T08:00:00Z"},
                                        format="json")
    assert error(response, 403)["details"]["scope"] == "touches:write"


def test_touch_list_shows_visible_leads_only_and_filters(api, org, clock):
    mine = LeadFactory(stage="sal", owner=org.rep_east)
    theirs = LeadFactory(stage="sal", owner=org.rep_west)
    for lead, rep in ((mine, org.rep_east), (theirs, org.rep_west)):
        for hour in (1, 2):
            clock.shift(dt.timedelta(hours=1))
            services.touch_log(lead_id=lead.pk, rep=rep, channel="call", outcome="attempted",
                               occurred_at=T0 + dt.timedelta(hours=hour))

    def leads_of(client, query=""):
        response = client.get(f"{TOUCHES}?{query}")
        assert response.status_code == 200, response.json()
        return [(row["lead"], row["occurred_at"][11:13]) for row in response.json()["results"]]

    assert leads_of(api.as_user(org.rep_east)) == [(mine.pk, "11"), (mine.pk, "10")]
    admin = api.as_user(org.admin)
    assert len(leads_of(admin)) == 4
    assert {lead for lead, _ in leads_of(admin, f"lead={theirs.pk}")} == {theirs.pk}
    assert {lead for lead, _ in leads_of(admin, f"rep={org.rep_west.pk}")} == {theirs.pk}
    assert leads_of(admin, "occurred_after=2026-11-16T11:00:00Z&ordering=occurred_at") == [
        (mine.pk, "11"), (theirs.pk, "11")]
    assert len(leads_of(admin, "occurred_before=2026-11-16T11:00:00Z")) == 2
    assert "occurred_after" in error(admin.get(f"{TOUCHES}?occurred_after=x"), 422)["details"]["fields"]
    assert "lead" in error(admin.get(f"{TOUCHES}?lead=x"), 422)["details"]["fields"]


# --- events ---------------------------------------------------------------------------------------

EVENTS = "/api/v1/events/"


def test_an_event_for_an_unknown_email_creates_the_lead_and_a_repeat_answers_the_stored_event(api, org, clock):
    campaign = CampaignFactory(channel="paid_search")
    body = {"email": "new.person@gmail.com", "type": "pricing_page_view", "occurred_at": "2026-11-16T08:00:00Z",
            "campaign": campaign.pk, "source": "hubspot", "external_id": "hs-1", "properties": {"page": "/pricing"}}
    client = api.as_user(org.integrator)
    first = client.post(EVENTS, body, format="json")
    assert first.status_code == 201, first.json()
    lead = Lead.objects.get(email="new.person@gmail.com")
    assert first.json()["lead"] == lead.pk and lead.stage == "subscriber"
    assert lead.latest_campaign == campaign and lead.source == "paid_search"
    again = client.post(EVENTS, {**body, "email": "someone.else@gmail.com"}, format="json")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert MarketingEvent.objects.count() == 1 and not Lead.objects.filter(email__startswith="someone").exists()


def test_an_event_for_a_known_lead_by_id_or_email(api, org, clock):
    lead = LeadFactory()
    client = api.as_user(org.mops)
    by_id = client.post(EVENTS, {"lead": lead.pk, "type": "email_open", "occurred_at": "2026-11-16T08:00:00Z"},
                        format="json")
    by_email = client.post(EVENTS, {"email": lead.email.upper(), "type": "email_click",
                                    "occurred_at": "2026-11-16T08:01:00Z"}, format="json")
    assert by_id.status_code == by_email.status_code == 201
    assert by_id.json()["lead"] == by_email.json()["lead"] == lead.pk


@pytest.mark.parametrize("body,field", [
    ({"lead": 1, "email": "a@b.example"}, "lead"),
    ({}, "lead"),
    ({"email": "nope"}, "email"),
    ({"email": "a@b.example", "type": ""}, "type"),
    ({"email": "a@b.example", "type": "has space"}, "type"),
    ({"email": "a@b.example", "occurred_at": "2026-11-17T09:00:00Z"}, "occurred_at"),
    ({"email": "a@b.example", "properties": [1, 2]}, "properties"),
    ({"email": "a@b.example", "campaign": 999999}, "campaign"),
    ({"email": "a@b.example", "score": 5}, "score"),
])
def test_a_bad_event_is_422_naming_the_field_and_creates_nothing(api, org, clock, body, field):
    payload = {"type": "email_open", "occurred_at": "2026-11-16T08:00:00Z", **body}
    err = error(api.as_user(org.integrator).post(EVENTS, payload, format="json"), 422)
    assert field in err["details"]["fields"]
    assert not MarketingEvent.objects.exists() and not Lead.objects.exists()


def test_a_list_of_events_answers_one_result_per_item_in_order(api, org, clock):
    lead = LeadFactory()
    ClientLead.objects.create(client=org.integrator, lead=lead)
    items = [
        {"lead": lead.pk, "type": "webinar_attended", "occurred_at": "2026-11-16T08:00:00Z", "external_id": "w1",
         "source": "zoom"},
        {"email": "broken", "type": "email_open", "occurred_at": "2026-11-16T08:00:00Z"},
        {"email": "fresh@newco.example", "type": "content_download", "occurred_at": "2026-11-16T08:00:00Z"},
        {"lead": lead.pk, "type": "webinar_attended", "occurred_at": "2026-11-16T08:00:00Z", "external_id": "w1",
         "source": "zoom"},
    ]
    response = api.as_user(org.integrator).post(EVENTS, items, format="json")
    assert response.status_code == 200, response.json()
    results = response.json()
    assert [r["index"] for r in results] == [0, 1, 2, 3]
    assert [r["status"] for r in results] == ["created", "error", "created", "existing"]
    assert results[0]["id"] == results[3]["id"] and results[0]["lead"] == lead.pk
    assert results[1]["errors"]["code"] == "validation_error" and "email" in results[1]["errors"]["details"]["fields"]
    assert Lead.objects.filter(email="fresh@newco.example", pk=results[2]["lead"]).exists()
    assert MarketingEvent.objects.count() == 2


def test_an_empty_list_or_more_than_1000_events_is_422(api, org):
    client = api.as_user(org.integrator)
    assert client.post(EVENTS, [], format="json").status_code == 422
    item = {"email": "x@gmail.com", "type": "email_open", "occurred_at": "2026-01-01T00:00:00Z"}
    assert client.post(EVENTS, [item] * 1001, format="json").status_code == 422
    assert not Lead.objects.exists()


def test_events_need_a_marketing_role_and_the_events_write_scope(api, org):
    body = {"email": "x@gmail.com", "type": "email_open", "occurred_at": "2026-01-01T00:00:00Z"}
    assert error(api.as_user(org.rep_east).post(EVENTS, body, format="json"), 403)["code"] == "forbidden"
    _, raw = org_services.token_issue(user=org.integrator, scopes=["leads:write"])
    api.force_authenticate(user=None)
    assert error(api.with_token(raw).post(EVENTS, body, format="json"), 403)["details"]["scope"] == "events:write"
    assert api.as_user(org.integrator).get(EVENTS).status_code == 405


# --- the API and the service agree; what an accept costs ---------------------------------------


def test_an_action_through_the_api_is_the_same_as_through_the_service(api, org):
    """The API adds nothing to the transition: the history row is the service's."""
    lead = LeadFactory(stage="mql", team=org.east)
    act(api.as_user(org.manager_east), lead, "accept", {"owner": org.rep_east.pk})
    transition = StageTransition.objects.filter(lead=lead).latest("seq")
    assert (transition.from_stage, transition.to_stage, transition.actor_kind) == ("mql", "sal", "user")
    lead2 = LeadFactory(stage="mql", team=org.east)
    services.lead_accept(lead_id=lead2.pk, actor=Actor.of(org.manager_east), owner=org.rep_east)
    assert StageTransition.objects.filter(lead=lead2).latest("seq").trigger == transition.trigger


def test_an_accept_costs_the_same_few_queries_whatever_the_leads_history(api, org, clock,
                                                                          django_capture_on_commit_callbacks):
    """The move, its SLA reaction (two clocks started before the answer) and the answer with the score
    explanation: a fixed number of queries, however many events the lead has."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from leadops import clock as leadops_clock
    from sla.models import SlaClock

    client = api.as_user(org.manager_east)
    with django_capture_on_commit_callbacks(execute=True):  # warm the per-process caches (compiled versions)
        act(client, LeadFactory(stage="mql", team=org.east, owner=org.rep_east), "accept")
    counts = []
    for events in (0, 20):
        lead = LeadFactory(stage="mql", team=org.east, owner=org.rep_east)
        for i in range(events):
            services.event_record(lead=lead, type="email_open", occurred_at=leadops_clock.now(),
                                  external_id=f"{lead.pk}-{i}")
        with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
            response = act(client, lead, "accept")
        assert response.status_code == 200, response.json()
        assert {"touch_cadence", "disposition"} <= set(SlaClock.objects.filter(lead=lead, stopped_at=None)
                                                       .values_list("kind", flat=True))
        counts.append(len(queries.captured_queries))
    assert counts[0] == counts[1] <= 30, counts
