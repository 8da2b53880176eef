"""The Celery application and the one beat schedule."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadops.settings.dev")

app = Celery("leadops")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Queues. Routing has its own queue and its own worker process (``leadops up``, docker-compose's
# ``worker-routing``), which the default worker consumes too: an MQL is routed within seconds even while the
# default queue holds a rescore of every lead, a decay sweep or a webhook backlog (docs/routing.md).
# Everything else goes to the default queue ("celery").
ROUTING_QUEUE = "routing"
app.conf.task_routes = {"routing.tasks.*": {"queue": ROUTING_QUEUE}}

# The one beat schedule of LeadOps. Later issues add the SLA sweep, score decay and rollups here.
app.conf.beat_schedule = {
    "heartbeat": {"task": "leadops.tasks.heartbeat", "schedule": 60.0},
    # webhooks: fan out the outbox and attempt due deliveries (leadops/webhooks)
    "webhooks-dispatch": {"task": "webhooks.tasks.dispatch", "schedule": 5.0, "options": {"expires": 30}},
    # Idempotency-Keys are kept 24 h (leadops.api.idempotency)
    "idempotency-keys-purge": {"task": "leadops.tasks.idempotency_keys_purge", "schedule": 3600.0},
    # SLA clocks: the breach-and-warning sweep (breaches flagged within 60 s of their due time)
    "sla-sweep": {"task": "sla.tasks.sweep", "schedule": 15.0, "options": {"expires": 60}},
    # the escalation ladder: the ISO week just ended, Mondays 06:00 UTC
    "sla-escalation-review": {"task": "sla.tasks.escalation_review",
                              "schedule": crontab(minute=0, hour=6, day_of_week="mon")},
    # re-route queued MQLs (nobody was available) oldest first, e.g. when a leave has ended (docs/routing.md)
    "routing-retry-queued": {"task": "routing.tasks.retry_queued_leads", "schedule": 60.0},
    # scores decay daily: recompute leads with a behaviour score, write only those that changed (docs/scoring.md)
    "scoring-decay-sweep": {"task": "scoring.tasks.decay_sweep", "schedule": crontab(hour=2, minute=15)},
    # rescore runs (activation, decay) whose worker died continue from their cursor
    "scoring-resume-runs": {"task": "scoring.tasks.resume_stalled_runs", "schedule": 300.0},
    # reports (docs/metrics.md): the week's forecast snapshot and the month's alignment pulse (each written
    # once, later runs change nothing), and the report rollups (at most 5 minutes stale)
    "reporting-forecast-snapshot": {"task": "reporting.tasks.forecast_snapshot", "schedule": 3600.0},
    "reporting-pulse-open": {"task": "reporting.tasks.pulse_open", "schedule": 3600.0},
    "reporting-refresh-rollups": {"task": "reporting.tasks.refresh_rollups", "schedule": 120.0,
                                  "options": {"expires": 110}},
}
