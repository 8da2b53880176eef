"""The workspace pages through Django's test client: who sees what, and what each form does."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from leadops import clock
from lifecycle import services
from lifecycle.models import Lead, Opportunity
from lifecycle.services import Actor
from sla.models import Notification, NotificationKind

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def body(response) -> str:
    return response.content.decode()


# --- navigation -----------------------------------------------------------------------------------------


def test_navigation_follows_the_role_and_the_bell_counts_unread_notifications(client, org):
    Notification.objects.create(recipient=org.manager_east, kind=NotificationKind.BREACHED, title="SLA breached")
    client.force_login(org.manager_east)
    page = body(client.get("/"))
    assert ">SAL review</a>" in page and ">My leads</a>" not in page
    assert 'aria-label="Notifications, 1 unread"' in page
    assert ">Sign out</button>" in page

    client.force_login(org.rep_east)
    page = body(client.get("/"))
    assert ">My leads</a>" in page and ">SAL review</a>" not in page
    assert 'aria-label="Notifications, 0 unread"' in page

    client.force_login(org.lead_)
    page = body(client.get("/"))
    assert ">My leads</a>" not in page and ">SAL review</a>" not in page


def test_workspace_pages_need_sign_in_and_the_right_role(client, org, desk):
    lead = desk.mql()
    for url in ("/sal-review/", "/my-leads/", f"/leads/{lead.pk}/", "/notifications/"):
        assert client.get(url)["Location"].startswith("/accounts/login/?next=")
    client.force_login(org.rep_east)
    assert client.get("/sal-review/").status_code == 404
    client.force_login(org.manager_east)
    assert client.get("/my-leads/").status_code == 404
    client.force_login(org.rep_west)  # another team's lead: not found, not forbidden-with-data
    assert client.get(f"/leads/{lead.pk}/").status_code == 404


def test_forms_are_refused_without_the_csrf_token(org, desk):
    lead = desk.mql()
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(org.manager_east)
    response = strict.post(f"/sal-review/{lead.pk}/accept/", {"expected_stage": "mql"}, **HX)
    assert response.status_code == 403
    assert Lead.objects.get(pk=lead.pk).stage == "mql"


# --- the SAL review queue -------------------------------------------------------------------------------


def test_the_sal_queue_lists_only_the_managers_teams_mqls_oldest_first_with_the_review_clock(client, org, desk):
    first, second = desk.mql(), desk.mql(owner=org.rep_east2)
    west = desk.mql(owner=org.rep_west)
    client.force_login(org.manager_east)
    page = body(client.get("/sal-review/"))
    assert first.email in page and second.email in page and west.email not in page
    assert page.index(first.email) < page.index(second.email)
    assert "On time" in page and "left" in page  # the sal_review clock, in words
    assert f'<label for="reason-{first.pk}">Reason</label>' in page
    assert f'<label for="owner-{first.pk}">Owner</label>' in page


def test_the_sal_queue_pages_by_keyset(client, org, desk, monkeypatch):
    monkeypatch.setattr("lifecycle.views.sal.PAGE_SIZE", 2)
    leads = [desk.mql() for _ in range(3)]
    client.force_login(org.manager_east)
    page = body(client.get("/sal-review/"))
    assert leads[0].email in page and leads[1].email in page and leads[2].email not in page
    next_link = page.split('href="?after=')[1].split('"')[0]
    page = body(client.get(f"/sal-review/?after={next_link}"))
    assert leads[2].email in page and leads[0].email not in page and "Next page" not in page


def test_accept_in_place_keeps_the_routed_owner_and_answers_the_row(client, org, desk):
    lead = desk.mql()
    client.force_login(org.manager_east)
    response = client.post(f"/sal-review/{lead.pk}/accept/", {"expected_stage": "mql", "owner": ""}, **HX)
    assert response.status_code == 200
    row = body(response)
    assert row.strip().startswith(f'<tr id="lead-{lead.pk}"')
    assert "Accepted" in row and "now SAL, owned by rep_east" in row and ">Accept</button>" not in row
    assert Lead.objects.get(pk=lead.pk).stage == "sal"


def test_accept_with_another_owner_from_the_team(client, org, desk):
    lead = desk.mql()
    client.force_login(org.manager_east)
    client.post(f"/sal-review/{lead.pk}/accept/", {"expected_stage": "mql", "owner": org.rep_east2.pk}, **HX)
    assert Lead.objects.get(pk=lead.pk).owner == org.rep_east2


def test_an_owner_outside_the_team_is_refused_in_the_row(client, org, desk):
    lead = desk.mql()
    client.force_login(org.manager_east)
    row = body(client.post(f"/sal-review/{lead.pk}/accept/", {"expected_stage": "mql", "owner": org.rep_west.pk},
                           **HX))
    assert "Owner:" in row and 'class="result error"' in row and ">Accept</button>" in row
    assert Lead.objects.get(pk=lead.pk).stage == "mql"


def test_reject_needs_a_reason_and_then_goes_back_to_marketing(client, org, desk):
    lead = desk.mql()
    client.force_login(org.manager_east)
    row = body(client.post(f"/sal-review/{lead.pk}/reject/", {"expected_stage": "mql", "reason": ""}, **HX))
    assert "Reason: This field is required." in row
    assert Lead.objects.get(pk=lead.pk).stage == "mql"

    row = body(client.post(f"/sal-review/{lead.pk}/reject/",
                           {"expected_stage": "mql", "reason": "insufficient_budget", "note": "next year"}, **HX))
    assert "Rejected" in row and "now Nurture" in row
    lead.refresh_from_db()
    assert (lead.stage, lead.disposition.code, lead.disposition_note) == ("nurture", "insufficient_budget", "next year")


def test_a_decision_on_a_lead_another_manager_decided_shows_the_fresh_state(client, org, desk):
    lead = desk.mql()
    client.force_login(org.manager_east)
    # another manager rejects it after this page was opened
    services.lead_reject(lead_id=lead.pk, actor=Actor.of(org.manager_east), reason_code="duplicate")
    response = client.post(f"/sal-review/{lead.pk}/accept/", {"expected_stage": "mql"}, **HX)
    assert response.status_code == 200
    row = body(response)
    assert "This lead changed since you opened it" in row and "now Disqualified" in row and "(Duplicate)" in row
    assert Lead.objects.get(pk=lead.pk).stage == "disqualified"


def test_without_htmx_a_decision_redirects_back_with_a_message(client, org, desk):
    lead = desk.mql()
    client.force_login(org.manager_east)
    response = client.post(f"/sal-review/{lead.pk}/accept/", {"expected_stage": "mql"}, follow=True)
    assert response.redirect_chain[-1][0] == "/sal-review/"
    assert f"Accepted {lead.email}" in body(response)


def test_bulk_accept_and_reject_of_checked_rows(client, org, desk):
    a, b, c = desk.mql(), desk.mql(), desk.mql()
    client.force_login(org.manager_east)
    response = client.post("/sal-review/bulk/", {"lead": [a.pk, b.pk], "bulk_action": "accept"}, follow=True)
    assert "Accepted 2 of 2 selected leads." in body(response)
    assert [x.stage for x in Lead.objects.filter(pk__in=[a.pk, b.pk])] == ["sal", "sal"]

    response = client.post("/sal-review/bulk/", {"lead": [c.pk], "bulk_action": "reject"}, follow=True)
    assert "Choose a Reason for the selected leads." in body(response)
    response = client.post("/sal-review/bulk/", {"lead": [a.pk, c.pk], "bulk_action": "reject",
                                                  "bulk_reason": "wrong_geography"}, follow=True)
    page = body(response)
    assert "Rejected 1 of 2 selected leads." in page and "This lead changed since you opened it" in page
    assert Lead.objects.get(pk=c.pk).stage == "disqualified" and Lead.objects.get(pk=a.pk).stage == "sal"


# --- the lead page ------------------------------------------------------------------------------------


def test_the_lead_page_shows_facts_clocks_that_explain_themselves_and_the_timeline(client, org, desk):
    lead = desk.mql()
    client.force_login(org.manager_east)
    page = body(client.get(f"/leads/{lead.pk}/"))
    assert lead.email in page and "SLA clocks" in page and "Sal review" in page
    assert "of business time on" in page  # the due time's explanation
    assert "lead → mql by mops" in page and "assigned to rep_east" in page


def test_the_buttons_follow_the_transition_table_and_the_role(client, org, desk):
    mql, sal = desk.mql(), desk.sal()
    client.force_login(org.manager_east)
    page = body(client.get(f"/leads/{mql.pk}/"))
    assert "<summary>Accept</summary>" in page and "<summary>Reject</summary>" in page
    assert "<summary>Qualify</summary>" not in page

    client.force_login(org.rep_east)
    page = body(client.get(f"/leads/{sal.pk}/"))
    for action in ("Qualify", "Disqualify", "Recycle", "Log touch"):
        assert f"<summary>{action}</summary>" in page
    assert "<summary>Accept</summary>" not in page and "<summary>Convert</summary>" not in page
    assert "Manager override" not in page  # the override is a manager's

    client.force_login(org.lead_)  # leadership reads, never acts
    page = body(client.get(f"/leads/{sal.pk}/"))
    assert "<summary>" not in page and "No action on this lead is yours" in page


def test_qualify_shows_field_errors_inline_then_moves_the_lead(client, org, desk):
    lead = desk.sal()
    client.force_login(org.rep_east)
    response = client.post(f"/leads/{lead.pk}/act/qualify/", {"expected_stage": "sal", "budget": "50k"})
    assert response.status_code == 200
    page = body(response)
    assert 'id="qualify_authority-errors"' in page and "This field is required." in page
    assert Lead.objects.get(pk=lead.pk).stage == "sal"

    response = client.post(f"/leads/{lead.pk}/act/qualify/", {
        "expected_stage": "sal", "budget": "50k", "authority": "VP", "need": "yes", "timeline": "Q1"}, follow=True)
    assert "Qualify: done, now SQL" in body(response)
    assert Lead.objects.get(pk=lead.pk).stage == "sql"


def test_disqualify_as_unresponsive_below_the_cadence_is_refused_with_the_progress(client, org, desk):
    lead = desk.sal()
    services.touch_log(lead_id=lead.pk, rep=org.rep_east, channel="call", outcome="attempted",
                       occurred_at=clock.now())
    client.force_login(org.rep_east)
    page = body(client.get(f"/leads/{lead.pk}/"))
    assert "Touch cadence: 1 of 6 attempts." in page
    response = client.post(f"/leads/{lead.pk}/act/disqualify/", {"expected_stage": "sal", "reason": "unresponsive"})
    page = body(response)
    assert response.status_code == 200 and 'role="alert"' in page
    assert "The touch cadence is not met: 1 of 6 attempts. A sales manager may override." in page
    assert Lead.objects.get(pk=lead.pk).stage == "sal"

    client.post(f"/leads/{lead.pk}/act/disqualify/", {"expected_stage": "sal", "reason": "no_budget"})
    assert Lead.objects.get(pk=lead.pk).stage == "disqualified"


def test_a_manager_may_override_the_cadence(client, org, desk):
    lead = desk.sal()
    client.force_login(org.manager_east)
    client.post(f"/leads/{lead.pk}/act/disqualify/", {"expected_stage": "sal", "reason": "unresponsive",
                                                      "override": "on"})
    lead.refresh_from_db()
    assert lead.stage == "disqualified" and lead.transitions.order_by("-seq").first().override


def test_convert_validates_amount_and_date_then_opens_an_opportunity(client, org, desk):
    lead = desk.sql()
    client.force_login(org.rep_east)
    page = body(client.post(f"/leads/{lead.pk}/act/convert/", {"expected_stage": "sql", "amount": "-5",
                                                               "currency": "USD", "close_date": "soon"}))
    assert "Ensure this value is greater than or equal to 0." in page and "Enter a valid date." in page
    client.post(f"/leads/{lead.pk}/act/convert/", {"expected_stage": "sql", "amount": "12000", "currency": "USD",
                                                   "close_date": "2027-01-31"})
    assert Lead.objects.get(pk=lead.pk).stage == "opportunity"
    assert Opportunity.objects.get(lead=lead).amount == 12000


def test_recycle_from_the_lead_page(client, org, desk):
    lead = desk.sal()
    client.force_login(org.rep_east)
    client.post(f"/leads/{lead.pk}/act/recycle/", {"expected_stage": "sal", "reason": "bad_timing", "note": "Q3"})
    lead.refresh_from_db()
    assert (lead.stage, lead.disposition.code) == ("nurture", "bad_timing")


def test_a_stale_lead_page_says_the_lead_changed_and_shows_it_fresh(client, org, desk):
    lead = desk.sal()
    client.force_login(org.rep_east)
    services.lead_recycle(lead_id=lead.pk, actor=Actor.of(org.manager_east), reason_code="bad_timing")
    response = client.post(f"/leads/{lead.pk}/act/qualify/", {
        "expected_stage": "sal", "budget": "50k", "authority": "VP", "need": "yes", "timeline": "Q1"}, follow=True)
    page = body(response)
    assert "This lead changed since you opened it: it is now Nurture" in page
    assert Lead.objects.get(pk=lead.pk).stage == "nurture"


def test_a_rep_cannot_act_on_a_lead_someone_else_owns(client, org, desk):
    lead = desk.sal(owner=org.rep_east2)
    client.force_login(org.rep_east)
    assert client.get(f"/leads/{lead.pk}/").status_code == 404
    response = client.post(f"/leads/{lead.pk}/act/qualify/", {"expected_stage": "sal"})
    assert response.status_code == 404


# --- My leads ------------------------------------------------------------------------------------------


def test_my_leads_orders_by_sla_urgency_and_logs_a_touch_in_place(client, org, desk):
    worked = desk.sal()  # first contact met by the touch below: its next due is the 14-day cadence
    desk.run(services.touch_log, lead_id=worked.pk, rep=org.rep_east, channel="call", outcome="attempted",
             occurred_at=clock.now())
    fresh = desk.mql()  # first contact due within 24 hours: more urgent
    other = desk.mql(owner=org.rep_east2)
    client.force_login(org.rep_east)
    page = body(client.get("/my-leads/"))
    assert page.index(fresh.email) < page.index(worked.email) and other.email not in page
    assert "1 of 6 attempts" in page and "0 of 6 attempts" in page

    with desk._capture(execute=True):
        response = client.post(f"/leads/{fresh.pk}/touch/", {"from": "my_leads", "channel": "call",
                                                             "outcome": "attempted", "note": ""}, **HX)
    row = body(response)
    assert row.strip().startswith(f'<tr id="lead-{fresh.pk}"')
    assert "Touch logged (call · attempted): 1 of 6 attempts." in row
    assert Lead.objects.get(pk=fresh.pk).touch_attempts == 1


def test_log_touch_from_the_lead_page_with_a_bad_outcome_shows_the_error(client, org, desk):
    lead = desk.sal()
    client.force_login(org.rep_east)
    page = body(client.post(f"/leads/{lead.pk}/touch/", {"channel": "call", "outcome": "teleport"}))
    assert "Select a valid choice." in page
    response = client.post(f"/leads/{lead.pk}/touch/", {"channel": "email", "outcome": "replied"}, follow=True)
    assert "Touch logged (email · replied): 1 of 6 attempts." in body(response)


# --- notifications -------------------------------------------------------------------------------------


def test_notifications_list_and_mark_read(client, org, desk):
    lead = desk.mql()
    Notification.objects.create(recipient=org.rep_east, kind=NotificationKind.AT_RISK, lead=lead,
                                title="First contact at risk", created_at=clock.now() - dt.timedelta(minutes=5))
    client.force_login(org.rep_east)
    page = body(client.get("/notifications/"))
    assert "First contact at risk" in page and "<strong>unread</strong>" in page
    response = client.post("/notifications/", follow=True)
    page = body(response)
    assert "Marked 1 notification read." in page and 'aria-label="Notifications, 0 unread"' in page


# --- the MQL queue and the recycled view (marketing ops) -------------------------------------------------


def test_the_mql_queue_filters_with_the_api_filter_and_exports_safe_csv(client, org, desk):
    from lifecycle.services import reference as ref

    webinar = ref.campaign_create(name="=HYPERLINK(1)", channel="webinar")
    a = desk.mql(company_name="+Evil Corp")
    services.event_record(lead=a, type="webinar_attended", occurred_at=clock.now(), campaign=webinar)
    b = desk.mql(owner=org.rep_west)
    sal = desk.sal()
    client.force_login(org.mops)
    page = body(client.get("/mql-queue/"))
    assert a.email in page and b.email in page and sal.email not in page
    assert ">MQL queue</a>" in page and "Routed to rep_east" in page

    page = body(client.get(f"/mql-queue/?campaign={webinar.pk}"))
    assert a.email in page and b.email not in page
    page = body(client.get(f"/mql-queue/?team={org.west.pk}&sort=newest"))
    assert b.email in page and a.email not in page
    page = body(client.get("/mql-queue/?high_intent=maybe"))  # the API's strict boolean, said on the page
    assert 'role="alert"' in page and "Must be true or false." in page

    response = client.get(f"/mql-queue/export.csv?campaign={webinar.pk}")
    assert response["Content-Type"].startswith("text/csv")
    csv_text = b"".join(response.streaming_content).decode()
    lines = csv_text.strip().splitlines()
    assert lines[0].startswith("id,email,") and len(lines) == 2
    assert "'+Evil Corp" in lines[1] and "'=HYPERLINK(1)" in lines[1]


def test_a_manager_sees_only_their_teams_in_the_mql_queue_and_a_rep_not_at_all(client, org, desk):
    a, b = desk.mql(), desk.mql(owner=org.rep_west)
    client.force_login(org.manager_east)
    page = body(client.get("/mql-queue/"))
    assert a.email in page and b.email not in page
    client.force_login(org.rep_east)
    assert client.get("/mql-queue/").status_code == 404
    assert client.get("/mql-queue/export.csv").status_code == 404


def test_recycled_leads_show_what_sales_sent_back_with_reasons(client, org, desk):
    lead = desk.mql()
    client.force_login(org.manager_east)
    client.post(f"/sal-review/{lead.pk}/reject/", {"expected_stage": "mql", "reason": "missing_data",
                                                   "note": "no phone"}, **HX)
    assert client.get("/recycled/").status_code == 404
    client.force_login(org.mops)
    page = body(client.get("/recycled/"))
    assert lead.email in page and "Missing data" in page and "no phone" in page and "Reject → Nurture" in page


# --- bounded queries: a page's query count does not grow with its rows -----------------------------------


@pytest.mark.parametrize("url,user", [("/sal-review/", "manager_east"), ("/my-leads/", "rep_east"),
                                      ("/mql-queue/", "mops")])
def test_queue_pages_use_a_fixed_number_of_queries(client, org, desk, url, user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(getattr(org, user))
    desk.mql()
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for _ in range(4):
        desk.mql(owner=org.rep_east2 if _ % 2 else org.rep_east)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)


def test_a_tampered_form_is_an_error_in_the_row_not_a_500(client, org, desk):
    lead = desk.mql()
    client.force_login(org.manager_east)
    row = body(client.post(f"/sal-review/{lead.pk}/accept/", {"expected_stage": "nope", "owner": "x"}, **HX))
    assert 'class="result error"' in row and "Page:" in row and "Owner:" in row
    response = client.post(f"/leads/{lead.pk}/act/teleport/", {"expected_stage": "mql"})
    assert response.status_code == 404
    client.force_login(org.rep_east)  # not a manager: the service refuses, the page says so
    page = body(client.post(f"/leads/{lead.pk}/act/accept/", {"expected_stage": "mql"}))
    assert '<li class="error">Moving a lead from mql to sal is for: sales manager.</li>' in page
