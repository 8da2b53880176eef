"""Fixtures for the tests that start real processes: private embedded stores, free ports, a clean env."""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

import psutil
import pytest

from leadops import stack
from tests.support import postgres_url  # noqa: F401 - re-exported for the tests of this folder

BASE_DIR = Path(__file__).resolve().parents[2]

# Variables a child process must not inherit from the test run: pytest-django sets the test settings,
# and a developer's DATABASE_URL / REDIS_URL would send the child to the shared servers.
_INHERITED_CONFIG = ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL", "LEADOPS_DATA_DIR", "PORT")


def free_port(low: int = 57000, high: int = 59999) -> int:
    """A TCP port in [low, high] that nothing listens on now (random start: parallel runs rarely collide)."""
    start = random.randint(low, high)
    for offset in range(high - low + 1):
        port = low + (start - low + offset) % (high - low + 1)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port between {low} and {high}")


def clean_env(**overrides: str) -> dict[str, str]:
    """The environment for a child process: ours, minus the stores' configuration, plus ``overrides``."""
    env = {k: v for k, v in os.environ.items() if k not in _INHERITED_CONFIG}
    env.update(PYTHONUNBUFFERED="1", **overrides)
    return env


def gone(proc: psutil.Process) -> bool:
    """Whether a process has exited (a zombie waiting for its parent to reap it has exited)."""
    try:
        return not proc.is_running() or proc.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def wait_gone(procs: Iterable[psutil.Process], timeout: float) -> list[psutil.Process]:
    """Wait until every process has exited; returns those still alive after ``timeout`` seconds."""
    procs = list(procs)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = [p for p in procs if not gone(p)]
        if not alive:
            return []
        time.sleep(0.1)
    return [p for p in procs if not gone(p)]


def stop_process_group(proc: subprocess.Popen, timeout: float = 15) -> None:
    """SIGTERM a child started with ``start_new_session=True`` and its group; SIGKILL what is left."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


class PrivateStores:
    """A data directory of our own for the embedded PostgreSQL and Redis, and the env that selects it."""

    def __init__(self, path: Path, pg_port: int, redis_port: int):
        self.path = path
        self.pg_port = pg_port
        self.redis_port = redis_port

    @property
    def env(self) -> dict[str, str]:
        return {
            "LEADOPS_DATA_DIR": str(self.path),
            "LEADOPS_PG_PORT": str(self.pg_port),
            "LEADOPS_REDIS_PORT": str(self.redis_port),
        }


def make_private_dir() -> Path:
    # Not under pytest's tmp_path: the embedded PostgreSQL runs as another system user when we are root
    # and needs to traverse every parent directory, while pytest resets /tmp/pytest-of-<user> to 0700
    # whenever any pytest run starts on this machine.
    path = Path(tempfile.mkdtemp(prefix="leadops-test-"))
    path.chmod(0o755)
    return path


def stop_stores_in(path: Path) -> None:
    """Stop whatever embedded store runs under ``path`` (never the developer's ``.leadops/``)."""
    previous = os.environ.get("LEADOPS_DATA_DIR")
    os.environ["LEADOPS_DATA_DIR"] = str(path)
    try:
        for stop in (stack.stop_redis, stack.stop_postgres):
            try:
                stop()
            except Exception as exc:  # noqa: BLE001 - clean-up goes on; the test reports its own failure
                print(f"could not stop a store in {path}: {exc!r}")
    finally:
        if previous is None:
            del os.environ["LEADOPS_DATA_DIR"]
        else:
            os.environ["LEADOPS_DATA_DIR"] = previous


@pytest.fixture
def private_stores(monkeypatch):
    """Select a fresh data directory and free ports for ``leadops.stack`` (in this process and children).

    Whatever runs in that directory is stopped afterwards and the directory removed. ``stack.STARTED`` is
    restored, so the session's clean-up never mistakes these servers for the test database's.
    """
    path = make_private_dir()
    stores = PrivateStores(path, pg_port=free_port(), redis_port=free_port())
    for name, value in stores.env.items():
        monkeypatch.setenv(name, value)
    started_before = set(stack.STARTED)
    try:
        yield stores
    finally:
        stop_stores_in(path)
        stack.STARTED.clear()
        stack.STARTED.update(started_before)
        shutil.rmtree(path, ignore_errors=True)
