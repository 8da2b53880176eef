"""Readers of scoring: the active model, a lead's facts and events, explanations, dry runs, calibration.

Nothing here writes. The score arithmetic itself is ``scoring.engine`` (pure); these functions only
gather its inputs from the database and shape its outputs.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce

from leadops import clock
from lifecycle.models import Lead, MarketingEvent, StageTransition
from lifecycle.selectors import TimelineItem
from lifecycle.services.leads import email_domain, is_free_mail
from lifecycle.state_machine import Stage
from scoring.engine import (
    BehaviourRuleDef,
    FitRuleDef,
    ModelDef,
    ModelSpec,
    ScoreResult,
    compile_model,
    score,
)
from scoring.models import (
    BehaviourRule,
    FitRule,
    RescoreLane,
    RescoreRun,
    RunKind,
    RunStatus,
    ScoreChange,
    ScoreReason,
    ScoringModel,
)

# --- models -----------------------------------------------------------------------------------------------


def active_model() -> ScoringModel | None:
    """The one active version (None only in a database where nothing was seeded yet)."""
    return ScoringModel.objects.filter(is_active=True).prefetch_related("fit_rules", "behaviour_rules").first()


def scoring_models() -> QuerySet[ScoringModel]:
    """Every version with its rules and its latest activation or full rescore (a fixed number of queries)."""
    return ScoringModel.objects.select_related("created_by").prefetch_related(
        Prefetch("fit_rules", queryset=FitRule.objects.order_by("position", "id")),
        Prefetch("behaviour_rules", queryset=BehaviourRule.objects.order_by("position", "id")),
        Prefetch("runs", queryset=RescoreRun.objects.filter(kind__in=[RunKind.ACTIVATION, RunKind.FULL])
                 .order_by("-id"), to_attr="recent_runs"),
    )


def latest_run(model: ScoringModel) -> RescoreRun | None:
    runs = getattr(model, "recent_runs", None)
    if runs is not None:
        return runs[0] if runs else None
    return model.runs.filter(kind__in=[RunKind.ACTIVATION, RunKind.FULL]).order_by("-id").first()


def latest_dry_run(model: ScoringModel) -> RescoreRun | None:
    """The latest dry run of a version (running or done), or None."""
    return model.runs.filter(kind=RunKind.DRY_RUN).select_related("model").order_by("-id").first()


def lane_open(*, run_id: int, lane: int) -> bool:
    """The lane still has leads to visit and its run is running."""
    return RescoreLane.objects.filter(run_id=run_id, lane=lane, finished=False,
                                      run__status=RunStatus.RUNNING).exists()


def open_lanes(run_id: int) -> list[int]:
    """The lane numbers of a running run that are not finished (a run without lanes yet: lane 0)."""
    lanes = list(RescoreLane.objects.filter(run_id=run_id, run__status=RunStatus.RUNNING, finished=False)
                 .order_by("lane").values_list("lane", flat=True))
    if not lanes and not RescoreLane.objects.filter(run_id=run_id).exists() and (
            RescoreRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).exists()):
        return [0]
    return lanes



def definition_of(model: ScoringModel) -> ModelDef:
    """The stored version as the engine's plain data (uses prefetched rules when present)."""
    fit = sorted(model.fit_rules.all(), key=lambda r: (r.position, r.pk))
    behaviour = sorted(model.behaviour_rules.all(), key=lambda r: (r.position, r.pk))
    return ModelDef(
        version=model.version,
        threshold=model.threshold,
        high_intent_event_types=tuple(model.high_intent_event_types or ()),
        fit_rules=tuple(FitRuleDef(r.name, r.field, r.operator, r.value, r.points) for r in fit),
        behaviour_rules=tuple(BehaviourRuleDef(r.event_type, r.points, r.cap, r.half_life_days, r.name)
                              for r in behaviour),
    )


def spec_of(model: ScoringModel) -> ModelSpec:
    """The compiled version; raises ``scoring.engine.InvalidModel`` for a stored model that is invalid."""
    return compile_model(definition_of(model))


# Compiled versions by id. A version never changes once written (its threshold, high-intent types and rules:
# scoring.models), so its id names the same spec for good; the few versions a process meets are kept.
_specs: dict[int, ModelSpec] = {}
SPEC_CACHE_SIZE = 32


