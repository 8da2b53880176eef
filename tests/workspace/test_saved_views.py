"""Saved views of the MQL queue and its "Data incomplete" filter, through Django's test client."""

from __future__ import annotations

import pytest
from django.test import Client

from leadops import clock
from lifecycle import services
from lifecycle.models import Lead, SavedView
from tests.leadops.factories import UserFactory

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def body(response) -> str:
    return response.content.decode()


def save(client, query: str, name: str, **extra):
    return client.post("/saved-views/", {"page": "mql_queue", "query": query, "name": name}, **extra)


def complete_mql(desk, **fields):
    lead = desk.mql(title="Head of Ops", source="webinar", **fields)
    services.event_record(lead=lead, type="page_view", occurred_at=clock.now())
    return lead


# --- data incomplete --------------------------------------------------------------------------------------


def test_data_incomplete_lists_mqls_missing_what_sales_needs_and_names_the_gaps(client, org, desk):
    from lifecycle.services import reference as ref

    complete = complete_mql(desk)
    no_title = desk.mql(source="webinar")  # no title, no events
    services.event_record(lead=no_title, type="page_view", occurred_at=clock.now())
    no_history = desk.mql(title="CTO", source="email")
    account = ref.account_create(name="Known Co", domain="known.example")
    by_account = complete_mql(desk, company_name="")  # a matched account counts as a company
    Lead.objects.filter(pk=by_account.pk).update(account=account)
    client.force_login(org.mops)

    page = body(client.get("/mql-queue/?data_incomplete=true"))
    assert no_title.email in page and no_history.email in page
    assert complete.email not in page and by_account.email not in page
    assert "Data incomplete: missing title</div>" in page
    assert "Data incomplete: missing behaviour history</div>" in page

    page = body(client.get("/mql-queue/?data_incomplete=false"))
    assert complete.email in page and by_account.email in page and no_title.email not in page

    page = body(client.get("/mql-queue/?data_incomplete=perhaps"))
    assert 'role="alert"' in page and "Data incomplete: Must be true or false." in page


def test_the_queue_and_the_marketing_sla_count_completeness_the_same_way(client, org, desk):
    from sla.selectors.metrics import marketing_slas

    complete_mql(desk)
    desk.mql(source="webinar")
    desk.mql(title="CTO", source="email")
    measure = next(m for m in marketing_slas(month=clock.now().date()) if m.name == "data_completeness")
    client.force_login(org.mops)
    page = body(client.get("/mql-queue/?data_incomplete=true"))
    assert (measure.numerator, measure.denominator) == (1, 3)
    assert page.count("Data incomplete: missing") == 2


# --- saved views ------------------------------------------------------------------------------------------


def test_save_the_current_filters_then_apply_them_with_one_click(client, org, desk):
    east, west = desk.mql(), desk.mql(owner=org.rep_west)
    client.force_login(org.mops)
    query = f"team={org.west.pk}&sort=newest&data_incomplete=true&page=3&q="
    panel = body(save(client, query, "  West   gaps ", **HX))
    assert 'id="saved-views"' in panel and "Saved the view “West gaps”." in panel
    view = SavedView.objects.get()
    assert (view.owner, view.page, view.name, view.team) == (org.mops, "mql_queue", "West gaps", None)
    assert view.params == {"team": [str(org.west.pk)], "sort": ["newest"], "data_incomplete": ["true"]}

    page = body(client.get("/mql-queue/"))
    link = f'href="?data_incomplete=true&amp;sort=newest&amp;team={org.west.pk}&amp;view={view.pk}"'
    assert link in page and "Team: Sales West · Data incomplete: yes · Sort: Newest MQL first · private" in page
    page = body(client.get(f"/mql-queue/?data_incomplete=true&sort=newest&team={org.west.pk}&view={view.pk}"))
    assert "Showing the saved view <strong>West gaps</strong>" in page
    assert west.email in page and east.email not in page


def test_without_htmx_saving_goes_to_the_saved_view(client, org, desk):
    client.force_login(org.mops)
    response = save(client, "high_intent=true", "Hot")
    view = SavedView.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/mql-queue/?high_intent=true&view={view.pk}"


