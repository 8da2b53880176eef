"""The /api/v1/reports/ endpoints: shapes, who may read, 422s naming the field, and CSV safety."""

from __future__ import annotations

import csv
import io

import pytest

from leadops import services
from reporting.api.csv import safe_cell
from tests.reporting.conftest import at

BASE = "/api/v1/reports"


@pytest.fixture
def data(history, org):
    h = history
    camp = h.campaign("=HYPERLINK(\"http://evil.example\",\"x\")", "webinar", "500")
    lead = h.lead(source="webinar", team=org.east, score=70, first_campaign=camp)
    h.path(lead, [("mql", at(11, 2, 10)), ("sal", at(11, 3)), ("sql", at(11, 4))])
    h.event(lead, camp, at(10, 20))
    h.opportunity(lead, "1200", created=at(11, 5), stage="closed_won", closed=at(11, 6))
    other = h.lead(source="paid_search", score=10)
    h.path(other, [("mql", at(11, 5)), ("disqualified", at(11, 6))])
    h.clock(lead, "first_contact", at(11, 2, 14), "met", team=org.east, rep=org.rep_east)
    return camp


def rows_of(response):
    return list(csv.reader(io.StringIO(response.content.decode())))


@pytest.mark.parametrize("who", ["rep_east", "lead_", "mops", "manager_west", "admin"])
def test_every_role_reads_the_same_shared_funnel(api, org, data, who):
    response = api.as_user(getattr(org, who)).get(f"{BASE}/funnel/?from=2026-11-01&to=2026-11-30&group_by=channel")
    assert response.status_code == 200
    body = response.json()
    assert (body["from"], body["to"], body["group_by"]) == ("2026-11-01", "2026-11-30", "channel")
    rows = {r["key"]: r for r in body["rows"]}
    # even a rep of another team (and a west manager) sees the company-wide cohort: 2 MQLs, 1 SQL
    assert rows["webinar"]["sqls"] == 1 and rows["paid_search"]["rejected"] == 1
    assert body["total"] | {"flags": []} == {
        "key": "total", "label": "Total", "mqls": 2, "accepted": 1, "rejected": 1, "sqls": 1, "opportunities": 0,
        "customers": 0, "mql_to_sql": 0.5, "acceptance_rate": 0.5, "lead_to_opportunity": 0.0, "flags": []}
    assert body["total"]["flags"] == ["acceptance_below_floor", "mql_to_sql_healthy"]


def test_sla_weekly_and_attribution_shapes(api, org, data):
    client = api.as_user(org.lead_)
    sla = client.get(f"{BASE}/sla/?from=2026-11-01&to=2026-11-30&group_by=rep").json()
    assert [(r["label"], r["met"], r["compliance"]) for r in sla["rows"]] == [("rep_east", 1, 1.0)]
    assert sla["speed_total"]["never_contacted"] == 2 and sla["target"] == 0.9
    weekly = client.get(f"{BASE}/weekly-pipeline/?week=2026-W45").json()
    assert weekly["week"] == "2026-W45" and len(weekly["weeks"]) == 13
    assert weekly["current"]["mqls"] == 2 and weekly["current"]["sqls"] == 1  # Nov 2-8
    assert {"coverage", "aging", "rejection_reasons", "open_escalations", "generated_at"} <= set(weekly)
    attribution = client.get(f"{BASE}/attribution/?from=2026-11-01&to=2026-11-30&model=u_shaped").json()
    assert attribution["won_revenue"] == "1200.00"
    assert [(c["revenue"], c["sqls"], c["cost_per_sql"]) for c in attribution["campaigns"]] == [
        ("1200.00", 1, "500.00")]
    assert attribution["channels"][0]["channel"] == "webinar"


def test_defaults_are_the_last_30_days_and_this_week(api, org, clock):
    client = api.as_user(org.rep_east)
    body = client.get(f"{BASE}/funnel/").json()
    assert (body["from"], body["to"], body["group_by"], body["rows"]) == ("2026-10-18", "2026-11-16", "channel", [])
    assert client.get(f"{BASE}/weekly-pipeline/").json()["week"] == "2026-W47"
    assert client.get(f"{BASE}/attribution/").json()["model"] == "first_touch"


