"""The alignment pulse (answers, NPS per team and side, the pages, the API, the in-app prompt) and the
alignment score with its components, on hand-built data; expected numbers worked out by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from leadops import services as org_services
from leadops.roles import Role
from lifecycle.models import RevenueTarget
from reporting import services, tasks
from reporting.models import ForecastLine, ForecastSnapshot, PulseResponse, PulseSurvey
from reporting.selectors.alignment import alignment_score, pulse_results
from tests.conftest import T0
from tests.reporting.conftest import at

NOV = dt.date(2026, 11, 1)


@pytest.fixture
def pulse(db):
    """November's pulse, open around T0 (Monday 2026-11-16 09:00) for the tests."""
    return PulseSurvey.objects.create(period_start=NOV, opens_at=at(11, 10, 0), closes_at=at(11, 24, 0))


@pytest.fixture
def marketers(org):
    return [org.mops] + [org_services.user_create(username=f"mkt{i}", role=Role.MARKETING_OPS, team=org.marketing)
                         for i in range(3)]


def answer(user, survey, score, comment="", when=T0):
    return services.pulse_respond(user=user, survey=survey, score=score, comment=comment, now=when)


# --- the pulse --------------------------------------------------------------------------------------------


def test_nps_per_team_and_side(pulse, org, marketers):
    # marketing 10, 9, 6, 2: promoters 2, detractors 2 -> NPS 0
    for user, score in zip(marketers, [10, 9, 6, 2], strict=True):
        answer(user, pulse, score)
    # sales: east 9 (promoter), west 8 (passive) -> sales NPS (1 - 0) / 2 = 50; east 100, west 0
    answer(org.rep_east, pulse, 9, "Fast hand-offs lately")
    answer(org.manager_west, pulse, 8)
    results = pulse_results(survey=pulse)
    sides = {r.side: (r.answers, r.promoters, r.passives, r.detractors, r.nps) for r in results.sides}
    assert sides == {"marketing": (4, 2, 0, 2, 0.0), "sales": (2, 1, 1, 0, 50.0)}
    teams = {r.label: (r.side, r.answers, r.nps) for r in results.teams}
    assert teams == {"Marketing": ("marketing", 4, 0.0), "Sales East": ("sales", 1, 100.0),
                     "Sales West": ("sales", 1, 0.0)}
    assert results.comments == [{"side": "sales", "team": "Sales East", "score": 9, "comment": "Fast hand-offs lately"}]


def test_nps_rounding_and_no_answers(pulse, org, marketers):
    assert [(r.side, r.answers, r.nps) for r in pulse_results(survey=pulse).sides] == [
        ("marketing", 0, None), ("sales", 0, None)]  # no answers: no NPS (not 0)
    for user, score in zip(marketers[:3], [9, 7, 0], strict=True):  # (1 - 1) / 3 = 0; then 10 -> (2 - 1) / 4
        answer(user, pulse, score)
    answer(marketers[3], pulse, 10)
    assert pulse_results(survey=pulse).sides[0].nps == 25.0
    answer(org.rep_east, pulse, 6)
    answer(org.rep_west, pulse, 9)
    answer(org.rep_east2, pulse, 9)  # sales: 2 promoters, 1 detractor of 3 -> 33.3
    assert pulse_results(survey=pulse).sides[1].nps == 33.3


def test_one_answer_per_person_members_only_while_open(pulse, org):
    answer(org.rep_east, pulse, 7)
    with pytest.raises(Exception) as exc:
        answer(org.rep_east, pulse, 9)
    assert getattr(exc.value, "code", "") == "already_answered"
    for user in (org.lead_, org.admin, org.integrator):
        with pytest.raises(Exception) as exc:
            answer(user, pulse, 9)
        assert getattr(exc.value, "status", 0) == 403
    with pytest.raises(Exception) as exc:
        answer(org.rep_west, pulse, 9, when=at(11, 24, 0))  # closes_at is excluded
    assert getattr(exc.value, "code", "") == "pulse_closed"
    with pytest.raises(Exception) as exc:
        answer(org.rep_west, pulse, 11)
    assert getattr(exc.value, "status", 0) == 422
    assert PulseResponse.objects.count() == 1


def test_the_monthly_pulse_is_created_once(db, clock):
    first = tasks.pulse_open.delay().get()
    assert first == "2026-11" and tasks.pulse_open.delay().get() == "2026-11"
    survey = PulseSurvey.objects.get()
    assert (survey.opens_at, survey.closes_at) == (at(11, 1, 0), at(11, 15, 0))  # the first 14 days
    services.pulse_ensure(now=at(12, 3))
    assert PulseSurvey.objects.count() == 2


