"""Rescoring leads: write what changed, and make MQLs (by score, or at once on a high-intent event).

``rescore_rows`` is the one implementation, used for one lead (``lead_rescore``, on an event or a
changed field) and for batches (``scoring.services.runs``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q

from leadops import clock, events
from leadops.errors import DomainError
from lifecycle.models import Lead, MarketingEvent
from lifecycle.services import Actor, lead_transition
from lifecycle.state_machine import Stage
from scoring import selectors
from scoring.engine import HIGH_INTENT_PROMOTES_FROM, ModelSpec, promotes_by_score, score
from scoring.models import HighIntentSignal, ScoreChange, ScoreReason, ScoringModel, SignalOutcome

log = logging.getLogger(__name__)

# A high-intent event older than this when scored (a backfill, a late import) scores, but moves nothing.
HIGH_INTENT_MAX_AGE = dt.timedelta(days=7)
# Leads already in the funnel whose high_intent flag a high-intent event sets (no stage change).
HIGH_INTENT_FLAGS = frozenset({Stage.MQL, Stage.SAL, Stage.SQL})


@dataclass(frozen=True)
class RescoreOutcome:
    lead_id: int
    old: int
    new: int
    changed: bool  # the stored score changed (a ScoreChange row was written)
    became_mql: bool
    trigger: str = ""  # "score" or "high_intent_event" when it became MQL


_LEAD = Lead._meta.db_table
_CHANGE = ScoreChange._meta.db_table
# One statement per batch: the changed scores travel as arrays (unnest), the UPDATE touches only those rows
# and the same statement appends their ScoreChange rows. No per-row parameters to bind, no model instances.
_WRITE_SQL = f"""
WITH v(id, fit, behaviour, total, old) AS (
    SELECT * FROM unnest(%(ids)s::bigint[], %(fit)s::int[], %(behaviour)s::int[], %(total)s::int[], %(old)s::int[])
), written AS (
    UPDATE {_LEAD} AS l SET fit_score = v.fit, behaviour_score = v.behaviour, score = v.total
      FROM v WHERE l.id = v.id RETURNING l.id
)
INSERT INTO {_CHANGE} (lead_id, model_id, old_score, new_score, fit, behaviour, reason, event_id, at)
SELECT v.id, %(model)s::bigint, v.old, v.total, v.fit, v.behaviour, %(reason)s::text, %(event)s::bigint,
       %(at)s::timestamptz
  FROM v JOIN written USING (id)
"""


def _write(writes: list[tuple[int, int, int, int, int]], *, model_id: int, reason: str, event_id: int | None,
           now: dt.datetime) -> None:
    """Store new scores, rows of (id, fit, behaviour, total, old total), with their ``ScoreChange`` rows."""
    if not writes:
        return
    ids, fit, behaviour, total, old = (list(column) for column in zip(*writes, strict=True))
    with connection.cursor() as cursor:
        cursor.execute(_WRITE_SQL, {"ids": ids, "fit": fit, "behaviour": behaviour, "total": total, "old": old,
                                    "model": model_id, "reason": reason, "event": event_id, "at": now})


def _promote(lead_id: int, *, trigger: str, note: str) -> bool:
    try:
        result = lead_transition(lead_id=lead_id, to=Stage.MQL, actor=Actor.system(), trigger=trigger, note=note)
    except DomainError:  # the table refused (e.g. a requirement); the score stands, the stage does not move
        log.exception("scoring could not move lead %s to MQL", lead_id)
        return False
    return result.transition is not None


def rescore_rows(rows: list[dict[str, Any]], *, model: ScoringModel, spec: ModelSpec, now: dt.datetime,
                    reason: str, event: MarketingEvent | None = None) -> list[RescoreOutcome]:
    """Score leads (``selectors.lead_rows``) the caller has locked; write what changed; make MQLs."""
    ids = [row["id"] for row in rows]
    grouped = selectors.events_of(ids, spec.event_types)
    writes: list[tuple[int, int, int, int, int]] = []
    pending: list[tuple[dict[str, Any], int, int]] = []
    for row in rows:
        result = score(selectors.facts_of(row), grouped.get(row["id"], []), spec, now)
        old = row["score"]
        if (result.fit, result.behaviour, result.total) != (row["fit_score"], row["behaviour_score"], old):
            writes.append((row["id"], result.fit, result.behaviour, result.total, old))
        pending.append((row, old, result.total))
    _write(writes, model_id=model.pk, reason=reason, event_id=event.pk if event is not None else None, now=now)
    changed_ids = {write[0] for write in writes}

    high_intent = _unhandled_high_intent(ids, spec=spec, now=now, event=event)
    outcomes = []
    for row, old, new in pending:
        trigger = ""
        for signal_event in high_intent.get(row["id"], []):
            if _high_intent(row, signal_event, now=now):
                trigger = "high_intent_event"
        if not trigger and promotes_by_score(row["stage"], old, new, spec.threshold):
            note = f"Score {new} reached the MQL threshold {spec.threshold} (scoring model v{spec.version})."
            if _promote(row["id"], trigger="score", note=note):
                trigger = "score"
        outcomes.append(RescoreOutcome(row["id"], old, new, row["id"] in changed_ids, bool(trigger), trigger))
    return outcomes


def _unhandled_high_intent(lead_ids: list[int], *, spec: ModelSpec, now: dt.datetime,
                           event: MarketingEvent | None) -> dict[int, list[MarketingEvent]]:
    """The leads' high-intent events that no rescore has acted on yet (no ``HighIntentSignal``), oldest first:
    recent ones (``HIGH_INTENT_MAX_AGE``), plus the event that caused this rescore even if old (so it is
    recorded as ignored). Whichever rescore of the lead runs first acts on them: the one of the event
    itself, or one that was triggered by the lead's creation in the same transaction, or a later one if
    the event's own task was lost."""
    if not spec.high_intent_event_types:
        return {}
    recent = Q(occurred_at__gte=now - HIGH_INTENT_MAX_AGE)
    if event is not None:
        recent |= Q(pk=event.pk)
    handled = HighIntentSignal.objects.filter(event_id=OuterRef("pk"))
    grouped: dict[int, list[MarketingEvent]] = defaultdict(list)
    for found in (MarketingEvent.objects.filter(lead_id__in=lead_ids, type__in=spec.high_intent_event_types)
                  .filter(recent).filter(~Exists(handled)).order_by("occurred_at", "id")):
        grouped[found.lead_id].append(found)
    return grouped


