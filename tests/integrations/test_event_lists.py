"""POST /api/v1/events/ with a list: one answer per item in order, idempotent per (source, external_id),
unknown emails create one subscriber each, every lead rescored once for the whole list."""

from unittest import mock

import pytest

from lifecycle.models import ClientLead, Lead, MarketingEvent
from lifecycle.services import lead_create
from tests.lifecycle.factories import CampaignFactory

pytestmark = pytest.mark.django_db

EVENTS = "/api/v1/events/"
AT = "2026-11-16T08:00:00Z"


def post(api, items):
    response = api.post(EVENTS, items, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def test_a_list_answers_in_order_with_repeats_stored_or_in_the_list(integrator_api, org, clock):
    known = lead_create(email="known@acme.io", client=org.integrator)
    post(integrator_api, [{"email": "known@acme.io", "type": "email_open", "occurred_at": AT, "source": "mapi",
                           "external_id": "e0"}])
    results = post(integrator_api, [
        {"email": "known@acme.io", "type": "email_open", "occurred_at": AT, "source": "mapi", "external_id": "e0"},
        {"email": "new@beta.io", "type": "webinar_attended", "occurred_at": AT, "source": "mapi",
         "external_id": "e1"},
        {"email": "NEW@beta.io", "type": "email_click", "occurred_at": AT, "source": "mapi", "external_id": "e2"},
        {"email": "known@acme.io", "type": "email_open", "occurred_at": AT, "source": "mapi", "external_id": "e1"},
        {"email": "known@acme.io", "type": "email_open", "occurred_at": AT, "source": "other", "external_id": "e1"},
        {"email": "broken", "type": "email_open", "occurred_at": AT},
        {"lead": known.pk, "type": "demo_request", "occurred_at": AT},
        {"email": "other@acme.io", "type": "email_open", "occurred_at": "2026-11-17T08:00:00Z"},  # future
        {"email": "known@acme.io", "type": "email open", "occurred_at": AT},  # a type with a space
    ])
    assert [r["status"] for r in results] == [
        "existing", "created", "created", "existing", "created", "error", "created", "error", "error"]
    new = Lead.objects.get(email="new@beta.io")  # one subscriber for two items naming it
    assert (new.stage, results[1]["lead"], results[2]["lead"]) == ("subscriber", new.pk, new.pk)
    assert results[3]["id"] == results[1]["id"]  # a repeat of item 1's key answers item 1's event
    assert results[4]["lead"] == known.pk  # the same external id from another source is another event
    assert results[5]["errors"]["code"] == "validation_error" and "email" in results[5]["errors"]["details"]["fields"]
    assert "occurred_at" in results[7]["errors"]["details"]["fields"]
    assert "type" in results[8]["errors"]["details"]["fields"]
    assert MarketingEvent.objects.count() == 5
    assert not Lead.objects.filter(email="other@acme.io").exists()
    assert ClientLead.objects.filter(client=org.integrator, lead=new).exists()


def test_each_lead_is_rescored_once_for_the_whole_list(integrator_api, org, clock,
                                                      django_capture_on_commit_callbacks):
    known = lead_create(email="known@acme.io", client=org.integrator)
    items = [{"email": "known@acme.io", "type": "email_open", "occurred_at": AT} for _ in range(5)]
    items += [{"email": "fresh@beta.io", "type": "email_open", "occurred_at": AT} for _ in range(3)]
    with mock.patch("scoring.tasks.rescore_leads.delay") as batched, \
            mock.patch("scoring.tasks.rescore_lead.delay") as single, django_capture_on_commit_callbacks(execute=True):
        results = post(integrator_api, items)
    assert {r["status"] for r in results} == {"created"}
    fresh = Lead.objects.get(email="fresh@beta.io")
    assert single.call_count == 0
    calls = sorted((call.args[1], sorted(call.args[0])) for call in batched.call_args_list)
    assert calls == [("event", [known.pk]), ("lead_created", [fresh.pk])]


def test_campaigns_set_the_leads_first_and_latest_campaign_and_an_empty_source(integrator_api, org, clock):
    first, second = CampaignFactory(channel="webinar"), CampaignFactory(channel="email")
    lead = lead_create(email="c@acme.io", client=org.integrator)
    post(integrator_api, [
        {"lead": lead.pk, "type": "webinar_attended", "occurred_at": AT, "campaign": first.pk},
        {"lead": lead.pk, "type": "email_click", "occurred_at": AT, "campaign": second.pk},
    ])
    lead.refresh_from_db()
    assert (lead.first_campaign, lead.latest_campaign, lead.source) == (first, second, "webinar")


def test_a_list_recorded_item_by_item_after_a_conflict_answers_the_same(integrator_api, org, clock):
    from django.db import IntegrityError

    from lifecycle.services import event_intake

    lead_create(email="known@acme.io", client=org.integrator)
    items = [{"email": "known@acme.io", "type": "email_open", "occurred_at": AT, "external_id": "x1"},
             {"email": "new@beta.io", "type": "email_open", "occurred_at": AT, "external_id": "x2"},
             {"email": "known@acme.io", "type": "email_open", "occurred_at": AT, "external_id": "x1"}]
    with mock.patch.object(event_intake, "_ingest_set", side_effect=IntegrityError("forced")):
        results = post(integrator_api, items)
    assert [r["status"] for r in results] == ["created", "created", "existing"]
    assert results[2]["id"] == results[0]["id"]
    assert MarketingEvent.objects.count() == 2