def test_pulse_api(api, pulse, org, clock):
    r = api.as_user(org.rep_east).get("/api/v1/pulses/")
    assert r.status_code == 200
    [item] = r.json()["results"]
    assert (item["period"], item["is_open"], item["answered"]) == ("2026-11", True, False)
    url = f"/api/v1/pulses/{pulse.pk}/answer/"
    r = api.post(url, {"score": 9, "comment": "ok"}, format="json")
    assert r.status_code == 201 and r.json()["side"] == "sales" and r.json()["team"] == org.east.pk
    assert api.get(f"/api/v1/pulses/{pulse.pk}/").json()["answered"] is True
    r = api.post(url, {"score": 3}, format="json")
    assert r.status_code == 409 and r.json()["error"]["code"] == "already_answered"
    api.as_user(org.rep_west)
    for body in ({"score": 11}, {"score": "nine"}, {}, {"score": 5, "mood": "x"}, {"score": 5, "comment": "x" * 1001}):
        r = api.post(url, body, format="json")
        assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error", body
    r = api.as_user(org.lead_).post(url, {"score": 9}, format="json")
    assert r.status_code == 403  # leadership is read-only and not asked
    assert api.as_user(org.mops).post(f"/api/v1/pulses/{pulse.pk + 99}/answer/", {"score": 9},
                                      format="json").status_code == 404
    results = api.as_user(org.lead_).get(f"/api/v1/pulses/{pulse.pk}/results/").json()
    assert results["sides"][1] == {"key": "sales", "label": "Sales", "side": "sales", "answers": 1, "promoters": 1,
                                   "passives": 0, "detractors": 0, "nps": 100.0}
    assert results["comments"] == [{"side": "sales", "team": "Sales East", "score": 9, "comment": "ok"}]


def test_pulse_pages_prompt_and_form_errors(client, pulse, org, clock):
    client.force_login(org.rep_east)
    home = client.get("/").content.decode()
    assert "The alignment pulse 2026-11 is open" in home and f"/pulse/{pulse.pk}/" in home
    page = f"/pulse/{pulse.pk}/"
    r = client.post(page, {"comment": "no score"})
    assert r.status_code == 422 and "Choose a score from 0 to 10." in r.content.decode()
    r = client.post(page, {"score": "12"})
    assert r.status_code == 422 and "Choose a score from 0 to 10." in r.content.decode()
    r = client.post(page, {"score": "4", "comment": "Too many bad leads"})
    assert r.status_code == 302 and r["Location"] == f"/pulse/{pulse.pk}/results/"
    assert "The alignment pulse 2026-11 is open" not in client.get("/").content.decode()  # answered: no prompt
    assert "You answered 4" in client.get(page).content.decode()
    r = client.post(page, {"score": "9"})  # a second answer is refused on the page, not a 500
    assert r.status_code == 409 and "already answered" in r.content.decode()
    html = client.get(f"/pulse/{pulse.pk}/results/").content.decode()
    assert "Too many bad leads" in html and "rep_east" not in html.split("<main")[1]  # comments are anonymous
    client.force_login(org.lead_)
    assert "alignment pulse 2026-11 is open" not in client.get("/").content.decode()  # leadership is not asked
    assert "answered by members of marketing and sales" in client.get(page).content.decode()
    assert client.get("/pulse/").status_code == 302


# --- the alignment score ----------------------------------------------------------------------------------