def cached_spec(model: ScoringModel) -> ModelSpec:
    """``spec_of`` read and compiled once per version and process (reads the rules only the first time)."""
    spec = _specs.get(model.pk)
    if spec is None:
        spec = spec_of(model)
        if len(_specs) >= SPEC_CACHE_SIZE:
            _specs.clear()
        _specs[model.pk] = spec
    return spec


# --- one lead's inputs ------------------------------------------------------------------------------------


# What scoring reads of a lead: its facts, plus its stage and stored scores. Rows are plain dicts (no model
# instances): a rescore of a million leads reads them in batches, and instances cost more than the scoring.
LEAD_ROW_FIELDS = (
    "id", "email", "title", "seniority", "industry", "employee_count", "country", "lead_type", "source",
    "company_domain", "company_name", "stage", "score", "fit_score", "behaviour_score", "high_intent", "account_id",
    "account__industry", "account__employee_count", "account__country", "account__domain",
    "account__annual_revenue",
)


def lead_rows(queryset: QuerySet[Lead]) -> list[dict[str, Any]]:
    return list(queryset.values(*LEAD_ROW_FIELDS))


def lead_row(lead: Lead) -> dict[str, Any]:
    """The same row as ``lead_rows`` from a loaded lead (its account select_related)."""
    row = {name: getattr(lead, name) for name in LEAD_ROW_FIELDS if "__" not in name}
    account = lead.account if lead.account_id else None
    for name in ("industry", "employee_count", "country", "domain", "annual_revenue"):
        row[f"account__{name}"] = getattr(account, name) if account is not None else None
    return row


def facts_of(row: dict[str, Any]) -> dict[str, Any]:
    """The whitelisted facts (``scoring.engine.FACTS``) of a lead row (``lead_rows`` / ``lead_row``).

    Company facts are the lead's own, else its account's; an ``account.*`` fact is None without an account.
    """
    has_account = row["account_id"] is not None
    domain = email_domain(row["email"])
    employees = row["employee_count"]
    return {
        "title": row["title"],
        "seniority": row["seniority"],
        "industry": row["industry"] or row["account__industry"] or "",
        "employee_count": employees if employees is not None else row["account__employee_count"],
        "country": row["country"] or row["account__country"] or "",
        "lead_type": row["lead_type"],
        "source": row["source"],
        "email_domain": domain,
        "company_domain": row["company_domain"] or row["account__domain"] or "",
        "company_name": row["company_name"],
        "free_mail": is_free_mail(domain),
        "account.industry": row["account__industry"] if has_account else None,
        "account.employee_count": row["account__employee_count"] if has_account else None,
        "account.country": row["account__country"] if has_account else None,
        "account.domain": row["account__domain"] if has_account else None,
        "account.annual_revenue": row["account__annual_revenue"] if has_account else None,
    }


def events_of(lead_ids: Iterable[int], event_types: Iterable[str], *,
              recorded_by: dt.datetime | None = None) -> dict[int, list[tuple[str, dt.datetime]]]:
    """``(type, occurred_at)`` of the leads' events of the given types, per lead, in one query."""
    qs = MarketingEvent.objects.filter(lead_id__in=list(lead_ids), type__in=list(event_types))
    if recorded_by is not None:
        qs = qs.filter(created_at__lte=recorded_by)
    grouped: dict[int, list[tuple[str, dt.datetime]]] = defaultdict(list)
    for lead_id, event_type, occurred_at in qs.order_by().values_list("lead_id", "type", "occurred_at"):
        grouped[lead_id].append((event_type, occurred_at))
    return grouped


# --- explanation ("why is this an MQL?") -------------------------------------------------------------------


FIT_KEYS = ("kind", "rule", "points", "detail", "field", "operator", "value")
BEHAVIOUR_KEYS = ("kind", "rule", "points", "detail", "event_type", "events", "raw_points", "decayed_points", "cap",
                  "capped", "half_life_days", "latest_at")


