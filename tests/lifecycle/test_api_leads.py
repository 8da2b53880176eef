"""/api/v1/leads/: the list and its filters, ordering and cursor; create, read, patch; who sees what."""

import datetime as dt
from collections import Counter

import pytest

from leadops import clock as leadops_clock
from leadops import services as org_services
from lifecycle import services
from lifecycle.models import ClientLead, Lead, LeadExternalId
from lifecycle.services import Actor
from tests.conftest import T0
from tests.lifecycle.factories import CampaignFactory, LeadFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/leads/"


def ids(response):
    assert response.status_code == 200, response.json()
    return {row["id"] for row in response.json()["results"]}


@pytest.fixture
def book(org, clock):
    """Five leads an hour apart, with different stages, owners, sources, campaigns and scores.

    sub: subscriber, no source                     (T0)
    lead: lead, webinar campaign c1, score 10      (T0+1h)
    queue: MQL in East's unassigned queue, paid_search, score 70, high intent (T0+2h)
    sal: SAL owned by rep_east, score 85, first campaign c1 then c2 (T0+3h)
    west: SAL owned by rep_west, score 40          (T0+4h)
    """
    c1 = CampaignFactory(name="Webinar Q4", channel="webinar")
    c2 = CampaignFactory(name="Ads Q4", channel="paid_social")
    leads = {"sub": LeadFactory(stage="subscriber")}
    clock.shift(dt.timedelta(hours=1))
    leads["lead"] = LeadFactory(campaign=c1)
    clock.shift(dt.timedelta(hours=1))
    leads["queue"] = LeadFactory(stage="mql", team=org.east, source="paid_search", company_name="Globex Corp")
    clock.shift(dt.timedelta(hours=1))
    leads["sal"] = LeadFactory(stage="sal", owner=org.rep_east, campaign=c1, first_name="Ada", last_name="Lovelace")
    services.event_record(lead=leads["sal"], type="ad_click", occurred_at=T0 + dt.timedelta(hours=3), campaign=c2)
    clock.shift(dt.timedelta(hours=1))
    leads["west"] = LeadFactory(stage="sal", owner=org.rep_west)
    for name, score in {"lead": 10, "queue": 70, "sal": 85, "west": 40}.items():
        Lead.objects.filter(pk=leads[name].pk).update(score=score)  # what the scoring app will write
    Lead.objects.filter(pk=leads["queue"].pk).update(high_intent=True)
    clock.shift(dt.timedelta(hours=1))

    class Book(dict):
        pass

    book = Book({name: lead.pk for name, lead in leads.items()})
    book.c1, book.c2 = c1, c2
    return book


def pick(book, *names):
    return {book[name] for name in names}


# --- filters --------------------------------------------------------------------------------------

FILTERS = [
    ("stage=sal", ["sal", "west"]),
    ("stage=sal&stage=mql", ["sal", "west", "queue"]),
    ("stage=subscriber", ["sub"]),
    ("status=new", ["sub", "lead", "queue", "sal", "west"]),
    ("status=connected", []),
    ("owner={rep_east}", ["sal"]),
    ("team={east}", ["queue", "sal"]),
    ("source=paid_search", ["queue"]),
    ("source=webinar", ["lead", "sal"]),
    ("campaign={c1}", ["lead"]),  # the lead's campaign is its latest one
    ("campaign={c2}", ["sal"]),
    ("first_campaign={c1}", ["lead", "sal"]),
    ("high_intent=true", ["queue"]),
    ("high_intent=false", ["sub", "lead", "sal", "west"]),
    ("score_min=70", ["queue", "sal"]),
    ("score_max=40", ["sub", "lead", "west"]),
    ("score_min=40&score_max=70", ["queue", "west"]),
    ("created_after=2026-11-16T11:00:00Z", ["queue", "sal", "west"]),
    ("created_before=2026-11-16T11:00:00Z", ["sub", "lead"]),
    ("created_after=2026-11-16T11:00:00%2B01:00&created_before=2026-11-16T12:00:00Z", ["lead", "queue"]),
    ("became_mql_after=2026-11-16T12:00:00Z", ["sal", "west"]),
    ("became_mql_before=2026-11-16T12:00:00Z", ["queue"]),
    ("sla_status=at_risk", []),
    ("sla_status=breached", ["queue"]),  # unassigned for 3 h: its 5-minute routing clock is overdue
    ("q=lovelace", ["sal"]),
    ("q=ada+LOVE", ["sal"]),
    ("q=globex", ["queue"]),
    ("q=gmail.com", ["sub"]),
    ("q=ada+globex", []),
    ("q=%25", []),  # LIKE's wildcards are literal characters in a search
    ("q=_", []),
]


