"""/api/v1/scoring-models/ and the score explanation on the lead detail."""

from __future__ import annotations

import datetime as dt

import pytest

from leadops import services as org_services
from leadops.models import Scope
from lifecycle.models import Lead
from scoring import services
from scoring.models import RunStatus, ScoringModel
from tests.scoring.conftest import GOOD_FIT
from tests.scoring.test_runs import v2_rules

URL = "/api/v1/scoring-models/"


def body(**changes):
    data = v2_rules(threshold=50)
    data.update(changes)
    return data


def test_everyone_reads_the_versions_with_their_rules(org, api):
    answer = api.as_user(org.rep_east).get(URL)

    assert answer.status_code == 200
    (default,) = answer.json()["results"]
    assert (default["version"], default["is_active"], default["threshold"]) == (1, True, 60)
    assert default["high_intent_event_types"] == ["demo_request", "contact_sales"]
    assert default["fit_rules"][0] == {"name": "Company size 50-500", "field": "employee_count",
                                       "operator": "range", "value": {"min": 50, "max": 500}, "points": 20}
    assert {r["event_type"]: (r["points"], r["cap"], r["half_life_days"]) for r in default["behaviour_rules"]}[
        "demo_request"] == (40, 40, 30.0)
    assert api.get(f"{URL}{default['id']}/").json()["version"] == 1
    assert api.get(f"{URL}999999/").status_code == 404


@pytest.mark.parametrize("who", ["mops", "admin"])
def test_marketing_ops_and_admins_create_a_new_version(org, api, who):
    answer = api.as_user(getattr(org, who)).post(URL, body(name="Tighter"), format="json")

    assert answer.status_code == 201, answer.json()
    data = answer.json()
    assert (data["version"], data["is_active"], data["name"], data["latest_run"]) == (2, False, "Tighter", None)
    assert len(data["fit_rules"]) == 7 and data["created_by"] == getattr(org, who).pk


@pytest.mark.parametrize("who", ["rep_east", "manager_east", "lead_"])
def test_other_roles_may_not_create_versions(org, api, who):
    assert api.as_user(getattr(org, who)).post(URL, body(), format="json").status_code == 403
    assert ScoringModel.objects.count() == 1


def test_a_token_needs_the_admin_scope_to_write(org, api):
    _, raw = org_services.token_issue(user=org.mops, scopes=[Scope.LEADS_READ])
    answer = api.with_token(raw).post(URL, body(), format="json")

    assert answer.status_code == 403 and answer.json()["error"]["details"] == {"scope": "admin"}


def _rule(kind, index, **fields):
    data = body()
    data[kind][index] = {**data[kind][index], **fields}
    return data


@pytest.mark.parametrize(("data", "path", "words"), [
    (_rule("fit_rules", 2, field="shoe_size"), ("fit_rules", "2", "field"), "unknown field 'shoe_size'"),
    (_rule("fit_rules", 0, operator="between"), ("fit_rules", "0", "operator"), "unknown operator 'between'"),
    (_rule("fit_rules", 0, operator="contains"), ("fit_rules", "0", "operator"), "does not apply"),
    (_rule("fit_rules", 1, value="Software"), ("fit_rules", "1", "value"), "non-empty list"),
    (_rule("behaviour_rules", 3, half_life_days=-30), ("behaviour_rules", "3", "half_life_days"), "above 0"),
    (body(threshold=0), ("threshold",), "from 1 to 1000"),
    (body(threshold=5000), ("threshold",), "from 1 to 1000"),
])
def test_bad_rules_are_422_naming_the_rule(org, api, data, path, words):
    answer = api.as_user(org.mops).post(URL, data, format="json")

    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "invalid_scoring_model"
    found = error["details"]["fields"]
    for key in path:
        found = found[key]
    assert words in found
    assert words in error["message"]
    if path[0] != "threshold":
        kind, index = path[0], path[1]
        assert error["message"].startswith(f"{kind}[{index}] ('")  # the rule by position and name
        assert error["details"]["rules"][0]["path"] == f"{kind}[{index}].{path[2]}"
    assert ScoringModel.objects.count() == 1