def _contributions(result: ScoreResult) -> list[dict[str, Any]]:
    rows = []
    for c in result.contributions:
        data = asdict(c)
        row = {key: data[key] for key in (FIT_KEYS if c.kind == "fit" else BEHAVIOUR_KEYS)}
        if c.latest_at is not None:
            row["latest_at"] = c.latest_at.isoformat()
        if c.kind == "fit" and not isinstance(c.value, str | int | float | bool | type(None)):
            row["value"] = str(c.value)  # a Decimal (annual revenue)
        rows.append(row)
    return rows


def explanation_for(lead: Lead) -> dict[str, Any] | None:
    """The rule contributions behind the lead's stored score, and why it is (or is not) an MQL.

    It explains the score as it was last computed: with the version and at the moment of the lead's
    latest score change, over the events recorded by then, so its totals equal the stored
    ``fit_score``, ``behaviour_score`` and ``score``. A lead never scored is explained live with the
    active version (``pending_rescore`` says whether that differs from its stored score, i.e. its first
    rescore is still queued). None when there is no scoring model at all.
    """
    last = ScoreChange.objects.filter(lead_id=lead.pk).select_related("model").order_by("-at", "-id").first()
    if last is not None:
        model, as_of = last.model, last.at
    else:
        found = ScoringModel.objects.filter(is_active=True).first()
        if found is None:
            return None
        model, as_of = found, clock.now()
    spec = cached_spec(model)
    events = events_of([lead.pk], spec.event_types, recorded_by=as_of if last is not None else None)
    result = score(facts_of(lead_row(lead)), events.get(lead.pk, []), spec, as_of)
    mql = (StageTransition.objects.filter(lead_id=lead.pk, to_stage=Stage.MQL, cycle=lead.recycle_count)
           .order_by("-seq").values("trigger", "note", "occurred_at", "actor_kind").first())
    why = None
    if mql is not None:
        why = {"trigger": mql["trigger"], "note": mql["note"], "at": mql["occurred_at"].isoformat(),
               "actor_kind": mql["actor_kind"]}
    return {
        "model": {"id": model.pk, "version": model.version, "name": model.name, "active": model.is_active},
        "as_of": as_of.isoformat(),
        "threshold": result.threshold,
        "fit": result.fit,
        "behaviour": result.behaviour,
        "total": result.total,
        "above_threshold": result.above_threshold,
        "high_intent": lead.high_intent,
        # the lead's rescore has not run yet (a queued task): these numbers are not its stored score yet
        "pending_rescore": (result.fit, result.behaviour, result.total) != (
            lead.fit_score, lead.behaviour_score, lead.score),
        "mql": why,
        "contributions": _contributions(result),
    }


# --- the timeline ----------------------------------------------------------------------------------------------


def score_timeline(lead: Lead, cycle_at: Callable[[dt.datetime], int]) -> list[TimelineItem]:
    """Score changes as timeline rows (registered in ``lifecycle.selectors.TIMELINE_PROVIDERS``); one query."""
    items = []
    labels = dict(ScoreReason.choices)
    for change in ScoreChange.objects.filter(lead_id=lead.pk).order_by("at", "id").values(
            "id", "at", "old_score", "new_score", "fit", "behaviour", "reason", "event_id", "model__version"):
        delta = change["new_score"] - change["old_score"]
        label = str(labels.get(change["reason"], change["reason"])).lower()
        items.append(TimelineItem(
            "score", change["at"], cycle_at(change["at"]),
            f"score {change['old_score']} → {change['new_score']} ({delta:+d}; {label})",
            {"id": change["id"], "old": change["old_score"], "new": change["new_score"], "fit": change["fit"],
             "behaviour": change["behaviour"], "reason": change["reason"], "event": change["event_id"],
             "model_version": change["model__version"]},
        ))
    return items


# --- dry run -----------------------------------------------------------------------------------------------------

# The stages a score can move to MQL: the leads a dry run counts over (``scoring.services.dry_run_start``).
SCORE_ELIGIBLE = [Stage.SUBSCRIBER, Stage.LEAD, Stage.NURTURE]


