"""The Celery application and the one beat schedule."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadops.settings.dev")

app = Celery("leadops")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The one beat schedule of LeadOps. Later issues add the SLA sweep, score decay and rollups here.
app.conf.beat_schedule = {
    "heartbeat": {"task": "leadops.tasks.heartbeat", "schedule": 60.0},
}