def test_saving_refuses_invalid_filters_a_blank_name_and_a_duplicate_name(client, org, desk):
    client.force_login(org.mops)
    panel = body(save(client, "high_intent=maybe&score_min=ten", "Broken", **HX))
    assert "Fix the filters before saving them as a view." in panel
    assert "High intent: Must be true or false." in panel and "Score from: Enter a whole number." in panel
    panel = body(save(client, "sort=sideways", "Broken", **HX))
    assert "Sort: Select a valid choice." in panel
    panel = body(save(client, "high_intent=true", "   ", **HX))
    assert "The view needs a name." in panel and "This field is required." in panel
    assert not SavedView.objects.exists()

    save(client, "high_intent=true", "Hot", **HX)
    panel = body(save(client, "high_intent=false", "HOT", **HX))
    assert "You already have a view named “HOT” here." in panel and 'aria-invalid="true"' in panel
    assert list(SavedView.objects.values_list("name", flat=True)) == ["Hot"]


def test_a_saved_filter_that_is_no_longer_valid_shows_a_form_message_not_a_500(client, org, desk):
    view = SavedView.objects.create(owner=org.mops, page="mql_queue", name="Old",
                                    params={"high_intent": ["sometimes"]})
    client.force_login(org.mops)
    response = client.get(f"/mql-queue/?high_intent=sometimes&view={view.pk}")
    assert response.status_code == 200
    page = body(response)
    assert 'role="alert"' in page and "High intent: Must be true or false." in page


def test_rename_share_and_delete_own_views_only(client, org, desk):
    colleague = UserFactory(username="mops2", role="marketing_ops", team=org.marketing)
    outsider = UserFactory(username="mops3", role="marketing_ops", team=None)
    client.force_login(org.mops)
    save(client, "high_intent=true", "Hot", **HX)
    save(client, "sort=score", "Best", **HX)
    hot, best = SavedView.objects.get(name="Hot"), SavedView.objects.get(name="Best")

    panel = body(client.post(f"/saved-views/{hot.pk}/rename/", {"page": "mql_queue", "name": "Hot leads"}, **HX))
    assert "Renamed the view to “Hot leads”." in panel
    panel = body(client.post(f"/saved-views/{hot.pk}/share/", {"page": "mql_queue"}, **HX))
    assert "Shared “Hot leads” with Marketing." in panel and "shared with Marketing" in panel

    other = Client()
    other.force_login(colleague)
    page = body(other.get("/mql-queue/"))
    assert "Hot leads" in page and "shared by mops" in page and "Best" not in page  # private stays private
    assert f"/saved-views/{hot.pk}/delete/" not in page  # no edit controls on another's view
    panel = body(other.post(f"/saved-views/{hot.pk}/delete/", {"page": "mql_queue"}, **HX))
    assert "No such saved view of yours." in panel
    other.post(f"/saved-views/{hot.pk}/rename/", {"page": "mql_queue", "name": "Mine now"}, **HX)
    assert SavedView.objects.get(pk=hot.pk).name == "Hot leads"
    other.force_login(outsider)
    assert "Hot leads" not in body(other.get("/mql-queue/"))

    panel = body(client.post(f"/saved-views/{hot.pk}/unshare/", {"page": "mql_queue"}, **HX))
    assert "“Hot leads” is private again." in panel
    other.force_login(colleague)
    assert "Hot leads" not in body(other.get("/mql-queue/"))

    panel = body(client.post(f"/saved-views/{best.pk}/delete/", {"page": "mql_queue"}, **HX))
    assert "Deleted the view “Best”." in panel
    assert list(SavedView.objects.values_list("name", flat=True)) == ["Hot leads"]


def test_a_user_without_a_team_cannot_share(client, org, desk):
    loner = UserFactory(username="mops3", role="marketing_ops", team=None)
    client.force_login(loner)
    save(client, "high_intent=true", "Hot", **HX)
    view = SavedView.objects.get()
    panel = body(client.post(f"/saved-views/{view.pk}/share/", {"page": "mql_queue"}, **HX))
    assert "You are not in a team" in panel and SavedView.objects.get().team is None


def test_saved_views_need_the_page_role_and_the_csrf_token(client, org, desk):
    client.force_login(org.rep_east)  # reps have no MQL queue
    assert save(client, "high_intent=true", "Hot").status_code == 404
    assert client.post("/saved-views/", {"page": "teleport", "name": "x"}).status_code == 404
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(org.mops)
    assert save(strict, "high_intent=true", "Hot").status_code == 403
    assert not SavedView.objects.exists()