@pytest.mark.parametrize(("url", "field"), [
    ("funnel/?from=2026-11-30&to=2026-11-01", "from"),
    ("funnel/?group_by=owner", "group_by"),
    ("funnel/?from=2026-13-01", "from"),
    ("funnel/?from=2020-01-01&to=2026-11-01", "from"),
    ("sla/?group_by=channel", "group_by"),
    ("sla/?to=yesterday", "to"),
    ("attribution/?model=w_shaped", "model"),
    ("weekly-pipeline/?week=2026-W54", "week"),
    ("weekly-pipeline/?week=2026-47", "week"),
    ("weekly-pipeline/?week=", "week"),
    ("funnel.csv?group_by=x", "group_by"),
    ("funnel/?to=9999-12-31", "to"),
    ("sla/?from=0001-01-01&to=0001-01-05", "from"),
    ("weekly-pipeline/?week=9999-W52", "week"),
    ("weekly-pipeline/?week=0001-W05", "week"),
])
def test_bad_parameters_answer_422_naming_the_field(api, org, url, field):
    response = api.as_user(org.mops).get(f"{BASE}/{url}")
    assert response.status_code == 422
    if url.startswith("funnel.csv"):
        assert rows_of(response)[1][0] == "validation_error"
        return
    error = response.json()["error"]
    assert error["code"] == "validation_error" and field in error["details"]["fields"]


def test_auth_and_scope(api, org, data):
    assert api.get(f"{BASE}/funnel/").status_code == 401
    _, without = services.token_issue(user=org.integrator, scopes=["leads:read"])
    response = api.with_token(without).get(f"{BASE}/sla/")
    assert response.status_code == 403 and response.json()["error"]["details"] == {"scope": "reports:read"}
    _, raw = services.token_issue(user=org.integrator, scopes=["reports:read"])
    assert api.with_token(raw).get(f"{BASE}/attribution.csv").status_code == 200
    assert api.as_user(org.admin).post(f"{BASE}/funnel/", {}, format="json").status_code == 405


def test_csv_exports_neutralise_formulas(api, org, data):
    client = api.as_user(org.mops)
    response = client.get(f"{BASE}/funnel.csv?from=2026-11-01&to=2026-11-30&group_by=campaign")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert 'filename="funnel.csv"' in response["Content-Disposition"]
    table = rows_of(response)
    assert table[0][:4] == ["group_by", "key", "label", "mqls"]
    labels = [row[2] for row in table[1:]]
    assert "'=HYPERLINK(\"http://evil.example\",\"x\")" in labels and labels[-1] == "Total"
    attribution = rows_of(client.get(f"{BASE}/attribution.csv?from=2026-11-01&to=2026-11-30&model=linear"))
    assert attribution[1][2].startswith("'=") and attribution[1][4] == "1200.00"
    for name in ("sla", "weekly-pipeline"):
        assert client.get(f"{BASE}/{name}.csv").status_code == 200


@pytest.mark.parametrize(("raw", "safe"), [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("a=1", "a=1"), ("", ""), (None, ""), (12, "12"), (-0.5, "'-0.5"),
])
def test_safe_cell(raw, safe):
    assert safe_cell(raw) == safe


@pytest.mark.parametrize(("url", "most"), [
    ("funnel/?from=2026-11-01&to=2026-11-30&group_by=campaign", 8),
    ("sla/?from=2026-11-01&to=2026-11-30&group_by=rep", 10),
    ("attribution/?from=2026-11-01&to=2026-11-30&model=linear", 9),
    ("weekly-pipeline/?week=2026-W47", 14),
])
def test_reports_run_a_bounded_number_of_queries(api, org, data, history, django_assert_max_num_queries, url, most):
    for i in range(5):  # more data must not mean more queries
        lead = history.lead(source="email", team=org.west, first_campaign=data)
        history.path(lead, [("mql", at(11, 10 + i)), ("sal", at(11, 20))])
        history.assign(lead, org.rep_west, at(11, 10 + i, 13))
        history.opportunity(lead, "10", created=at(11, 21), stage="closed_won", closed=at(11, 22))
    client = api.as_user(org.lead_)
    with django_assert_max_num_queries(most):
        assert client.get(f"{BASE}/{url}").status_code == 200