def test_malformed_rules_are_422_naming_the_rule_too(org, api):
    data = _rule("fit_rules", 1, points="lots")
    data["behaviour_rules"][0]["colour"] = "red"

    answer = api.as_user(org.mops).post(URL, data, format="json")

    assert answer.status_code == 422
    fields = answer.json()["error"]["details"]["fields"]
    assert "integer" in fields["fit_rules"]["1"]["points"][0]
    assert fields["behaviour_rules"]["0"]["colour"] == ["Unknown field."]


def test_activation_starts_the_rescore_and_reports_progress(org, api, make_lead, django_capture_on_commit_callbacks):
    lead = make_lead(**GOOD_FIT)  # 45: an MQL under a threshold of 40
    created = api.as_user(org.mops).post(URL, body(threshold=40), format="json").json()

    with django_capture_on_commit_callbacks(execute=True):
        answer = api.post(f"{URL}{created['id']}/activate/")

    assert answer.status_code == 202
    run = answer.json()
    assert (run["version"], run["kind"], run["total"]) == (2, "activation", Lead.objects.count())
    detail = api.get(f"{URL}{created['id']}/").json()
    assert detail["is_active"] is True
    latest = detail["latest_run"]
    assert (latest["id"], latest["status"], latest["done"], latest["total"], latest["percent"], latest["promoted"]) == (
        run["id"], "done", Lead.objects.count(), Lead.objects.count(), 100.0, 1)
    assert Lead.objects.get(pk=lead.pk).stage == "mql"
    assert api.get(f"{URL}?ordering=version").json()["results"][0]["is_active"] is False

    again = api.post(f"{URL}{created['id']}/activate/")
    assert (again.status_code, again.json()["id"]) == (200, run["id"])


def test_progress_of_a_running_activation(org, api, make_lead):
    for _ in range(3):
        make_lead()
    v2 = services.scoring_model_create(**v2_rules())
    run, _ = services.scoring_model_activate(model_id=v2.pk)
    services.rescore_run_batch(run_id=run.pk, batch_size=1)

    latest = api.as_user(org.lead_).get(f"{URL}{v2.pk}/").json()["latest_run"]

    assert (latest["status"], latest["done"], latest["total"]) == (RunStatus.RUNNING, 1, 3)
    assert latest["percent"] == pytest.approx(33.3)


def test_an_invalid_version_is_refused_on_activation(org, api):
    bad = ScoringModel.objects.create(version=2, threshold=60)
    bad.behaviour_rules.create(event_type="email_open", points=1, half_life_days=-1)

    answer = api.as_user(org.admin).post(f"{URL}{bad.pk}/activate/")

    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["message"].startswith("This scoring model is invalid and cannot be activated: behaviour_rules[0]")
    assert "half_life_days" in error["details"]["fields"]["behaviour_rules"]["0"]
    assert ScoringModel.objects.get(is_active=True).version == 1
    assert api.as_user(org.rep_east).post(f"{URL}{bad.pk}/activate/").status_code == 403