@pytest.mark.parametrize("query,expected", FILTERS)
def test_each_filter_narrows_the_list(api, org, book, query, expected):
    query = query.format(rep_east=org.rep_east.pk, east=org.east.pk, c1=book.c1.pk, c2=book.c2.pk)
    assert ids(api.as_user(org.admin).get(f"{URL}?{query}")) == pick(book, *expected)


BAD_FILTERS = [
    ("stage=won", "stage"),
    ("status=busy", "status"),
    ("owner=me", "owner"),
    ("team=1.5", "team"),
    ("source=tv", "source"),
    ("campaign=abc", "campaign"),
    ("high_intent=maybe", "high_intent"),
    ("score_min=high", "score_min"),
    ("score_max=9.5", "score_max"),
    ("created_after=yesterday", "created_after"),
    ("created_before=2026-13-01", "created_before"),
    ("became_mql_after=soon", "became_mql_after"),
    ("became_mql_before=x", "became_mql_before"),
    ("sla_status=late", "sla_status"),
    ("q=" + "x" * 201, "q"),
    ("ordering=email", "ordering"),
]


@pytest.mark.parametrize("query,field", BAD_FILTERS)
def test_a_bad_filter_value_is_422_naming_the_parameter(api, org, query, field):
    response = api.as_user(org.admin).get(f"{URL}?{query}")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"
    assert field in response.json()["error"]["details"]["fields"]


# --- ordering and the cursor ----------------------------------------------------------------------


def walk_pages(client, url):
    seen, pages = [], []
    while url:
        body = client.get(url).json()
        pages.append(body)
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    return seen, pages


def test_the_default_order_is_newest_first_and_the_cursor_walks_every_lead_once(api, org, book):
    client = api.as_user(org.admin)
    seen, pages = walk_pages(client, f"{URL}?page_size=2")
    assert seen == [book[n] for n in ("west", "sal", "queue", "lead", "sub")]
    assert len(pages) == 3 and pages[0]["previous"] is None
    back = client.get(pages[-1]["previous"]).json()
    assert [row["id"] for row in back["results"]] == [row["id"] for row in pages[1]["results"]]


@pytest.mark.parametrize("ordering,expected", [
    ("score", ["sub", "lead", "west", "queue", "sal"]),
    ("-score", ["sal", "queue", "west", "lead", "sub"]),
    ("created_at", ["sub", "lead", "queue", "sal", "west"]),
    ("became_mql_at", ["queue", "sal", "west", "lead", "sub"]),  # never MQL: last
    ("-became_mql_at", ["west", "sal", "queue", "lead", "sub"]),
])
def test_ordering_on_the_documented_fields_pages_in_that_order(api, org, book, ordering, expected):
    seen, _ = walk_pages(api.as_user(org.admin), f"{URL}?ordering={ordering}&page_size=2")
    if ordering.endswith("became_mql_at"):  # leads never MQL tie on NULL and follow by id
        assert seen[:3] == [book[n] for n in expected[:3]] and set(seen[3:]) == pick(book, "lead", "sub")
    else:
        assert seen == [book[n] for n in expected]


def test_a_page_of_leads_costs_a_fixed_number_of_queries(api, org, book, django_assert_max_num_queries):
    client = api.as_user(org.manager_east)
    with django_assert_max_num_queries(4):  # managed teams, the page, the caller's external ids
        response = client.get(f"{URL}?page_size=500")
    assert len(response.json()["results"]) == 2


# --- who sees what --------------------------------------------------------------------------------


