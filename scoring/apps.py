from django.apps import AppConfig
from django.db.models.signals import post_migrate

# lead.updated changes that cannot change a score (every other editable field can)
UNSCORED_FIELDS = frozenset({"first_name", "last_name", "phone"})


class ScoringConfig(AppConfig):
    name = "scoring"

    def ready(self) -> None:
        from leadops import events
        from lifecycle.selectors import TIMELINE_PROVIDERS
        from scoring.selectors import score_timeline

        events.subscribe("event.recorded", on_event_recorded)
        events.subscribe("lead.created", on_lead_created)
        events.subscribe("lead.updated", on_lead_updated)
        # bulk upserts and event lists (events.batch()): one task per few hundred leads instead of one per lead,
        # each lead once per batch whatever happened to it (one handler for the three names)
        for name in ("lead.created", "lead.updated", "event.recorded"):
            events.subscribe_batch(name, on_leads_changed)
        events.subscribe("scoring.model_activated", on_run_started)
        events.subscribe("scoring.rescore_started", on_run_started)
        events.subscribe("scoring.dry_run_started", on_run_started)
        if score_timeline not in TIMELINE_PROVIDERS:
            TIMELINE_PROVIDERS.append(score_timeline)
        # the default version comes back after a flush (tests), like the lifecycle catalogues
        post_migrate.connect(seed_default_model, sender=self)


# Handlers run after commit (leadops.events) and only enqueue: the work happens in scoring.tasks.


def on_event_recorded(event) -> None:
    from scoring.models import ScoreReason
    from scoring.tasks import rescore_lead

    rescore_lead.delay(event.lead_id, ScoreReason.EVENT, event.data.get("event_id"))


def on_lead_created(event) -> None:
    from scoring.models import ScoreReason
    from scoring.tasks import rescore_lead

    rescore_lead.delay(event.lead_id, ScoreReason.LEAD_CREATED)


def on_lead_updated(event) -> None:
    from scoring.models import ScoreReason
    from scoring.tasks import rescore_lead

    if set(event.data.get("changed") or ()) - UNSCORED_FIELDS:
        rescore_lead.delay(event.lead_id, ScoreReason.LEAD_UPDATED)


def on_leads_changed(batch) -> None:
    """A batch's created leads, scored edits and recorded events: each lead rescored once, with the reason of
    what happened to it first in this order: created, an event, an edit."""
    from scoring.models import ScoreReason
    from scoring.tasks import enqueue_rescore

    reasons: dict[int, str] = {}
    rank: dict[str, int] = {ScoreReason.LEAD_CREATED: 0, ScoreReason.EVENT: 1, ScoreReason.LEAD_UPDATED: 2}
    for e in batch:
        if e.lead_id is None:
            continue
        reason: str
        if e.name == "lead.created":
            reason = ScoreReason.LEAD_CREATED
        elif e.name == "event.recorded":
            reason = ScoreReason.EVENT
        elif set(e.data.get("changed") or ()) - UNSCORED_FIELDS:
            reason = ScoreReason.LEAD_UPDATED
        else:
            continue
        if e.lead_id not in reasons or rank[reason] < rank[reasons[e.lead_id]]:
            reasons[e.lead_id] = reason
    for ranked in sorted(rank, key=rank.__getitem__):
        enqueue_rescore([lead_id for lead_id, r in reasons.items() if r == ranked], ranked)


def on_run_started(event) -> None:
    from scoring.tasks import rescore_run_step

    for lane in range(event.data.get("lanes", 1)):  # one chain of steps per lane
        rescore_run_step.delay(event.data["run_id"], lane)


def seed_default_model(sender, using="default", **kwargs) -> None:
    from scoring.defaults import ensure_default_model
    from scoring.models import BehaviourRule, FitRule, ScoringModel

    ensure_default_model(ScoringModel, FitRule, BehaviourRule)