def test_the_dry_run_is_started_with_202_and_polled_until_its_result(org, api, make_lead,
                                                                       django_capture_on_commit_callbacks):
    make_lead(source="webinar", **GOOD_FIT)
    make_lead(source="referral")
    v2 = services.scoring_model_create(**v2_rules(threshold=40))
    assert api.as_user(org.mops).get(f"{URL}{v2.pk}/dry-run/").json()["error"]["code"] == "no_dry_run"

    started = api.post(f"{URL}{v2.pk}/dry-run/")  # its worker has not run yet

    assert started.status_code == 202
    job = started.json()
    assert (job["run"]["kind"], job["run"]["status"], job["run"]["done"], job["run"]["total"]) == (
        "dry_run", "running", 0, 2)
    assert (job["evaluated"], job["would_become_mql"], job["computed_at"]) == (0, 0, None)
    assert api.post(f"{URL}{v2.pk}/dry-run/").status_code == 200  # still running: the same job, no second one

    from scoring import tasks
    with django_capture_on_commit_callbacks(execute=True):
        tasks.rescore_run_step.delay(job["run"]["id"], 0)  # what the worker does

    data = api.as_user(org.lead_).get(f"{URL}{v2.pk}/dry-run/").json()
    assert (data["run"]["id"], data["run"]["status"], data["run"]["percent"]) == (job["run"]["id"], "done", 100.0)
    assert (data["model_version"], data["threshold"], data["evaluated"], data["would_become_mql"]) == (2, 40, 2, 1)
    assert data["by_channel"] == [{"channel": "webinar", "count": 1}]
    assert data["computed_at"] is not None
    assert Lead.objects.filter(stage="mql").count() == 0


def test_the_dry_run_refuses_roles_and_invalid_versions(org, api):
    v2 = services.scoring_model_create(**v2_rules(threshold=40))
    assert api.as_user(org.rep_east).get(f"{URL}{v2.pk}/dry-run/").status_code == 403
    assert api.as_user(org.rep_east).post(f"{URL}{v2.pk}/dry-run/").status_code == 403
    assert api.as_user(org.lead_).post(f"{URL}{v2.pk}/dry-run/").status_code == 403  # reads it, starts none
    bad = ScoringModel.objects.create(version=3, threshold=60)
    bad.behaviour_rules.create(event_type="email_open", points=1, half_life_days=-1)

    answer = api.as_user(org.mops).post(f"{URL}{bad.pk}/dry-run/")

    assert answer.status_code == 422
    assert "half_life_days" in answer.json()["error"]["details"]["fields"]["behaviour_rules"]["0"]


def test_the_calibration_report_shows_conversion_by_score_band(org, api, clock, make_lead, record):
    from lifecycle import services as lifecycle
    from tests.lifecycle.walk import BANT

    converted = record(make_lead(**GOOD_FIT), "pricing_page_view")
    converted = record(converted, "pricing_page_view")  # 65 -> MQL by score
    by_demo = record(make_lead(), "demo_request")  # 40 -> MQL by high intent
    for lead in (converted, by_demo):
        lifecycle.lead_assign(lead_id=lead.pk, owner_id=org.rep_east.pk, actor=org.admin)
    lifecycle.lead_accept(lead_id=converted.pk, actor=lifecycle.Actor.of(org.manager_east))
    lifecycle.lead_qualify(lead_id=converted.pk, actor=lifecycle.Actor.of(org.rep_east), bant=BANT)
    clock.shift(dt.timedelta(hours=1))

    answer = api.as_user(org.manager_east).get(f"{URL}calibration/")

    assert answer.status_code == 200
    data = answer.json()
    assert (data["mqls"], data["sqls"], data["conversion"], data["threshold"]) == (2, 1, 0.5, 60)
    bands = {b["band"]: (b["mqls"], b["sqls"], b["conversion"]) for b in data["bands"]}
    assert bands == {"40-59": (1, 0, 0.0), "60-79": (1, 1, 1.0)}
    triggers = {t["trigger"]: (t["mqls"], t["sqls"]) for t in data["by_trigger"]}
    assert triggers == {"score": (1, 1), "high_intent_event": (1, 0)}
    assert api.get(f"{URL}calibration/?days=0").status_code == 422
    assert api.get(f"{URL}calibration/?days=1").json()["mqls"] == 2


