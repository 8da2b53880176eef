"""The machine a benchmark ran on: CPU model, cores, RAM, PostgreSQL version."""

from __future__ import annotations

import os
import platform
import time

import psutil


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def postgres_version() -> str:
    try:
        from django.db import connection

        with connection.cursor() as cur:
            cur.execute("SHOW server_version")
            version = cur.fetchone()[0]
            cur.execute("SHOW shared_buffers")
            buffers = cur.fetchone()[0]
        return f"PostgreSQL {version} (shared_buffers {buffers})"
    except Exception as exc:  # noqa: BLE001 - the machine line must not fail a run
        return f"PostgreSQL unknown ({exc.__class__.__name__})"


def describe() -> dict[str, str]:
    ram = psutil.virtual_memory().total / 2**30
    return {
        "cpu": cpu_model(),
        "cores": str(os.cpu_count()),
        "ram": f"{ram:.1f} GiB",
        "postgres": postgres_version(),
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
    }


def one_line(info: dict[str, str]) -> str:
    return (f"{info['cpu']}, {info['cores']} cores, {info['ram']} RAM, {info['postgres']}, "
            f"Python {info['python']}, {info['os']}")


def wait_for_quiet(max_seconds: int, poll: float = 10.0) -> float:
    """Sleep until the 1-minute load average is below the number of cores, or ``max_seconds`` passed."""
    started = time.monotonic()
    cores = os.cpu_count() or 1
    while os.getloadavg()[0] >= cores and time.monotonic() - started < max_seconds:
        time.sleep(poll)
    return time.monotonic() - started