def test_a_rep_sees_own_leads_and_the_unassigned_queue_of_their_team(api, org, book):
    assert ids(api.as_user(org.rep_east).get(URL)) == pick(book, "queue", "sal")
    assert ids(api.as_user(org.rep_east2).get(URL)) == pick(book, "queue")
    assert ids(api.as_user(org.rep_west).get(URL)) == pick(book, "west")


def test_a_manager_sees_their_teams_leads(api, org, book):
    assert ids(api.as_user(org.manager_east).get(URL)) == pick(book, "queue", "sal")
    assert ids(api.as_user(org.manager_west).get(URL)) == pick(book, "west")


@pytest.mark.parametrize("who", ["mops", "lead_", "admin"])
def test_marketing_ops_leadership_and_admins_see_every_lead(api, org, book, who):
    assert ids(api.as_user(getattr(org, who)).get(URL)) == set(book.values())


def test_an_api_client_sees_only_the_leads_it_is_linked_to(api, org, book):
    """docs/api-integrators.md, "Which leads a client sees" (the integration tests cover how links are made)."""
    ClientLead.objects.create(client=org.integrator, lead_id=book["sal"])
    assert ids(api.as_user(org.integrator).get(URL)) == {book["sal"]}


def test_a_lead_out_of_view_is_404_for_reading_writing_and_acting(api, org, book):
    client = api.as_user(org.rep_west)
    url = f"{URL}{book['sal']}/"
    assert client.get(url).status_code == 404
    assert client.get(f"{url}timeline/").status_code == 404
    assert client.patch(url, {"title": "x"}, format="json").status_code == 404
    assert client.post(f"{url}recycle/", {"reason": "bad_timing"}, format="json").status_code == 404
    assert api.as_user(org.rep_west).get(f"{URL}999999/").status_code == 404
    assert api.as_user(org.rep_west).get(f"{URL}abc/").status_code == 404


def test_leadership_reads_but_cannot_write(api, org, book):
    client = api.as_user(org.lead_)
    assert client.get(f"{URL}{book['sal']}/").status_code == 200
    for response in [
        client.post(URL, {"email": "x@example.com"}, format="json"),
        client.patch(f"{URL}{book['sal']}/", {"title": "CEO"}, format="json"),
        client.post(f"{URL}{book['queue']}/accept/", {}, format="json"),
    ]:
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"


def test_tokens_need_leads_read_to_read_and_leads_write_to_write(api, org, book):
    _, reader = org_services.token_issue(user=org.integrator, scopes=["leads:read"])
    _, events_only = org_services.token_issue(user=org.integrator, scopes=["events:write"])
    assert api.with_token(reader).get(URL).status_code == 200
    refused = api.with_token(reader).post(URL, {"email": "new@example.com"}, format="json")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "missing_scope"
    assert refused.json()["error"]["details"]["scope"] == "leads:write"
    action = api.with_token(reader).post(f"{URL}{book['queue']}/promote/", {"to": "lead"}, format="json")
    assert action.status_code == 403 and action.json()["error"]["details"]["scope"] == "leads:write"
    no_read = api.with_token(events_only).get(URL)
    assert no_read.status_code == 403 and no_read.json()["error"]["details"]["scope"] == "leads:read"
    assert not Lead.objects.filter(email="new@example.com").exists()


def test_no_credentials_is_401(api, book):
    assert api.get(URL).status_code == 401


# --- create ---------------------------------------------------------------------------------------


def test_create_answers_201_with_the_detail_and_keeps_the_callers_external_id(api, org, clock):
    campaign = CampaignFactory(channel="event")
    body = {"email": " Grace@Navy.Example ", "first_name": "Grace", "last_name": "Hopper", "title": "Director",
            "company_name": "Navy", "country": "us", "employee_count": 250, "campaign": campaign.pk,
            "external_id": "crm-1"}
    response = api.as_user(org.integrator).post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    lead = response.json()
    assert lead["email"] == "Grace@navy.example"
    assert lead["stage"] == "lead" and lead["became_lead_at"] == "2026-11-16T09:00:00Z"
    assert lead["country"] == "US" and lead["seniority"] == "director"
    assert lead["campaign"] == lead["first_campaign"] == campaign.pk and lead["source"] == "event"
    assert lead["external_id"] == "crm-1"
    assert lead["account"]["domain"] == "navy.example"
    # the external id is the caller's own: another client sees none
    assert api.as_user(org.admin).get(f"{URL}{lead['id']}/").json()["external_id"] is None
    assert LeadExternalId.objects.get(lead_id=lead["id"]).client == org.integrator


