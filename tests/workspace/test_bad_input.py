"""Issue 8, "Bad input": a stale page acting on a lead that moved out of the viewer's sight says "this lead
changed since you opened it" (not a 404 or a 500), a guessed id stays a 404, and no form answers 500."""

from __future__ import annotations

import re

import pytest

from lifecycle import services
from lifecycle.models import Lead
from lifecycle.services import Actor

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}
GONE = "This lead changed since you opened it: it is no longer among the leads you can see"


def body(response) -> str:
    return response.content.decode()


def seen_on(page: str, lead: Lead, start: str = "") -> str:
    """The ``seen`` token a page put in the forms of ``lead``."""
    at = page.index(start or f'id="lead-{lead.pk}"')
    return re.search(r'name="seen" value="([^"]+)"', page[at:]).group(1)


def test_a_sal_decision_on_a_lead_routed_away_meanwhile_says_it_changed(client, org, desk):
    lead = desk.mql()
    client.force_login(org.manager_east)
    seen = seen_on(body(client.get("/sal-review/")), lead)
    desk.run(services.lead_assign, lead_id=lead.pk, owner_id=org.rep_west.pk, actor=org.admin)  # now team West

    row = body(client.post(f"/sal-review/{lead.pk}/accept/", {"expected_stage": "mql", "seen": seen}, **HX))
    assert row.strip().startswith(f'<tr id="lead-{lead.pk}"') and GONE in row
    response = client.post(f"/sal-review/{lead.pk}/reject/", {"expected_stage": "mql", "seen": seen,
                                                               "reason": "missing_data"}, follow=True)
    assert GONE in body(response) and response.redirect_chain[-1][0] == "/sal-review/"
    assert Lead.objects.get(pk=lead.pk).stage == "mql"
    # without the page's token it is a guessed id: 404, as for any lead one may not see
    assert client.post(f"/sal-review/{lead.pk}/accept/", {"expected_stage": "mql"}, **HX).status_code == 404
    assert client.post(f"/sal-review/{lead.pk}/accept/", {"expected_stage": "mql", "seen": "forged:x"},
                       **HX).status_code == 404


def test_bulk_accept_counts_the_leads_that_left_the_queue_as_changed(client, org, desk):
    stays, leaves = desk.mql(), desk.mql()
    client.force_login(org.manager_east)
    desk.run(services.lead_assign, lead_id=leaves.pk, owner_id=org.rep_west.pk, actor=org.admin)
    page = body(client.post("/sal-review/bulk/", {"bulk_action": "accept", "lead": [stays.pk, leaves.pk]},
                            follow=True))
    assert "This lead changed since you opened it: 1 of the selected leads is no longer in your teams" in page
    assert "Accepted 1 of 2 selected leads." in page
    assert Lead.objects.get(pk=stays.pk).stage == "sal" and Lead.objects.get(pk=leaves.pk).stage == "mql"


def test_a_touch_from_my_leads_on_a_lead_reassigned_or_sent_back_meanwhile(client, org, desk):
    moved, recycled = desk.sal(), desk.sal()
    client.force_login(org.rep_east)
    page = body(client.get("/my-leads/"))
    seen_moved, seen_recycled = seen_on(page, moved), seen_on(page, recycled)
    desk.run(services.lead_assign, lead_id=moved.pk, owner_id=org.rep_east2.pk, actor=org.admin)
    desk.run(services.lead_recycle, lead_id=recycled.pk, actor=Actor.of(org.manager_east), reason_code="bad_timing")
    touch = {"from": "my_leads", "channel": "call", "outcome": "attempted", "note": ""}

    row = body(client.post(f"/leads/{moved.pk}/touch/", {**touch, "seen": seen_moved}, **HX))
    assert row.strip().startswith(f'<tr id="lead-{moved.pk}"') and GONE in row
    row = body(client.post(f"/leads/{recycled.pk}/touch/", {**touch, "seen": seen_recycled}, **HX))
    assert "This lead changed since you opened it: it is now Nurture" in row
    assert Lead.objects.get(pk=moved.pk).touch_attempts == 0 and Lead.objects.get(pk=recycled.pk).touch_attempts == 0


def test_a_lead_page_action_on_a_lead_reassigned_meanwhile_goes_back_to_the_queue_with_the_reason(client, org,
                                                                                                  desk):
    lead = desk.sal()
    client.force_login(org.rep_east)
    seen = seen_on(body(client.get(f"/leads/{lead.pk}/")), lead, start='aria-label="Qualify"')
    desk.run(services.lead_assign, lead_id=lead.pk, owner_id=org.rep_east2.pk, actor=org.admin)
    response = client.post(f"/leads/{lead.pk}/act/qualify/", {
        "expected_stage": "sal", "seen": seen, "budget": "50k", "authority": "VP", "need": "yes", "timeline": "Q1",
    }, follow=True)
    assert response.redirect_chain[-1][0] == "/my-leads/" and GONE in body(response)
    assert Lead.objects.get(pk=lead.pk).stage == "sal"


GARBAGE = {"expected_stage": "nowhere", "owner": "99999999999999999999", "reason": "x" * 5000, "note": "a\x00b",
           "override": "perhaps", "budget": "", "amount": "1e999", "currency": "DOLLARS", "close_date": "2026-02-31",
           "name": "n" * 500, "channel": "pigeon", "outcome": "", "from": "my_leads", "seen": "garbage"}


@pytest.mark.parametrize("action", ["accept", "reject", "qualify", "disqualify", "recycle", "convert"])
def test_no_form_answers_500_to_garbage(client, org, desk, action):
    lead = desk.sal()
    client.force_login(org.manager_east)
    response = client.post(f"/leads/{lead.pk}/act/{action}/", GARBAGE)
    page = body(response)
    assert response.status_code == 200
    assert 'class="errorlist"' in page or f"{action.capitalize()} is not among your actions on this lead" in page
    assert client.post(f"/leads/{lead.pk}/touch/", GARBAGE).status_code == 200
    assert client.post(f"/leads/{lead.pk}/touch/", GARBAGE, **HX).status_code == 200
    assert client.post(f"/sal-review/{lead.pk}/{action}/", GARBAGE, **HX).status_code in (200, 404)
    assert client.post("/sal-review/bulk/", {**GARBAGE, "lead": ["x", "-1", str(lead.pk)],
                                             "bulk_action": action}).status_code == 302
    assert Lead.objects.get(pk=lead.pk).stage == "sal"
