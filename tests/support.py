"""Small helpers shared by tests that start child processes."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from django.db import connection


def postgres_url(db: dict, name: str | None = None) -> str:
    """A DATABASE_URL for the server of a Django ``settings_dict`` (a socket directory is percent-encoded,
    as the embedded PostgreSQL is reached through its socket)."""
    host = quote(str(db["HOST"] or "127.0.0.1"), safe="")
    user, password = quote(db["USER"] or "postgres"), quote(db["PASSWORD"] or "")
    return f"postgres://{user}:{password}@{host}:{db['PORT'] or 5432}/{quote(name or db['NAME'])}"


def race(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls at once, each on its own thread and database connection (a barrier releases them
    together); return each one's result, or the exception it raised."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[Any] = [None] * len(calls)

    def run(i: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes[i] = call()
        except Exception as exc:  # noqa: BLE001 - the caller's assertions judge it
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return outcomes
