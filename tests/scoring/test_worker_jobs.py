"""Real Celery workers, through the Redis broker: a dry run started by the API is worked through by the default
queue's worker (its lanes) and its result shows in the API; routing's tasks are consumed only by a worker of
the routing queue."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from celery import Celery
from django.db import connection

from leadops import events, stack
from leadops.celery import app as celery_app
from lifecycle.models import Lead
from scoring import selectors, services
from scoring.models import RescoreRun, RunStatus
from tests.leadops import conftest as leadops_conftest
from tests.leadops.conftest import BASE_DIR, clean_env, postgres_url, stop_process_group
from tests.lifecycle.factories import LeadFactory
from tests.scoring.conftest import GOOD_FIT
from tests.scoring.test_runs import v2_rules

pytestmark = pytest.mark.worker
use_private_stores = leadops_conftest.private_stores  # the fixture ``private_stores``: a Redis of our own


def _worker(queues: str, log_path, broker_url: str, private_stores) -> subprocess.Popen:
    env = clean_env(DJANGO_SETTINGS_MODULE="leadops.settings.dev",
                    DATABASE_URL=postgres_url(connection.settings_dict, connection.settings_dict["NAME"]),
                    REDIS_URL=broker_url, **private_stores.env)
    with open(log_path, "wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "leadops", "worker", "--pool", "solo", "--queues", queues,
             "--loglevel", "INFO", "--without-gossip", "--without-mingle"],
            cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _producer(broker_url: str) -> Celery:
    """A client app configured like leadops.celery's (its queues too), sending through the broker (never eager)."""
    app = Celery("leadops-test-producer", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(broker_url=broker_url, task_always_eager=False, task_routes=celery_app.conf.task_routes)
    return app


def _wait_for(condition, what: str, log_path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what}; worker log:\n{log_path.read_text()}"
        time.sleep(0.3)


def test_a_dry_run_is_worked_through_by_a_real_worker_and_read_back(transactional_db, use_private_stores, tmp_path,
                                                                     monkeypatch, api):
    from scoring.apps import on_run_started
    from scoring.services import runs

    monkeypatch.setattr(runs, "LEADS_PER_LANE", 2)  # 4 leads: two lanes, each its own chain of steps
    for source, fit in (("webinar", GOOD_FIT), ("webinar", GOOD_FIT), ("referral", {}), ("referral", {})):
        LeadFactory(source=source, **fit)  # scored at once (eager): 45 each with a good fit, else 0
    assert sorted(Lead.objects.values_list("score", flat=True)) == [0, 0, 45, 45]
    v2 = services.scoring_model_create(**v2_rules(threshold=40))  # 45 would be an MQL under it
    broker = stack.ensure_redis()
    worker = _worker("celery", tmp_path / "worker.log", broker.url, use_private_stores)
    producer = _producer(broker.url)
    events.unsubscribe("scoring.dry_run_started", on_run_started)  # this process sends the steps, as it would
    try:
        run, started = services.dry_run_start(model_id=v2.pk)
        assert started and run.lanes.count() == 2
        for lane in selectors.open_lanes(run.pk):  # what the after-commit handler queues: a step per lane
            producer.send_task("scoring.tasks.rescore_run_step", args=(run.pk, lane))

        _wait_for(lambda: RescoreRun.objects.get(pk=run.pk).status == RunStatus.DONE, "the dry run did not finish",
                  tmp_path / "worker.log")
        from tests.conftest import UserFactory

        reader = UserFactory(username="mops2", role="marketing_ops")
        answer = api.as_user(reader).get(f"/api/v1/scoring-models/{v2.pk}/dry-run/").json()
        assert (answer["run"]["status"], answer["run"]["done"], answer["evaluated"], answer["would_become_mql"]) == (
            "done", 4, 4, 2)
        assert answer["by_channel"] == [{"channel": "webinar", "count": 2}]
        assert "scoring.tasks.rescore_run_step" in (tmp_path / "worker.log").read_text()
        assert not Lead.objects.filter(stage="mql").exists()
    finally:
        events.subscribe("scoring.dry_run_started", on_run_started)
        producer.close()
        stop_process_group(worker)


def test_routing_tasks_wait_for_the_routing_worker_only(transactional_db, use_private_stores, tmp_path):
    broker = stack.ensure_redis()
    producer = _producer(broker.url)
    default = _worker("celery", tmp_path / "default.log", broker.url, use_private_stores)
    routing = None
    try:
        _wait_for(lambda: b"ready." in (tmp_path / "default.log").read_bytes(), "no default worker",
                  tmp_path / "default.log")
        sent = producer.send_task("routing.tasks.retry_queued_leads")  # routed by leadops.celery's task_routes
        time.sleep(3)
        assert sent.id not in (tmp_path / "default.log").read_text()  # the default queue's worker never takes it

        routing = _worker("routing", tmp_path / "routing.log", broker.url, use_private_stores)
        _wait_for(lambda: f"{sent.id}] succeeded" in (tmp_path / "routing.log").read_text(),
                  "the routing worker did not run it", tmp_path / "routing.log")
    finally:
        producer.close()
        stop_process_group(default)
        if routing is not None:
            stop_process_group(routing)