def dry_run_answer(run: RescoreRun) -> dict[str, Any]:
    """A dry-run job as the API shows it: progress, and the counts so far (final once ``status`` is done)."""
    result = run.result or {}
    by_channel = [{"channel": channel, "count": n}
                  for channel, n in sorted((result.get("by_channel") or {}).items(), key=lambda i: (-i[1], i[0]))
                  if n]
    return {"run": run, "model_version": run.model.version, "threshold": run.model.threshold,
            "evaluated": int(result.get("evaluated", 0)), "would_become_mql": int(result.get("would_become_mql", 0)),
            "by_channel": by_channel, "computed_at": run.finished_at}


# --- calibration ---------------------------------------------------------------------------------------------------

CALIBRATION_DAYS = 90
BAND_SIZE = 20
BAND_TOP = 100  # every score at or above it shares the top band


@dataclass(frozen=True)
class CalibrationBand:
    band: str  # "<0", "0-19", ..., "100+"
    low: int | None
    high: int | None
    mqls: int
    sqls: int
    conversion: float | None  # sqls / mqls


@dataclass(frozen=True)
class Calibration:
    since: dt.datetime
    until: dt.datetime
    threshold: int | None
    mqls: int
    sqls: int
    conversion: float | None
    bands: list[CalibrationBand]
    by_trigger: list[dict[str, Any]]


def _band_label(start: int) -> tuple[str, int | None, int | None]:
    if start < 0:
        return "<0", None, -1
    if start >= BAND_TOP:
        return f"{BAND_TOP}+", BAND_TOP, None
    return f"{start}-{start + BAND_SIZE - 1}", start, start + BAND_SIZE - 1


def calibration(*, now: dt.datetime | None = None, days: int = CALIBRATION_DAYS) -> Calibration:
    """MQL -> SQL conversion by the score the lead had when it became MQL, for the MQLs of the last ``days``.

    The cohort is every entry to MQL (one per cycle) in the window; it converted if the same cycle reached
    SQL (by now). The score at MQL is the lead's latest score change at or before that moment (0 if none).
    Two grouped queries, whatever the volume.
    """
    now = now or clock.now()
    since = now - dt.timedelta(days=days)
    score_at = Subquery(ScoreChange.objects.filter(lead_id=OuterRef("lead_id"), at__lte=OuterRef("occurred_at"))
                        .order_by("-at", "-id").values("new_score")[:1], output_field=IntegerField())
    reached_sql = Exists(StageTransition.objects.filter(lead_id=OuterRef("lead_id"), cycle=OuterRef("cycle"),
                                                        to_stage=Stage.SQL))
    cohort = (StageTransition.objects.filter(to_stage=Stage.MQL, occurred_at__gte=since, occurred_at__lt=now)
              .order_by().annotate(score_at=Coalesce(score_at, Value(0)), converted=reached_sql))
    band_expr = Case(
        When(score_at__lt=0, then=Value(-BAND_SIZE)),
        When(score_at__gte=BAND_TOP, then=Value(BAND_TOP)),
        default=(Coalesce(score_at, Value(0)) / Value(BAND_SIZE)) * Value(BAND_SIZE),
        output_field=IntegerField(),
    )
    rows = (cohort.annotate(band=band_expr).values("band")
            .annotate(mqls=Count("id"), sqls=Count("id", filter=Q(converted=True))).order_by("band"))
    bands = []
    for row in rows:
        label, low, high = _band_label(row["band"])
        bands.append(CalibrationBand(label, low, high, row["mqls"], row["sqls"],
                                     round(row["sqls"] / row["mqls"], 4) if row["mqls"] else None))
    triggers = (cohort.values("trigger").annotate(mqls=Count("id"), sqls=Count("id", filter=Q(converted=True)))
                .order_by("trigger"))
    by_trigger = [{"trigger": t["trigger"], "mqls": t["mqls"], "sqls": t["sqls"],
                   "conversion": round(t["sqls"] / t["mqls"], 4) if t["mqls"] else None} for t in triggers]
    mqls = sum(b.mqls for b in bands)
    sqls = sum(b.sqls for b in bands)
    active = ScoringModel.objects.filter(is_active=True).values_list("threshold", flat=True).first()
    return Calibration(since=since, until=now, threshold=active, mqls=mqls, sqls=sqls,
                       conversion=round(sqls / mqls, 4) if mqls else None, bands=bands, by_trigger=by_trigger)