def test_a_subscriber_is_created_when_nothing_is_known(api, org):
    response = api.as_user(org.mops).post(URL, {"email": "someone@gmail.com"}, format="json")
    assert response.status_code == 201
    assert response.json()["stage"] == "subscriber" and response.json()["account"] is None


def test_a_duplicate_email_is_409_whatever_its_case(api, org):
    client = api.as_user(org.mops)
    assert client.post(URL, {"email": "dup@example.com"}, format="json").status_code == 201
    response = client.post(URL, {"email": "DUP@Example.com"}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "duplicate"
    assert "email" in response.json()["error"]["details"]["fields"]


@pytest.mark.parametrize("body,field", [
    ({"email": "not-an-email"}, "email"),
    ({"email": ""}, "email"),
    ({}, "email"),
    ({"email": "a@b.example", "stage": "sql"}, "stage"),
    ({"email": "a@b.example", "owner": 1}, "owner"),
    ({"email": "a@b.example", "score": 99}, "score"),
    ({"email": "a@b.example", "lead_type": "friend"}, "lead_type"),
    ({"email": "a@b.example", "employee_count": -5}, "employee_count"),
    ({"email": "a@b.example", "country": "USA"}, "country"),
    ({"email": "a@b.example", "campaign": 999999}, "campaign"),
])
def test_invalid_create_is_422_naming_the_field_and_creates_nothing(api, org, body, field):
    response = api.as_user(org.mops).post(URL, body, format="json")
    assert response.status_code == 422
    assert field in response.json()["error"]["details"]["fields"]
    assert not Lead.objects.exists()


def test_a_body_that_is_not_an_object_is_422_and_bad_json_is_400(api, org):
    client = api.as_user(org.mops)
    assert client.post(URL, ["a@b.example"], format="json").status_code == 422
    assert client.generic("POST", URL, "{oops", content_type="application/json").status_code == 400


# --- read -----------------------------------------------------------------------------------------


def test_the_detail_shows_owner_team_account_scores_stage_times_and_disposition(api, org, clock):
    lead = LeadFactory(stage="sal", owner=org.rep_east, title="VP Sales")
    clock.shift(dt.timedelta(hours=2))
    services.touch_log(lead_id=lead.pk, rep=org.rep_east, channel="call", outcome="attempted",
                       occurred_at=T0 + dt.timedelta(hours=1))
    services.lead_recycle(lead_id=lead.pk, actor=Actor.of(org.rep_east), reason_code="bad_timing", note="Q3")
    body = api.as_user(org.manager_east).get(f"{URL}{lead.pk}/").json()
    assert body["owner"] == {"id": org.rep_east.pk, "username": "rep_east", "name": ""}
    assert body["team"] == {"id": org.east.pk, "name": "Sales East"}
    assert body["account"]["domain"] == lead.email.split("@")[1]
    assert body["stage"] == "nurture" and body["status"] == "returned_not_ready"
    assert body["disposition"] == {"code": "bad_timing", "label": "Bad timing", "kind": "recycle"}
    assert body["disposition_note"] == "Q3"
    assert body["became_mql_at"] == body["became_sal_at"] == "2026-11-16T09:00:00Z"
    assert body["became_nurture_at"] == "2026-11-16T11:00:00Z"
    assert body["became_sql_at"] is None
    assert body["touch_attempts"] == 1 and body["first_attempt_at"] == "2026-11-16T10:00:00Z"
    assert body["score"] == body["fit_score"] + body["behaviour_score"]
    explanation = body["score_explanation"]  # never scored here (no after-commit rescore): explained live
    assert explanation["threshold"] == 60 and explanation["pending_rescore"] is True
    assert isinstance(body["open_sla_clocks"], list)
    assert {"budget", "authority", "need", "timeline", "recycle_count", "high_intent"} <= set(body)
    assert {"action": "promote", "to": "mql"} in body["next_moves"]


# --- patch ----------------------------------------------------------------------------------------


def test_patch_edits_contact_and_firmographic_fields(api, org):
    lead = LeadFactory(stage="mql", team=org.east)
    response = api.as_user(org.rep_east).patch(
        f"{URL}{lead.pk}/", {"title": "Chief Technology Officer", "phone": "+1 555 0100", "country": "de",
                             "employee_count": 120}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["seniority"] == "cxo" and response.json()["country"] == "DE"
    lead.refresh_from_db()
    assert lead.phone == "+1 555 0100" and lead.employee_count == 120 and lead.stage == "mql"


MASS_ASSIGNMENT = [
    ("stage", "sql"), ("owner", None), ("owner_id", None), ("team", None), ("score", 99), ("fit_score", 50),
    ("behaviour_score", 50), ("high_intent", True), ("status", "connected"), ("recycle_count", 7),
    ("touch_attempts", 6), ("became_mql_at", "2020-01-01T00:00:00Z"), ("disposition", None), ("budget", "1M"),
    ("id", 1), ("external_id", "x"), ("campaign", None), ("seniority", "cxo"), ("is_admin", True),
]


@pytest.mark.parametrize("field,value", MASS_ASSIGNMENT)
def test_patch_refuses_every_other_field_with_422_and_changes_nothing(api, org, field, value):
    lead = LeadFactory(stage="sal", owner=org.rep_east)
    before = Lead.objects.filter(pk=lead.pk).values().get()
    response = api.as_user(org.admin).patch(
        f"{URL}{lead.pk}/", {"title": "Changed", field: value if value is not None else org.rep_west.pk},
        format="json")
    assert response.status_code == 422
    assert field in response.json()["error"]["details"]["fields"]
    assert Lead.objects.filter(pk=lead.pk).values().get() == before


def test_patch_to_another_leads_email_is_409(api, org):
    first, second = LeadFactory(), LeadFactory()
    response = api.as_user(org.mops).patch(f"{URL}{second.pk}/", {"email": first.email.upper()}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "duplicate"


def test_put_and_delete_are_not_allowed(api, org):
    lead = LeadFactory()
    client = api.as_user(org.admin)
    assert client.put(f"{URL}{lead.pk}/", {"email": lead.email}, format="json").status_code == 405
    assert client.delete(f"{URL}{lead.pk}/").status_code == 405
    assert Lead.objects.filter(pk=lead.pk).exists()


# --- timeline -------------------------------------------------------------------------------------


def test_the_timeline_is_oldest_first_and_costs_a_fixed_number_of_queries(
    api, org, clock, django_assert_max_num_queries
):
    lead = LeadFactory(stage="sal", owner=org.rep_east)
    for i in range(15):
        clock.shift(dt.timedelta(minutes=10))
        services.touch_log(lead_id=lead.pk, rep=org.rep_east, channel="email", outcome="attempted",
                           occurred_at=leadops_clock.now())
        services.event_record(lead=lead, type="email_open", occurred_at=leadops_clock.now(), external_id=f"e{i}")
    client = api.as_user(org.manager_east)
    with django_assert_max_num_queries(10):
        response = client.get(f"{URL}{lead.pk}/timeline/")
    items = response.json()["results"]
    kinds = Counter(i["kind"] for i in items)
    # 3 transitions, the assignment, 15 touches, 15 events, and the SLA clocks those started and stopped
    assert {k: kinds[k] for k in ("transition", "assignment", "touch", "event")} == {
        "transition": 3, "assignment": 1, "touch": 15, "event": 15}
    assert set(kinds) == {"transition", "assignment", "touch", "event", "sla_clock"}
    assert [i["occurred_at"] for i in items] == sorted(i["occurred_at"] for i in items)
    assert [i["data"]["to"] for i in items if i["kind"] == "transition"] == ["lead", "mql", "sal"]
    assert {"kind", "occurred_at", "cycle", "summary", "data"} == set(items[0])
