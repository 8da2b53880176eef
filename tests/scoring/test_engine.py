"""The pure scoring function: properties (hypothesis) and the worked numbers of domain.md section 5."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.defaults import DEFAULT_MODEL
from scoring.engine import (
    BehaviourRuleDef,
    FitRuleDef,
    InvalidModel,
    ModelDef,
    compile_model,
    promotes_by_score,
    score,
    validate_model,
)

NOW = dt.datetime(2026, 11, 16, 9, 0, tzinfo=dt.UTC)
DEFAULT = compile_model(DEFAULT_MODEL)
EVENT_TYPES = ["demo_request", "contact_sales", "pricing_page_view", "webinar_attended", "content_download",
               "email_click", "email_open", "page_view"]

PROPERTIES = settings(max_examples=100, deadline=None, database=None)  # no example files in the repo


def facts(**overrides):
    base = {
        "title": "", "seniority": "", "industry": "", "employee_count": None, "country": "", "lead_type":
        "new_business", "source": "", "email_domain": "acme.example", "company_domain": "acme.example",
        "company_name": "Acme", "free_mail": False, "account.industry": None, "account.employee_count": None,
        "account.country": None, "account.domain": None, "account.annual_revenue": None,
    }
    return {**base, **overrides}


def ago(days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


# --- strategies ---------------------------------------------------------------------------------------------------

behaviour_rules = st.lists(
    st.builds(
        BehaviourRuleDef,
        event_type=st.sampled_from(EVENT_TYPES),
        points=st.integers(-50, 100),
        cap=st.one_of(st.none(), st.integers(1, 200)),
        half_life_days=st.one_of(st.none(), st.floats(0.5, 365)),
    ),
    max_size=6, unique_by=lambda r: r.event_type,
)
fit_rules = st.lists(st.sampled_from(list(DEFAULT_MODEL.fit_rules)), max_size=7, unique_by=lambda r: r.name)
models = st.builds(ModelDef, version=st.just(7), threshold=st.integers(1, 200),
                   high_intent_event_types=st.just(("demo_request",)),
                   fit_rules=fit_rules.map(tuple), behaviour_rules=behaviour_rules.map(tuple))
events = st.lists(st.tuples(st.sampled_from(EVENT_TYPES), st.floats(-0.01, 400).map(ago)), max_size=60)
lead_facts = st.builds(
    facts,
    title=st.sampled_from(["", "Student", "VP Sales", "Director of IT", "Engineer"]),
    seniority=st.sampled_from(["", "individual", "manager", "director", "vp", "cxo"]),
    industry=st.sampled_from(["", "Software", "software ", "Retail", "Fintech"]),
    employee_count=st.one_of(st.none(), st.integers(0, 5000)),
    country=st.sampled_from(["", "US", "us", "BR", "DE"]),
    email_domain=st.sampled_from(["acme.example", "gmail.com", "hubspot.com"]),
    free_mail=st.booleans(),
)


# --- properties ---------------------------------------------------------------------------------------------------


@PROPERTIES
@given(model=models, lead=lead_facts, evs=events)
def test_the_total_is_the_sum_of_the_contributions(model, lead, evs):
    result = score(lead, evs, compile_model(model), NOW)

    assert result.total == sum(c.points for c in result.contributions)
    assert result.fit == sum(c.points for c in result.contributions if c.kind == "fit")
    assert result.behaviour == sum(c.points for c in result.contributions if c.kind == "behaviour")
    assert result.total == result.fit + result.behaviour


@PROPERTIES
@given(model=models, lead=lead_facts, evs=events)
def test_caps_hold_for_every_event_type(model, lead, evs):
    result = score(lead, evs, compile_model(model), NOW)

    for c in result.contributions:
        if c.kind == "behaviour" and c.cap is not None:
            assert abs(c.points) <= c.cap
            if c.capped:
                assert abs(c.points) == c.cap
            else:
                assert abs(c.decayed_points) <= c.cap + 0.005


@PROPERTIES
@given(model=models, lead=lead_facts, evs=events, later=st.floats(0, 400))
def test_decay_is_monotone_in_time(model, lead, evs, later):
    spec = compile_model(model)
    earlier_result = score(lead, evs, spec, NOW)
    later_result = score(lead, evs, spec, NOW + dt.timedelta(days=later))

    before = {c.event_type: c.points for c in earlier_result.contributions if c.kind == "behaviour"}
    after = {c.event_type: c.points for c in later_result.contributions if c.kind == "behaviour"}
    assert before.keys() == after.keys()
    for event_type, points in after.items():
        assert abs(points) <= abs(before[event_type])  # every type only fades towards 0
        assert points * before[event_type] >= 0  # and never changes sign
    assert later_result.fit == earlier_result.fit


@PROPERTIES
@given(model=models, lead=lead_facts, evs=events, seed=st.integers())
def test_the_same_facts_always_give_the_same_score(model, lead, evs, seed):
    shuffled = list(evs)
    random.Random(seed).shuffle(shuffled)

    first = score(lead, evs, compile_model(model), NOW)
    again = score(dict(lead), shuffled, compile_model(model), NOW)

    assert again == first


# --- the default model's numbers (domain.md section 5) ------------------------------------------------------------


def test_a_perfect_fit_scores_sixty_and_reaches_the_threshold_alone():
    lead = facts(employee_count=120, industry="Software", seniority="vp", country="US")

    result = score(lead, [], DEFAULT, NOW)

    assert (result.fit, result.behaviour, result.total) == (60, 0, 60)
    assert result.above_threshold
    assert [c.rule for c in result.contributions] == [
        "Company size 50-500", "Target industry", "Director or above", "Served country"]


@pytest.mark.parametrize(("overrides", "fit"), [
    ({"free_mail": True, "email_domain": "gmail.com"}, -10),
    ({"email_domain": "hubspot.com"}, -50),
    ({"title": "PhD Student"}, -50),
    ({"employee_count": 49}, 0),
    ({"employee_count": 500}, 20),
    ({"employee_count": 501}, 0),
    ({"industry": "  SOFTWARE "}, 15),  # text compares trimmed, ignoring case
    ({"seniority": "manager"}, 0),
    ({"country": "BR"}, 0),
])
def test_each_fit_rule_of_the_default_model(overrides, fit):
    assert score(facts(**overrides), [], DEFAULT, NOW).fit == fit


def test_behaviour_decays_with_a_thirty_day_half_life():
    assert score(facts(), [("demo_request", ago(0))], DEFAULT, NOW).behaviour == 40
    assert score(facts(), [("demo_request", ago(30))], DEFAULT, NOW).behaviour == 20
    assert score(facts(), [("demo_request", ago(60))], DEFAULT, NOW).behaviour == 10
    assert score(facts(), [("pricing_page_view", ago(30))], DEFAULT, NOW).behaviour == 5


def test_caps_per_type_limit_repeated_events():
    opens = [("email_open", ago(0))] * 50
    views = [("pricing_page_view", ago(0))] * 5

    result = score(facts(), opens + views, DEFAULT, NOW)

    by_type = {c.event_type: c for c in result.contributions}
    assert by_type["email_open"].points == 5 and by_type["email_open"].capped
    assert by_type["email_open"].raw_points == 50 and by_type["email_open"].events == 50
    assert by_type["pricing_page_view"].points == 30
    assert result.behaviour == 35


def test_events_without_a_rule_score_nothing_and_a_future_event_counts_in_full():
    result = score(facts(), [("page_view", ago(0)), ("email_click", NOW + dt.timedelta(seconds=30))], DEFAULT, NOW)

    assert result.behaviour == 3
    assert [c.event_type for c in result.contributions] == ["email_click"]


def test_a_missing_fact_never_matches_even_not_in():
    model = compile_model(ModelDef(version=2, threshold=60, fit_rules=(
        FitRuleDef("Outside the US", "country", "not_in", ["US"], 5),
        FitRuleDef("Known revenue", "account.annual_revenue", "range", {"min": 0}, 5),
    )))

    assert score(facts(country=""), [], model, NOW).fit == 0
    assert score(facts(country="DE"), [], model, NOW).fit == 5
    assert score(facts(**{"account.annual_revenue": 10}), [], model, NOW).fit == 5


def test_the_explanation_says_what_each_rule_added():
    result = score(facts(employee_count=80), [("pricing_page_view", ago(30)), ("pricing_page_view", ago(0))],
                   DEFAULT, NOW)

    fit, behaviour = result.contributions
    assert (fit.kind, fit.field, fit.value, fit.points) == ("fit", "employee_count", 80, 20)
    assert "50-500" in fit.detail
    assert (behaviour.event_type, behaviour.events, behaviour.raw_points, behaviour.decayed_points) == (
        "pricing_page_view", 2, 20, 15.0)
    assert behaviour.points == 15 and behaviour.half_life_days == 30.0 and behaviour.latest_at == NOW
    assert "half-life 30 d" in behaviour.detail


# --- validation ---------------------------------------------------------------------------------------------------


def problems_of(**changes):
    model = ModelDef(version=1, threshold=changes.pop("threshold", 60), **changes)
    return [(p.path, p.message) for p in validate_model(model)]


@pytest.mark.parametrize(("changes", "path", "words"), [
    ({"threshold": 0}, "threshold", "from 1 to 1000"),
    ({"threshold": 1001}, "threshold", "from 1 to 1000"),
    ({"fit_rules": (FitRuleDef("Revenue", "revenue", "equals", 1, 5),)}, "fit_rules[0].field", "unknown field"),
    ({"fit_rules": (FitRuleDef("Size", "employee_count", "between", [1, 2], 5),)}, "fit_rules[0].operator",
     "unknown operator"),
    ({"fit_rules": (FitRuleDef("Size", "employee_count", "contains", "5", 5),)}, "fit_rules[0].operator",
     "does not apply"),
    ({"fit_rules": (FitRuleDef("Size", "employee_count", "range", {"min": 500, "max": 50}, 5),)},
     "fit_rules[0].value", "min must not be greater"),
    ({"fit_rules": (FitRuleDef("Size", "employee_count", "range", [50, 500], 5),)}, "fit_rules[0].value",
     "must be an object"),
    ({"fit_rules": (FitRuleDef("Geo", "country", "in", [], 5),)}, "fit_rules[0].value", "non-empty list"),
    ({"fit_rules": (FitRuleDef("", "country", "in", ["US"], 5),)}, "fit_rules[0].name", "needs a name"),
    ({"behaviour_rules": (BehaviourRuleDef("email_open", 1, half_life_days=-3),)},
     "behaviour_rules[0].half_life_days", "above 0"),
    ({"behaviour_rules": (BehaviourRuleDef("email_open", 1, cap=0),)}, "behaviour_rules[0].cap", "from 1"),
    ({"behaviour_rules": (BehaviourRuleDef("email_open", 1), BehaviourRuleDef("email_open", 2))},
     "behaviour_rules[1].event_type", "already has a rule"),
    ({"behaviour_rules": (BehaviourRuleDef("email open!", 1),)}, "behaviour_rules[0].event_type",
     "not an event type"),
])
def test_validation_names_the_rule_and_what_is_wrong(changes, path, words):
    problems = problems_of(**changes)

    assert [p for p, _ in problems] == [path]
    assert words in problems[0][1]


def test_an_invalid_model_cannot_be_compiled():
    with pytest.raises(InvalidModel) as exc:
        compile_model(ModelDef(version=1, threshold=60, fit_rules=(FitRuleDef("Big", "size", "equals", 1, 5),)))

    assert "fit_rules[0] ('Big'): unknown field 'size'" in str(exc.value)


def test_the_default_model_is_valid():
    assert validate_model(DEFAULT_MODEL) == []


# --- the MQL decision ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("stage", "old", "new", "promotes"), [
    ("subscriber", 0, 60, True),
    ("lead", 59, 60, True),
    ("lead", 70, 75, True),  # at or above while still a lead: MQL
    ("lead", 0, 59, False),
    ("nurture", 50, 65, True),  # crossing from below
    ("nurture", 65, 70, False),  # returned by sales above the threshold: no bounce back
    ("disqualified", 0, 100, False),  # only a high-intent event brings it back
    ("mql", 0, 100, False),
    ("sal", 100, 10, False),
])
def test_which_rescores_make_an_mql(stage, old, new, promotes):
    assert promotes_by_score(stage, old, new, 60) is promotes
