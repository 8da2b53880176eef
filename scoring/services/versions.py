"""Scoring model versions: create (validated, inactive) and activate (which starts the rescore of every lead)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q

from leadops import clock, events
from leadops.errors import Conflict, NotFound, RuleViolation
from leadops.models import User
from lifecycle.models import Lead
from scoring import selectors
from scoring.engine import BehaviourRuleDef, FitRuleDef, InvalidModel, ModelDef, Problem, validate_model
from scoring.models import BehaviourRule, FitRule, RescoreRun, RunKind, RunStatus, ScoringModel
from scoring.services.runs import create_lanes, started

DEFAULT_HIGH_INTENT = ("demo_request", "contact_sales")
DEFAULT_HALF_LIFE_DAYS = 30.0


def invalid_model_error(problems: list[Problem], *, activating: bool = False) -> RuleViolation:
    fields: dict[str, Any] = {}
    for p in problems:
        if p.kind == "model":
            fields.setdefault(p.attribute, p.message)
        else:
            rules = fields.setdefault(f"{p.kind}_rules", {})
            if isinstance(rules, dict):
                rules.setdefault(str(p.index), {}).setdefault(p.attribute, p.message)
    first = problems[0].text()
    more = f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})" if len(problems) > 1 else ""
    prefix = "This scoring model is invalid and cannot be activated: " if activating else ""
    return RuleViolation(
        f"{prefix}{first}{more}", code="invalid_scoring_model",
        details={"fields": fields, "rules": [
            {"kind": p.kind, "index": p.index, "name": p.name, "attribute": p.attribute, "path": p.path,
             "message": p.message} for p in problems]},
    )


def _definition(threshold: Any, fit_rules: Sequence[dict[str, Any]], behaviour_rules: Sequence[dict[str, Any]],
                high_intent_event_types: Sequence[str]) -> ModelDef:
    return ModelDef(
        version=0,
        threshold=threshold,
        high_intent_event_types=tuple(high_intent_event_types),
        fit_rules=tuple(FitRuleDef(name=r.get("name", ""), field=r.get("field", ""), operator=r.get("operator", ""),
                                   value=r.get("value"), points=r.get("points"))  # type: ignore[arg-type]
                        for r in fit_rules),
        behaviour_rules=tuple(BehaviourRuleDef(
            event_type=r.get("event_type", ""), points=r.get("points"),  # type: ignore[arg-type]
            cap=r.get("cap"), half_life_days=_half_life(r), name=r.get("name") or "",
        ) for r in behaviour_rules),
    )


def _half_life(rule: dict[str, Any]) -> Any:
    """Absent: the default 30 days; null: no decay; numbers (Decimal from the API) as float."""
    if "half_life_days" not in rule:
        return DEFAULT_HALF_LIFE_DAYS
    value = rule["half_life_days"]
    if isinstance(value, Decimal) and value.is_finite():
        return float(value)
    return value


def scoring_model_create(
    *, threshold: int, fit_rules: Sequence[dict[str, Any]], behaviour_rules: Sequence[dict[str, Any]],
    high_intent_event_types: Sequence[str] = DEFAULT_HIGH_INTENT, name: str = "", description: str = "",
    created_by: User | None = None,
) -> ScoringModel:
    """Store a new version (the next number), inactive. Invalid rules: 422 naming each rule and attribute."""
    definition = _definition(threshold, fit_rules, behaviour_rules, high_intent_event_types)
    problems = validate_model(definition)
    if problems:
        raise invalid_model_error(problems)
    now = clock.now()
    with transaction.atomic():
        last = ScoringModel.objects.select_for_update().order_by("-version").first()
        version = (last.version if last else 0) + 1
        try:
            with transaction.atomic():
                model = ScoringModel.objects.create(
                    version=version, name=name, description=description, threshold=definition.threshold,
                    high_intent_event_types=list(dict.fromkeys(definition.high_intent_event_types)),
                    created_by=created_by, created_at=now,
                )
        except IntegrityError as exc:  # the very first versions created concurrently
            raise Conflict("Another scoring model version was created at the same moment; try again.",
                           code="concurrent_change") from exc
        FitRule.objects.bulk_create([
            FitRule(model=model, position=i, name=r.name.strip(), field=r.field, operator=r.operator, value=r.value,
                    points=r.points)
            for i, r in enumerate(definition.fit_rules)
        ])
        BehaviourRule.objects.bulk_create([
            BehaviourRule(model=model, position=i, name=r.name, event_type=r.event_type, points=r.points, cap=r.cap,
                          half_life_days=r.half_life_days)
            for i, r in enumerate(definition.behaviour_rules)
        ])
        events.publish(events.DomainEvent("scoring.model_created", now, None,
                                          {"model_id": model.pk, "version": version}))
    return model


def scoring_model_activate(*, model_id: int, actor: User | None = None) -> tuple[RescoreRun, bool]:
    """Make ``model_id`` the active version and start rescoring every lead with it in the background.

    Returns (run, started). Activating the version that is already active starts nothing and answers its
    latest run. A version that does not validate is refused (422) and nothing changes.
    """
    now = clock.now()
    with transaction.atomic():
        # lock the target and the current active version, in id order (two activations at once serialise)
        locked = {m.pk: m for m in ScoringModel.objects.select_for_update()
                  .filter(Q(pk=model_id) | Q(is_active=True)).order_by("id")}
        model = locked.get(model_id)
        if model is None:
            raise NotFound("No such scoring model.")
        if model.is_active:
            existing = selectors.latest_run(model)
            if existing is not None:
                return existing, False
        else:
            try:
                selectors.spec_of(model)
            except InvalidModel as exc:
                raise invalid_model_error(exc.problems, activating=True) from exc
            ScoringModel.objects.filter(is_active=True).update(is_active=False)
            model.is_active = True
            model.activated_at = now
            try:
                with transaction.atomic():
                    model.save(update_fields=["is_active", "activated_at"])
            except IntegrityError as exc:  # the partial unique index: another activation won
                raise Conflict("Another version was activated at the same moment; try again.",
                               code="concurrent_change") from exc
        RescoreRun.objects.filter(kind__in=[RunKind.ACTIVATION, RunKind.FULL], status=RunStatus.RUNNING).update(
            status=RunStatus.SUPERSEDED, finished_at=now)
        run = RescoreRun.objects.create(model=model, kind=RunKind.ACTIVATION, total=Lead.objects.count(),
                                        created_by=actor, started_at=now, heartbeat_at=now)
        create_lanes(run)
        started(run, name="scoring.model_activated", model_id=model.pk, version=model.version)
    return run, True
