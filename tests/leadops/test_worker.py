"""A real Celery worker process runs a task sent through the Redis broker and writes to the database."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from celery import Celery
from django.db import connection

from leadops import stack
from leadops.models import Heartbeat
from leadops.tasks import heartbeat
from tests.leadops.conftest import BASE_DIR, clean_env, postgres_url, stop_process_group

pytestmark = pytest.mark.worker


def _producer(broker_url: str) -> Celery:
    """A client app configured like leadops.celery's, but sending through the broker (never eager)."""
    app = Celery("leadops-test-producer", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(broker_url=broker_url, task_always_eager=False)
    return app


def test_a_worker_runs_the_heartbeat_sent_through_the_broker(transactional_db, private_stores, tmp_path):
    broker = stack.ensure_redis()  # our own Redis, under the private data directory
    assert not Heartbeat.objects.exists()
    log_path = tmp_path / "worker.log"
    env = clean_env(
        DJANGO_SETTINGS_MODULE="leadops.settings.dev",
        DATABASE_URL=postgres_url(connection.settings_dict, connection.settings_dict["NAME"]),
        REDIS_URL=broker.url,
        **private_stores.env,
    )
    with open(log_path, "wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "leadops", "worker", "--pool", "solo"]
            + ["--concurrency", "1", "--loglevel", "INFO", "--without-gossip", "--without-mingle"],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    producer = _producer(broker.url)
    try:
        # When the heartbeat task is sent through Redis (the worker may still be starting: it queues)
        result = producer.tasks[heartbeat.name].apply_async()

        # Then the worker runs it and the row is in the database within 30 s
        deadline = time.monotonic() + 30
        while not Heartbeat.objects.filter(name="worker").exists():
            assert worker.poll() is None, f"the worker exited:\n{log_path.read_text()}"
            assert time.monotonic() < deadline, f"no heartbeat after 30 s; worker log:\n{log_path.read_text()}"
            time.sleep(0.2)
        assert result.id in log_path.read_text()  # run by that worker, from the broker
    finally:
        producer.close()
        stop_process_group(worker)