def _high_intent(row: dict[str, Any], event: MarketingEvent, *, now: dt.datetime) -> bool:
    """Act once on a high-intent event: MQL at once (also from disqualified), or flag a lead already in the
    funnel. True when the lead became MQL (``row`` is updated to match)."""
    outcome, transition_id = SignalOutcome.IGNORED, None
    fresh = now - event.occurred_at <= HIGH_INTENT_MAX_AGE
    if fresh and row["stage"] in HIGH_INTENT_PROMOTES_FROM:
        note = f"High-intent event: {event.type} (event {event.pk}, {event.occurred_at:%Y-%m-%d %H:%M} UTC)."
        try:
            result = lead_transition(lead_id=row["id"], to=Stage.MQL, actor=Actor.system(),
                                     trigger="high_intent_event", note=note)
        except DomainError:
            log.exception("scoring could not move lead %s to MQL on a high-intent event", row["id"])
        else:
            if result.transition is not None:
                outcome, transition_id = SignalOutcome.PROMOTED, result.transition.pk
                row["stage"], row["high_intent"] = Stage.MQL, True
    elif fresh and row["stage"] in HIGH_INTENT_FLAGS:
        outcome = SignalOutcome.FLAGGED
        if not row["high_intent"]:
            Lead.objects.filter(pk=row["id"]).update(high_intent=True)
            row["high_intent"] = True
        events.publish(events.DomainEvent("lead.high_intent", now, row["id"], {
            "event_id": event.pk, "type": event.type, "occurred_at": event.occurred_at.isoformat(),
            "stage": row["stage"]}))
    HighIntentSignal.objects.create(event=event, lead_id=row["id"], event_type=event.type, outcome=outcome,
                                    transition_id=transition_id, handled_at=now)
    return outcome == SignalOutcome.PROMOTED


def lead_rescore(*, lead_id: int, reason: str = ScoreReason.MANUAL, event_id: int | None = None
                 ) -> RescoreOutcome | None:
    """Recompute one lead with the active version. Idempotent: a second run writes nothing.

    ``event_id`` names the marketing event that caused it: a high-intent event acts once (see
    ``_high_intent``). None when the lead no longer exists or no version is active.
    """
    now = clock.now()
    with transaction.atomic():
        rows = selectors.lead_rows(Lead.objects.select_for_update(of=("self",)).filter(pk=lead_id))
        if not rows:
            return None
        model = ScoringModel.objects.filter(is_active=True).first()
        if model is None:
            log.warning("no active scoring model; lead %s not scored", lead_id)
            return None
        spec = selectors.cached_spec(model)
        event = MarketingEvent.objects.filter(pk=event_id, lead_id=lead_id).first() if event_id else None
        return rescore_rows(rows, model=model, spec=spec, now=now, reason=reason, event=event)[0]
