"""The sweep: partial indexes, batches, e-mail catch-up, two sweeps at once on two real connections, and a
sweep process killed with SIGKILL mid-batch (nothing lost, nothing notified twice after a rerun)."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.db.models import Count

from leadops import clock as leadops_clock
from lifecycle.models import Lead
from sla.models import ClockStatus, EmailStatus, Notification, OutboundEvent, SlaClock, SlaPolicy
from sla.services import sla_sweep
from sla.services.sweep import due_clocks, warn_clocks
from tests.conftest import T0
from tests.sla.conftest import H, M, clock_of
from tests.support import postgres_url

ROOT = Path(settings.BASE_DIR)


def due_clocks_for(org, count: int, *, due: dt.datetime) -> list[SlaClock]:
    """``count`` running first-contact clocks of rep_east (team East), all past due at ``due``."""
    policy = SlaPolicy.objects.get(kind="first_contact", active=True)
    stamp = f"{time.monotonic_ns()}"
    leads = Lead.objects.bulk_create([Lead(email=f"due{stamp}-{i}@load.example", stage="mql", owner=org.rep_east,
                                           team=org.east, phone="1") for i in range(count)])
    return SlaClock.objects.bulk_create([
        SlaClock(lead=lead, policy=policy, kind="first_contact", policy_version=policy.version,
                 started_at=due - 24 * H, due_at=due - dt.timedelta(seconds=i), warn_at=due - 6 * H,
                 accountable="rep", accountable_user=org.rep_east, team=org.east)
        for i, lead in enumerate(leads)])


def assert_notified_exactly_once(expected_clocks: int) -> None:
    counts = list(Notification.objects.values("clock", "kind", "recipient").annotate(n=Count("id")))
    assert all(row["n"] == 1 for row in counts)
    assert Notification.objects.filter(kind="sla.breached").count() == 2 * expected_clocks  # owner + manager
    assert OutboundEvent.objects.filter(event="sla.breached").count() == expected_clocks
    assert SlaClock.objects.filter(status=ClockStatus.BREACHED, breach_notified=True).count() == expected_clocks


@pytest.mark.django_db
def test_the_sweep_reads_only_the_partial_indexes(org):
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny test table would otherwise be scanned whole
    assert "sla_clock_due_running" in due_clocks(T0).explain()
    assert "sla_clock_warn_pending" in warn_clocks(T0).explain()


@pytest.mark.django_db
def test_a_quiet_sweep_is_a_handful_of_queries(org, walker, clock, django_assert_max_num_queries):
    walker.assign(walker.mql())
    with django_assert_max_num_queries(7):  # per phase: savepoint, SELECT ... SKIP LOCKED, release; the e-mail check
        result = sla_sweep()
    assert (result.breached, result.warned) == (0, 0)


@pytest.mark.django_db
def test_a_burst_is_swept_in_batches_with_a_bounded_number_of_queries(org, clock, sweep, django_assert_max_num_queries):
    due_clocks_for(org, 60, due=T0)
    with django_assert_max_num_queries(60):
        result = sweep(batch_size=25)
    assert (result.breached, result.batches) == (60, 3)
    assert_notified_exactly_once(60)


@pytest.mark.django_db
def test_emails_lost_after_commit_are_sent_by_a_later_sweep(org, walker, clock, sweep):
    lead = walker.assign(walker.mql())
    clock.shift(25 * H)
    sla_sweep()  # committed, but its after-commit e-mail hand-off never runs (as if the worker died there)
    fc = clock_of(lead, "first_contact")
    pending = Notification.objects.filter(clock=fc, kind="sla.breached")
    assert {n.email_status for n in pending} == {EmailStatus.PENDING}
    clock.shift(2 * M)
    assert sweep().emailed >= 1  # the manager (the rep has no address: skipped)
    assert {n.recipient.username: n.email_status for n in pending.all()} == {"mgr_east": "sent",
                                                                             "rep_east": "skipped"}
    assert [m.to for m in mail.outbox if "breached: first contact" in m.subject] == [["mgr_east@example.com"]]
    assert sweep().emailed == 0


# --- two sweeps at once, on two real connections ---------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_notify_every_clock_exactly_once(org):
    due_clocks_for(org, 40, due=leadops_clock.now())
    barrier = threading.Barrier(2)
    results: list = [None, None]

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = sla_sweep(batch_size=5, linger=0.03, deliver=False)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert results[0].breached + results[1].breached == 40
    assert results[0].breached > 0 and results[1].breached > 0  # SKIP LOCKED shared the work out
    assert_notified_exactly_once(40)
    assert sla_sweep().breached == 0


# --- a sweep killed mid-batch ------------------------------------------------------------------------------


def database_url() -> str:
    return postgres_url(connection.settings_dict)


@pytest.mark.django_db(transaction=True)
def test_a_sweep_killed_mid_batch_loses_nothing_and_notifies_nothing_twice(org):
    total, batch = 30, 5
    due_clocks_for(org, total, due=leadops_clock.now())
    env = {**os.environ, "DATABASE_URL": database_url(), "DJANGO_SETTINGS_MODULE": "leadops.settings.test"}
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "sla_sweep", "--batch-size", str(batch), "--linger", "0.5"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while SlaClock.objects.filter(status=ClockStatus.BREACHED).count() < batch:
            assert worker.poll() is None, worker.communicate()
            assert time.monotonic() < deadline, "the sweep never committed a batch"
            time.sleep(0.02)
        time.sleep(0.25)  # inside the next batch: its rows locked and written, not committed
        worker.send_signal(signal.SIGKILL)
    finally:
        worker.wait(timeout=30)
    assert worker.returncode == -signal.SIGKILL
    committed = SlaClock.objects.filter(status=ClockStatus.BREACHED).count()
    assert 0 < committed < total and committed % batch == 0  # whole batches only: no half-written batch
    assert_notified_exactly_once(committed)

    rerun = 0
    for _ in range(50):  # the killed backend's locks go when the server notices; SKIP LOCKED passes them by
        rerun += sla_sweep(batch_size=batch).breached
        if not SlaClock.objects.filter(status=ClockStatus.RUNNING).exists():
            break
        time.sleep(0.1)
    assert rerun == total - committed
    assert_notified_exactly_once(total)
    assert sla_sweep().breached == 0
