"""A real Celery worker process for the end-to-end benchmarks (scoring, routing), and its peak memory.

``Worker(...)`` starts ``celery -A leadops worker`` (prefork) for the given queues in its own process group
with the environment of the benchmark (DATABASE_URL, REDIS_URL: never the developer's own stores), waits
until it says ``ready.``, and stops the whole group on ``stop()``. ``RssPeak`` samples the resident memory
of the worker's main process and its pool children (psutil) in a thread.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent


class RssPeak(threading.Thread):
    """Peak RSS of a process and its children, per process and summed, sampled every ``interval`` s; and the
    CPU time they used (user + system), plus that of the PostgreSQL backends ``backends()`` names (their pids:
    the database's share of the work), so a run on a busy shared machine can also say what it cost."""

    def __init__(self, pid: int, interval: float = 0.5, backends: Callable[[], list[int]] | None = None):
        super().__init__(daemon=True)
        self.root = psutil.Process(pid)
        self.interval = interval
        self.backends = backends
        self.peak_total = 0
        self.peak_child = 0
        self.cpu: dict[int, float] = {}  # pid -> latest user + system seconds seen
        self.db_cpu: dict[int, float] = {}
        self.samples: list[tuple[float, int]] = []  # (monotonic, summed RSS of the children)
        self._halt = threading.Event()

    @staticmethod
    def _cpu(proc: psutil.Process) -> float:
        times = proc.cpu_times()
        return times.user + times.system

    def run(self) -> None:
        ticks = 0
        while not self._halt.is_set():
            try:
                children = self.root.children(recursive=True)
                sizes = [p.memory_info().rss for p in children]
                total = self.root.memory_info().rss + sum(sizes)
                self.peak_total = max(self.peak_total, total)
                self.peak_child = max([self.peak_child, *sizes])
                self.samples.append((time.monotonic(), sum(sizes)))
                for proc in [self.root, *children]:
                    self.cpu[proc.pid] = self._cpu(proc)
            except psutil.Error:
                pass
            ticks += 1
            if self.backends is not None and ticks % 4 == 0:
                try:
                    for pid in self.backends():
                        try:
                            self.db_cpu[pid] = self._cpu(psutil.Process(pid))
                        except psutil.Error:
                            pass
                except Exception:  # noqa: BLE001 - sampling must never fail the run
                    pass
            self._halt.wait(self.interval)

    def stop(self) -> dict[str, float]:
        self._halt.set()
        self.join()
        mib = 2**20
        return {"peak_total_mib": round(self.peak_total / mib, 1), "peak_child_mib": round(self.peak_child / mib, 1),
                "worker_cpu_s": round(sum(self.cpu.values()), 1), "db_cpu_s": round(sum(self.db_cpu.values()), 1)}


class Worker:
    def __init__(self, *, queues: str = "celery", concurrency: int = 2, env: dict[str, str] | None = None,
                 name: str = "bench", nice: int = 0):
        self.log_path = Path(tempfile.mkstemp(prefix=f"{name}-worker-", suffix=".log")[1])
        full_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "leadops.settings.dev", "PYTHONUNBUFFERED": "1",
                    **(env or {})}
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [*(["nice", "-n", str(nice)] if nice else []), sys.executable, "-m", "celery",
                 "-A", "leadops", "worker", "--pool", "prefork", "--queues", queues,
                 "--concurrency", str(concurrency), "--hostname", f"{name}@%h", "--loglevel", "INFO",
                 "--without-gossip", "--without-mingle", "--without-heartbeat"],
                cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while b"ready." not in self.log_path.read_bytes():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the worker did not start; see {self.log_path}")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        except ProcessLookupError:
            pass