def test_the_lead_detail_explains_its_score(org, api, clock, make_lead, record):
    lead = make_lead(title="Director of IT", **GOOD_FIT)  # fit 60: an MQL by fit alone
    clock.shift(dt.timedelta(days=1))
    lead = record(lead, "pricing_page_view")

    explanation = api.as_user(org.mops).get(f"/api/v1/leads/{lead.pk}/").json()["score_explanation"]

    assert (explanation["fit"], explanation["behaviour"], explanation["total"]) == (60, 10, 70)
    assert explanation["total"] == lead.score == sum(c["points"] for c in explanation["contributions"])
    assert (explanation["threshold"], explanation["above_threshold"], explanation["model"]["version"]) == (60, True, 1)
    assert explanation["pending_rescore"] is False
    assert explanation["mql"]["trigger"] == "score"
    rules = [(c["kind"], c["rule"], c["points"]) for c in explanation["contributions"]]
    assert rules == [("fit", "Company size 50-500", 20), ("fit", "Target industry", 15),
                     ("fit", "Director or above", 15), ("fit", "Served country", 10),
                     ("behaviour", "Pricing page view", 10)]
    behaviour = explanation["contributions"][-1]
    assert behaviour["events"] == 1 and behaviour["half_life_days"] == 30.0 and "detail" in behaviour


def test_the_explanation_matches_the_stored_score_until_the_next_rescore(org, api, clock, make_lead, record):
    lead = record(make_lead(), "demo_request")  # 40
    clock.shift(dt.timedelta(days=15))  # decayed to 28, but not yet swept

    explanation = api.as_user(org.mops).get(f"/api/v1/leads/{lead.pk}/").json()["score_explanation"]

    assert explanation["total"] == Lead.objects.get(pk=lead.pk).score == 40
    services.lead_rescore(lead_id=lead.pk)
    explanation = api.get(f"/api/v1/leads/{lead.pk}/").json()["score_explanation"]
    assert explanation["total"] == Lead.objects.get(pk=lead.pk).score == 28


def test_the_lead_timeline_lists_score_changes(org, api, make_lead, record):
    lead = record(make_lead(**GOOD_FIT), "email_click")

    items = api.as_user(org.mops).get(f"/api/v1/leads/{lead.pk}/timeline/").json()["results"]

    scores = [i for i in items if i["kind"] == "score"]
    assert [(i["data"]["old"], i["data"]["new"]) for i in scores] == [(0, 45), (45, 48)]


def test_the_lead_page_partial_renders_the_explanation(org, make_lead, record):
    from django.template.loader import render_to_string

    from scoring.selectors import explanation_for

    lead = record(make_lead(**GOOD_FIT), "demo_request")

    html = render_to_string("scoring/_score_explanation.html", {"explanation": explanation_for(lead)})

    assert "Score <strong>85</strong> = fit 45 + behaviour 40" in html
    assert "Became MQL on a high-intent event" in html
    assert '<th scope="row">Demo request</th><td>behaviour</td><td>40</td>' in html


def test_the_version_list_costs_the_same_queries_for_one_or_many_versions(org, api, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api.as_user(org.mops)
    with CaptureQueriesContext(connection) as one:
        assert client.get(URL).status_code == 200
    for threshold in (40, 50, 70):
        services.scoring_model_create(**v2_rules(threshold=threshold))
    services.scoring_model_activate(model_id=ScoringModel.objects.get(version=3).pk)

    with django_assert_num_queries(len(one.captured_queries)):
        assert len(client.get(URL).json()["results"]) == 4


def test_a_lead_whose_first_rescore_is_still_queued_is_explained_live_and_says_so(org, api):
    from tests.lifecycle.factories import LeadFactory

    lead = LeadFactory(title="VP Sales")  # its lead.created reaction has not run

    explanation = api.as_user(org.mops).get(f"/api/v1/leads/{lead.pk}/").json()["score_explanation"]

    assert (explanation["total"], explanation["pending_rescore"]) == (15, True)
    assert Lead.objects.get(pk=lead.pk).score == 0