@pytest.fixture
def november_alignment(history, org, pulse, marketers):
    """
    SLA clocks due in November: sales 3 met + 1 breached -> 0.75; marketing (routing) 1 met + 1 breached
      -> 0.5; component = (0.75 + 0.5) / 2 = 0.625
    MQL cohort: M1 accepted + SQL, M2 accepted, M3 rejected, M4 not reviewed -> acceptance 2/3 = 0.6667
      -> attainment min(1, 0.6667 / 0.6) = 1; MQL->SQL 1/4 = 0.25 -> 0.25 / 0.4 = 0.625; component 0.8125
    Snapshots of Nov 2 and Nov 9: Q4 open 3,500,000 and 6,000,000 against a Q4 target of 1,000,000 -> 3.5x
      (healthy) and 6.0x (above) -> component 1/2 = 0.5 (the Q1 2027 line does not count)
    Pulse: marketing 10, 9, 6, 2 -> NPS 0 -> 0.5; sales 9, 8 -> NPS 50 -> 0.75; component 0.625
    Score = (30 x 0.625 + 30 x 0.8125 + 20 x 0.5 + 20 x 0.625) / 100 = 18.75 + 24.375 + 10 + 12.5 = 65.625 -> 66
    """
    h, o = history, org
    leads = [h.lead(source="webinar", team=o.east) for _ in range(4)]
    h.path(leads[0], [("mql", at(11, 2)), ("sal", at(11, 3)), ("sql", at(11, 4))])
    h.path(leads[1], [("mql", at(11, 2)), ("sal", at(11, 3))])
    h.path(leads[2], [("mql", at(11, 2)), ("nurture", at(11, 3))])
    h.path(leads[3], [("mql", at(11, 5))])
    for lead, kind, status in [(leads[0], "first_contact", "met"), (leads[1], "first_contact", "met"),
                               (leads[0], "disposition", "met"), (leads[2], "first_contact", "breached")]:
        h.clock(lead, kind, at(11, 10), status, team=o.east, rep=o.rep_east)
    h.clock(leads[0], "routing", at(11, 2, 0, 5), "met")
    h.clock(leads[1], "routing", at(11, 2, 0, 5), "breached")
    h.clock(leads[3], "routing", at(12, 1, 0, 5), "breached")  # December: not counted
    RevenueTarget.objects.create(team=None, period_start=dt.date(2026, 10, 1), amount=Decimal("1000000"))
    for week, amount in [(dt.date(2026, 11, 2), "3500000"), (dt.date(2026, 11, 9), "6000000")]:
        snap = ForecastSnapshot.objects.create(week=week, taken_at=at(week.month, week.day, 0, 5))
        ForecastLine.objects.create(snapshot=snap, deal_stage="discovery", close_quarter=dt.date(2026, 10, 1),
                                    deals=3, amount=Decimal(amount))
        ForecastLine.objects.create(snapshot=snap, deal_stage="discovery", close_quarter=dt.date(2027, 1, 1),
                                    deals=1, amount=Decimal("999999"))
    for user, score in zip(marketers, [10, 9, 6, 2], strict=True):
        answer(user, pulse, score)
    answer(org.rep_east, pulse, 9)
    answer(org.rep_west, pulse, 8)


def test_alignment_score_and_its_components(november_alignment):
    report = alignment_score(month=dt.date(2026, 11, 20))
    c = {x.name: x for x in report.components}
    assert c["sla_compliance"].value == 0.625
    assert c["sla_compliance"].detail["sales"] == {"met": 3, "breached": 1, "compliance": 0.75}
    assert c["sla_compliance"].detail["marketing"] == {"met": 1, "breached": 1, "compliance": 0.5}
    assert c["shared_metrics"].value == 0.8125
    assert (c["shared_metrics"].detail["acceptance_attainment"], c["shared_metrics"].detail["mql_to_sql_attainment"]) \
        == (1.0, 0.625)
    assert c["coverage_stability"].value == 0.5
    assert [w["coverage"] for w in c["coverage_stability"].detail["weeks"]] == [3.5, 6.0]
    assert c["pulse"].value == 0.625
    assert report.score == 66


def test_alignment_score_leaves_out_components_without_data(db, pulse, org):
    empty = alignment_score(month=dt.date(2025, 3, 1))
    assert empty.score is None and all(x.value is None for x in empty.components)
    answer(org.rep_east, pulse, 10)  # only the pulse, only sales: NPS 100 -> 1.0 -> score 100
    report = alignment_score(month=NOV)
    assert report.score == 100 and [x.name for x in report.components if x.value is not None] == ["pulse"]


def test_alignment_api_csv_and_page(api, client, november_alignment, org, clock):
    body = api.as_user(org.rep_east).get("/api/v1/reports/alignment/?month=2026-11").json()
    assert body["score"] == 66 and [c["name"] for c in body["components"]] == [
        "sla_compliance", "shared_metrics", "coverage_stability", "pulse"]
    assert api.get("/api/v1/reports/alignment/").json()["month"] == "2026-11"  # T0's month
    csv = api.get("/api/v1/reports/alignment.csv?month=2026-11").content.decode().splitlines()
    assert csv[0] == "month,component,weight,value,score" and csv[1] == "2026-11,sla_compliance,30,0.625,66"
    for bad in ("2026-13", "26-11", "2026-1"):
        r = api.get(f"/api/v1/reports/alignment/?month={bad}")
        assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error", bad
    client.force_login(org.lead_)
    html = client.get("/dashboards/alignment/?month=2026-11").content.decode()
    assert "66 / 100" in html and "Pipeline-coverage stability" in html and "62.5 %" in html
    assert "Data as of" in html
    r = client.get("/dashboards/alignment/?month=never")
    assert r.status_code == 422 and 'role="alert"' in r.content.decode()


def test_admin_lists_pulses_and_hides_who_answered(client, pulse, org):
    answer(org.rep_east, pulse, 7, "fine")
    client.force_login(org.admin)
    assert client.get("/admin/reporting/pulsesurvey/").status_code == 200
    response = PulseResponse.objects.get()
    html = client.get(f"/admin/reporting/pulseresponse/{response.pk}/change/").content.decode()
    assert "fine" in html and "rep_east" not in html.split('id="content"')[1]
