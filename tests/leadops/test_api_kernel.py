"""The API kernel: auth, tokens and scopes, the error shape, cursor pagination, people endpoints."""

import datetime as dt

import pytest
from django.core.management import call_command

from leadops import services
from leadops.models import ApiToken, RepProfile
from leadops.roles import Role

pytestmark = pytest.mark.django_db


def test_no_credentials_get_401_in_the_error_shape(api):
    response = api.get("/api/v1/users/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert set(response.json()["error"]) == {"code", "message", "details"}


def test_a_token_is_stored_hashed_and_works_until_revoked(api, org):
    token, raw = services.token_issue(user=org.mops, scopes=["leads:read"])
    assert raw not in token.key_hash and token.key_hash != raw
    assert ApiToken.objects.filter(key_hash=raw).count() == 0
    assert api.with_token(raw).get("/api/v1/teams/").status_code == 200
    services.token_revoke(token_id=token.pk)
    response = api.with_token(raw).get("/api/v1/teams/")
    assert response.status_code == 401


def test_an_expired_token_is_refused(api, org, clock):
    token, raw = services.token_issue(
        user=org.mops, scopes=["leads:read"], expires_at=dt.datetime(2026, 11, 17, tzinfo=dt.UTC)
    )
    assert api.with_token(raw).get("/api/v1/teams/").status_code == 200
    clock.move_to(dt.datetime(2026, 11, 18, tzinfo=dt.UTC))
    assert api.with_token(raw).get("/api/v1/teams/").status_code == 401


def test_a_token_without_the_admin_scope_cannot_write_people_and_is_told_which_scope(api, org):
    _, raw = services.token_issue(user=org.admin, scopes=["leads:read"])
    response = api.with_token(raw).post("/api/v1/teams/", {"name": "X", "kind": "sales"}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["details"]["scope"] == "admin"


def test_issue_token_command_prints_the_key_once(org, capsys):
    call_command("issue_token", "--user", "mops", "--scope", "leads:read", "--scope", "reports:read")
    out = capsys.readouterr().out.strip().splitlines()
    raw = out[-1].strip()
    assert raw.startswith("lo_")
    token = ApiToken.objects.get(user=org.mops)
    assert sorted(token.scopes) == ["leads:read", "reports:read"]
    assert token.key_hash != raw


def test_issue_token_command_rejects_an_unknown_scope(org):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Unknown scope"):
        call_command("issue_token", "--user", "mops", "--scope", "leads:delete")


def test_only_admins_create_users_and_a_sales_rep_gets_a_rep_profile(api, org):
    body = {
        "username": "newrep",
        "role": "sales_rep",
        "team": org.east.pk,
        "password": "a-long-pass-phrase-9",
    }
    assert api.as_user(org.manager_east).post("/api/v1/users/", body, format="json").status_code == 403
    response = api.as_user(org.admin).post("/api/v1/users/", body, format="json")
    assert response.status_code == 201, response.json()
    assert "password" not in response.json()
    assert RepProfile.objects.filter(user__username="newrep").exists()


def test_invalid_user_input_answers_422_naming_the_field(api, org):
    response = api.as_user(org.admin).post("/api/v1/users/", {"username": "x y", "role": "boss"}, format="json")
    assert response.status_code == 422
    assert {"username", "role"} <= set(response.json()["error"]["details"]["fields"])


def test_duplicate_username_is_a_409(api, org):
    response = api.as_user(org.admin).post("/api/v1/users/", {"username": "mops", "role": "admin"}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "duplicate"


def test_malformed_json_is_a_400(api, org):
    response = api.as_user(org.admin).generic("POST", "/api/v1/teams/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_request"


def test_a_rep_sees_only_own_team_reps(api, org):
    names = {r["username"] for r in api.as_user(org.rep_west).get("/api/v1/reps/").json()["results"]}
    assert names == {"rep_west"}
    names = {r["username"] for r in api.as_user(org.mops).get("/api/v1/reps/").json()["results"]}
    assert names == {"rep_east", "rep_east2", "rep_west"}
    other = RepProfile.objects.get(user=org.rep_east)
    assert api.as_user(org.rep_west).get(f"/api/v1/reps/{other.pk}/").status_code == 404


def test_admin_edits_rep_routing_facts_and_bad_values_are_422(api, org):
    rep = RepProfile.objects.get(user=org.rep_east)
    client = api.as_user(org.admin)
    ok = client.patch(
        f"/api/v1/reps/{rep.pk}/",
        {
            "weight": 3,
            "time_zone": "Europe/Berlin",
            "out_of_office": [
                {"starts_at": "2026-12-01T00:00:00Z", "ends_at": "2026-12-05T00:00:00Z", "note": "leave"}
            ],
        },
        format="json",
    )
    assert ok.status_code == 200, ok.json()
    assert ok.json()["weight"] == 3 and len(ok.json()["out_of_office"]) == 1
    for bad, field in [
        ({"weight": 0}, "weight"),
        ({"capacity": -1}, "capacity"),
        ({"time_zone": "Mars/Base"}, "time_zone"),
        (
            {"out_of_office": [{"starts_at": "2026-12-05T00:00:00Z", "ends_at": "2026-12-01T00:00:00Z"}]},
            "out_of_office",
        ),
    ]:
        response = client.patch(f"/api/v1/reps/{rep.pk}/", bad, format="json")
        assert response.status_code == 422, bad
        assert field in response.json()["error"]["details"]["fields"]
    rep.refresh_from_db()
    assert rep.weight == 3 and rep.time_zone == "Europe/Berlin"


def test_leadership_is_read_only(api, org):
    client = api.as_user(org.lead_)
    assert client.get("/api/v1/teams/").status_code == 200
    assert client.post("/api/v1/teams/", {"name": "T", "kind": "sales"}, format="json").status_code == 403


def test_cursor_pagination_walks_every_row_once_both_ways(api, org):
    for i in range(7):
        services.user_create(username=f"p{i:02d}", role=Role.SALES_REP, team=org.east)
    client = api.as_user(org.admin)
    seen, url = [], "/api/v1/users/?page_size=3&ordering=username"
    pages = []
    while url:
        body = client.get(url).json()
        pages.append(body)
        seen += [u["username"] for u in body["results"]]
        url = body["next"]
    assert seen == sorted(seen)
    assert len(seen) == len(set(seen)) == 16
    back = client.get(pages[-1]["previous"]).json()
    assert [u["username"] for u in back["results"]] == [u["username"] for u in pages[-2]["results"]]
    assert pages[0]["previous"] is None


def test_bad_pagination_parameters_are_422(api, org):
    client = api.as_user(org.admin)
    for query in ["page_size=501", "page_size=x", "ordering=password", "cursor=!!!"]:
        response = client.get(f"/api/v1/users/?{query}")
        assert response.status_code == 422, query


def test_schema_and_docs_are_served(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/users/" in schema.content
    assert client.get("/api/docs/").status_code == 200


def test_healthz_reports_database_and_broker(client, settings):
    from leadops import stack

    settings.CELERY_BROKER_URL = stack.ensure_redis().url
    from leadops.celery import app

    app.conf.broker_url = settings.CELERY_BROKER_URL
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "broker": "ok"}


def test_healthz_is_503_when_the_broker_is_down(client):
    from leadops.celery import app

    app.conf.broker_url = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "ok"
    assert response.json()["checks"]["broker"].startswith("error")


def test_an_unknown_field_is_a_422_naming_it_not_silently_ignored(api, org):
    rep = RepProfile.objects.get(user=org.rep_east)
    response = api.as_user(org.admin).patch(f"/api/v1/reps/{rep.pk}/", {"weigth": 5}, format="json")
    assert response.status_code == 422
    assert "weigth" in response.json()["error"]["details"]["fields"]
