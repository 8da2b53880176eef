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
        # bulk upserts (events.batch()): one task per few hundred leads instead of one per lead
        events.subscribe_batch("lead.created", on_leads_created)
        events.subscribe_batch("lead.updated", on_leads_updated)
        events.subscribe("scoring.model_activated", on_run_started)
        events.subscribe("scoring.rescore_started", on_run_started)
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


def on_leads_created(batch) -> None:
    from scoring.models import ScoreReason
    from scoring.tasks import enqueue_rescore

    enqueue_rescore([e.lead_id for e in batch if e.lead_id is not None], ScoreReason.LEAD_CREATED)


def on_leads_updated(batch) -> None:
    from scoring.models import ScoreReason
    from scoring.tasks import enqueue_rescore

    enqueue_rescore([e.lead_id for e in batch if e.lead_id is not None
                     and set(e.data.get("changed") or ()) - UNSCORED_FIELDS], ScoreReason.LEAD_UPDATED)


def on_run_started(event) -> None:
    from scoring.tasks import rescore_run_step

    rescore_run_step.delay(event.data["run_id"])


def seed_default_model(sender, using="default", **kwargs) -> None:
    from scoring.defaults import ensure_default_model
    from scoring.models import BehaviourRule, FitRule, ScoringModel

    ensure_default_model(ScoringModel, FitRule, BehaviourRule)
