"""Small helpers shared by tests that start child processes."""

from __future__ import annotations

from urllib.parse import quote


def postgres_url(db: dict, name: str | None = None) -> str:
    """A DATABASE_URL for the server of a Django ``settings_dict`` (a socket directory is percent-encoded,
    as the embedded PostgreSQL is reached through its socket)."""
    host = quote(str(db["HOST"] or "127.0.0.1"), safe="")
    user, password = quote(db["USER"] or "postgres"), quote(db["PASSWORD"] or "")
    return f"postgres://{user}:{password}@{host}:{db['PORT'] or 5432}/{quote(name or db['NAME'])}"
