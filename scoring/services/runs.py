"""Runs over many leads: activation rollouts, rescoring every lead, the daily decay sweep, dry runs.

A ``RescoreRun`` is split into one or more lanes (``RescoreLane``: ranges of lead ids), each worked
through by its own chain of tasks, so a big run uses every worker process of the queue. A lane advances
in batches of ascending lead id; each batch, the lane's cursor and the run's counters commit together,
so a run that dies resumes where it stopped, and a step delivered twice redoes nothing.

Lock order: the lane row, then the batch's leads (ascending id), then the run row (last, for a moment:
the counters), so lanes of one run never wait for each other except for that moment.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Max, Min, QuerySet

from leadops import clock, events
from leadops.errors import Conflict, NotFound
from leadops.models import User
from lifecycle.models import Lead
from scoring import selectors
from scoring.engine import InvalidModel, promotes_by_score, score
from scoring.models import RescoreLane, RescoreRun, RunKind, RunStatus, ScoreReason, ScoringModel
from scoring.services.rescoring import rescore_rows

BATCH_SIZE = 500
BATCHES_PER_STEP = 10
STALLED_AFTER = dt.timedelta(minutes=5)
# A run of at least LEADS_PER_LANE leads is split into up to RUN_LANES lanes worked on in parallel (one per
# worker process of the default queue: ``leadops up`` and docker-compose start two).
RUN_LANES = 2
LEADS_PER_LANE = 50_000
REASON_OF_RUN = {RunKind.ACTIVATION: ScoreReason.ACTIVATION, RunKind.FULL: ScoreReason.FULL,
                 RunKind.DECAY: ScoreReason.DECAY}
# The stages a score can move to MQL: the only leads a dry run has to look at.
SCORE_ELIGIBLE = selectors.SCORE_ELIGIBLE


def candidates(run: RescoreRun) -> QuerySet[Lead]:
    """The leads a run visits (before its lanes' id ranges)."""
    qs = Lead.objects.all()
    if run.kind == RunKind.DECAY:
        qs = qs.exclude(behaviour_score=0)
    elif run.kind == RunKind.DRY_RUN:
        qs = qs.filter(stage__in=SCORE_ELIGIBLE)
    return qs


def create_lanes(run: RescoreRun) -> list[RescoreLane]:
    """Split ``run`` into lanes of equal id ranges (one lane for a small run), inside the caller's transaction."""
    count = run.total
    lanes = max(1, min(RUN_LANES, count // LEADS_PER_LANE))
    bounds = candidates(run).aggregate(low=Min("id"), high=Max("id")) if lanes > 1 else {}
    low, high = bounds.get("low"), bounds.get("high")
    if lanes == 1 or low is None or high is None or high - low < lanes:
        return RescoreLane.objects.bulk_create([
            RescoreLane(run=run, lane=0, cursor=run.cursor, heartbeat_at=run.started_at)])
    width = (high - low + 1) // lanes
    starts = [low - 1 + width * i for i in range(lanes)]
    return RescoreLane.objects.bulk_create([
        RescoreLane(run=run, lane=i, cursor=start, upper=starts[i + 1] if i + 1 < lanes else None,
                    heartbeat_at=run.started_at)
        for i, start in enumerate(starts)])


def started(run: RescoreRun, *, name: str = "scoring.rescore_started", **data: Any) -> None:
    """Publish that ``run`` started (after commit its handler queues one step per lane)."""
    events.publish(events.DomainEvent(name, run.started_at, None, {
        "run_id": run.pk, "lanes": run.lanes.count(), **data}))


def rescore_all_start(*, actor: User | None = None, background: bool = True) -> RescoreRun:
    """Start a rescore of every lead with the active version (``manage.py rescore --all``): handed to the
    workers, or (``background=False``) left for the caller to drive with ``rescore_run_batch``."""
    now = clock.now()
    with transaction.atomic():
        model = ScoringModel.objects.select_for_update().filter(is_active=True).first()
        if model is None:
            raise Conflict("There is no active scoring model.", code="no_active_model")
        RescoreRun.objects.filter(kind=RunKind.FULL, status=RunStatus.RUNNING).update(
            status=RunStatus.SUPERSEDED, finished_at=now)
        run = RescoreRun.objects.create(model=model, kind=RunKind.FULL, total=Lead.objects.count(), created_by=actor,
                                        started_at=now, heartbeat_at=now)
        create_lanes(run)
        if background:
            started(run)
    return run


def decay_sweep_start(*, now: dt.datetime | None = None) -> RescoreRun | None:
    """Today's decay run (created on the first call of the day; later calls resume it).

    It visits only leads with a non-zero behaviour score (only they can decay) and writes only those
    whose rounded scores changed. An unfinished run of an earlier day is superseded by today's.
    """
    now = now or clock.now()
    day = now.date()
    with transaction.atomic():
        model = ScoringModel.objects.filter(is_active=True).first()
        if model is None:
            return None
        RescoreRun.objects.filter(kind=RunKind.DECAY, status=RunStatus.RUNNING, day__lt=day).update(
            status=RunStatus.SUPERSEDED, finished_at=now)
        run = RescoreRun.objects.filter(kind=RunKind.DECAY, day=day).first()
        if run is None:
            try:
                with transaction.atomic():
                    run = RescoreRun.objects.create(
                        model=model, kind=RunKind.DECAY, day=day, started_at=now, heartbeat_at=now,
                        total=Lead.objects.exclude(behaviour_score=0).count())
                    create_lanes(run)
            except IntegrityError:  # started concurrently
                run = RescoreRun.objects.get(kind=RunKind.DECAY, day=day)
    return run


def dry_run_start(*, model_id: int, actor: User | None = None) -> tuple[RescoreRun, bool]:
    """Start a dry run of a version in the background: with it, how many leads would become MQL, by channel.

    Returns (run, started). A dry run of the same version still running is answered instead of starting a
    second one. A version that does not validate is refused (422). Nothing but the run is written.
    """
    from scoring.services.versions import invalid_model_error

    now = clock.now()
    with transaction.atomic():
        model = ScoringModel.objects.select_for_update().filter(pk=model_id).first()
        if model is None:
            raise NotFound("No such scoring model.")
        running = RescoreRun.objects.filter(model=model, kind=RunKind.DRY_RUN, status=RunStatus.RUNNING).first()
        if running is not None:
            return running, False
        try:
            selectors.spec_of(model)
        except InvalidModel as exc:
            raise invalid_model_error(exc.problems) from exc
        run = RescoreRun.objects.create(
            model=model, kind=RunKind.DRY_RUN, created_by=actor, started_at=now, heartbeat_at=now,
            total=Lead.objects.filter(stage__in=SCORE_ELIGIBLE).count(),
            result={"evaluated": 0, "would_become_mql": 0, "by_channel": {}})
        create_lanes(run)
        started(run, name="scoring.dry_run_started", model_id=model.pk)
    return run, True


def _fast_commit() -> None:
    """This batch's commit does not wait for the WAL flush: a crash can lose the last batches, and then
    their cursor moves with them (the run redoes them). Nothing else is relaxed."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _lane(run: RescoreRun, lane: int) -> RescoreLane | None:
    # this lane's row only: the lanes of a run must not wait for each other (the run row is locked last)
    found = RescoreLane.objects.select_for_update(of=("self",)).filter(run_id=run.pk, lane=lane).order_by().first()
    if found is None and lane == 0 and not RescoreLane.objects.filter(run_id=run.pk).exists():
        # a run started before runs had lanes: its one lane continues from the run's cursor
        found = RescoreLane.objects.create(run=run, lane=0, cursor=run.cursor, heartbeat_at=run.heartbeat_at)
    return found


def _dry_counts(run: RescoreRun, rows: list[dict[str, Any]], now: dt.datetime) -> Counter[str]:
    """Would-be MQLs of a batch by channel (``promotes_by_score`` against each lead's stored score)."""
    spec = selectors.cached_spec(run.model)
    grouped = selectors.events_of([row["id"] for row in rows], spec.event_types)
    counts: Counter[str] = Counter()
    for row in rows:
        result = score(selectors.facts_of(row), grouped.get(row["id"], []), spec, now)
        if promotes_by_score(row["stage"], row["score"], result.total, spec.threshold):
            counts[row["source"] or "unknown"] += 1
    return counts


def rescore_run_batch(*, run_id: int, lane: int = 0, batch_size: int | None = None) -> RescoreRun:
    """Advance one lane of a run by one batch of leads (ascending id after the lane's cursor); the lane
    finishes when none are left, the run when its last lane finishes."""
    batch_size = batch_size or BATCH_SIZE
    now = clock.now()
    with transaction.atomic():
        run = RescoreRun.objects.select_related("model").filter(pk=run_id).first()
        if run is None:
            raise NotFound("No such rescore run.")
        if run.status != RunStatus.RUNNING:
            return run
        lane_row = _lane(run, lane)
        if lane_row is None or lane_row.finished:
            return run
        _fast_commit()
        leads = candidates(run).filter(id__gt=lane_row.cursor)
        if lane_row.upper is not None:
            leads = leads.filter(id__lte=lane_row.upper)
        if run.kind != RunKind.DRY_RUN:  # the rescore writes them; the dry run only reads
            leads = leads.select_for_update(of=("self",))
        rows = selectors.lead_rows(leads.order_by("id")[:batch_size])
        changed = promoted = 0
        counts: Counter[str] = Counter()
        if not rows:
            lane_row.finished = True
        elif run.kind == RunKind.DRY_RUN:
            counts = _dry_counts(run, rows, now)
        else:
            # an activation rolls out its own version; the others follow whichever version is active
            model = run.model if run.kind == RunKind.ACTIVATION else (
                ScoringModel.objects.filter(is_active=True).first() or run.model)
            outcomes = rescore_rows(rows, model=model, spec=selectors.cached_spec(model), now=now,
                                    reason=REASON_OF_RUN[RunKind(run.kind)])
            changed = sum(1 for o in outcomes if o.changed)
            promoted = sum(1 for o in outcomes if o.became_mql)
        if rows:
            lane_row.cursor = rows[-1]["id"]
            lane_row.done += len(rows)
        lane_row.heartbeat_at = now
        lane_row.save()
        return _add_progress(run_id, lane_row, visited=len(rows), changed=changed, promoted=promoted,
                             counts=counts, now=now)


def _add_progress(run_id: int, lane: RescoreLane, *, visited: int, changed: int, promoted: int,
                  counts: Counter[str], now: dt.datetime) -> RescoreRun:
    """Add a batch to the run's counters (the run row is locked only from here to the commit)."""
    run = RescoreRun.objects.select_for_update().select_related("model").get(pk=run_id)
    run.done += visited
    run.changed += changed
    run.promoted += promoted
    run.cursor = max(run.cursor, lane.cursor)
    run.total = max(run.total, run.done)
    run.heartbeat_at = now
    if run.kind == RunKind.DRY_RUN:
        result = dict(run.result or {})
        by_channel = Counter(result.get("by_channel") or {})
        by_channel.update(counts)
        result.update(evaluated=int(result.get("evaluated", 0)) + visited,
                      would_become_mql=sum(by_channel.values()), by_channel=dict(by_channel))
        run.result = result
    if lane.finished and run.status == RunStatus.RUNNING and not (
            RescoreLane.objects.filter(run_id=run_id, finished=False).exclude(pk=lane.pk).exists()):
        run.status = RunStatus.DONE
        run.finished_at = now
        run.total = run.done
    run.save()
    return run


def rescore_run_step(*, run_id: int, lane: int = 0, batches: int | None = None,
                     batch_size: int | None = None) -> RescoreRun:
    """Up to ``batches`` batches of one lane (one task's worth of work); the caller re-enqueues if the lane
    is not finished (``selectors.lane_open``)."""
    run = rescore_run_batch(run_id=run_id, lane=lane, batch_size=batch_size)
    for _ in range((batches or BATCHES_PER_STEP) - 1):
        if run.status != RunStatus.RUNNING or not selectors.lane_open(run_id=run_id, lane=lane):
            break
        run = rescore_run_batch(run_id=run_id, lane=lane, batch_size=batch_size)
    return run


def stalled_runs_claim(*, now: dt.datetime | None = None) -> list[int]:
    """Running runs with a lane (or, before lanes, the run) without a batch for ``STALLED_AFTER`` (a lost
    worker): claim them for new steps (the claim moves their heartbeats, so they are not handed out twice)."""
    now = now or clock.now()
    stale = now - STALLED_AFTER
    with transaction.atomic():
        ids = list(RescoreRun.objects.select_for_update(skip_locked=True)
                   .filter(status=RunStatus.RUNNING, heartbeat_at__lt=stale).values_list("id", flat=True))
        lagging = set(RescoreLane.objects.filter(run__status=RunStatus.RUNNING, finished=False, heartbeat_at__lt=stale)
                      .values_list("run_id", flat=True))
        ids = sorted(set(ids) | lagging)
        RescoreRun.objects.filter(pk__in=ids).update(heartbeat_at=now)
        RescoreLane.objects.filter(run_id__in=ids, finished=False).update(heartbeat_at=now)
    return ids
