"""A small HTTP load client: http.client connections on a thread pool, loopback only, bounded request counts.

Every request is timed from sending to having read the whole body. Connections are per thread
(gunicorn's sync workers close them after each answer; http.client reopens them transparently).
"""

from __future__ import annotations

import http.client
import json
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


class ApiError(RuntimeError):
    def __init__(self, status: int, body: str, path: str):
        super().__init__(f"{status} on {path}: {body[:300]}")
        self.status = status


@dataclass
class Reply:
    status: int
    body: bytes
    ms: float

    def json(self) -> Any:
        return json.loads(self.body)


class LoopbackClient:
    """Timed requests to a loopback server on per-thread http.client connections; a connection the server
    dropped is reopened and the request sent once more. ``Api`` (token) and the workspace bench's ``Browser``
    (session cookie) build on it."""

    def __init__(self, base_url: str, *, timeout: float):
        parts = urllib.parse.urlsplit(base_url)
        if parts.hostname not in LOOPBACK:
            raise SystemExit(f"refusing to load {parts.hostname}: the benchmarks run against loopback only")
        self.host = parts.hostname
        self.port = parts.port or 80
        self.prefix = parts.path.rstrip("/")
        self.timeout = timeout
        self._local = threading.local()

    def _conn(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return conn

    def _send(self, method: str, url: str, payload: bytes | None,
              headers: dict[str, str]) -> tuple[http.client.HTTPResponse, Reply]:
        """The response (its headers) and the timed reply: from sending to having read the whole body."""
        for attempt in (1, 2):
            conn = self._conn()
            started = time.perf_counter()
            try:
                conn.request(method, url, body=payload, headers=headers)
                response = conn.getresponse()
                data = response.read()
            except (http.client.HTTPException, ConnectionError) as exc:
                conn.close()
                self._local.conn = None
                if attempt == 2:
                    raise ApiError(0, str(exc), url) from exc
                continue
            ms = (time.perf_counter() - started) * 1000
            if response.will_close:
                conn.close()
                self._local.conn = None
            return response, Reply(response.status, data, ms)
        raise AssertionError("unreachable")


class Api(LoopbackClient):
    def __init__(self, base_url: str, token: str, *, timeout: float = 30.0):
        super().__init__(base_url, timeout=timeout)
        self.token = token

    def request(self, method: str, path: str, body: Any = None) -> Reply:
        headers = {"Authorization": f"Token {self.token}", "Accept": "application/json"}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        url = path if path.startswith("/") else "/" + path
        if not url.startswith(self.prefix):
            url = self.prefix + url
        return self._send(method, url, payload, headers)[1]

    def get_json(self, path: str) -> Any:
        reply = self.request("GET", path)
        if reply.status != 200:
            raise ApiError(reply.status, reply.body.decode(errors="replace"), path)
        return reply.json()

    def path_of(self, absolute_url: str) -> str:
        """The path + query of a ``next`` link (the server builds absolute URLs)."""
        parts = urllib.parse.urlsplit(absolute_url)
        return parts.path + (f"?{parts.query}" if parts.query else "")


def run_load(work: Iterable[Any], call: Callable[[Any], Reply], *, concurrency: int,
             ok: Callable[[Reply], bool] = lambda r: r.status == 200,
             ) -> tuple[list[float], int, float, list[str]]:
    """Run ``call`` for every item on ``concurrency`` threads: (latencies ms, errors, wall seconds, samples of
    error bodies)."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def one(item: Any) -> None:
        try:
            reply = call(item)
        except ApiError as exc:
            with lock:
                errors.append(str(exc))
            return
        with lock:
            if ok(reply):
                latencies.append(reply.ms)
            else:
                errors.append(f"{reply.status}: {reply.body[:300].decode(errors='replace')}")

    items = list(work)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(one, items))
    wall = time.perf_counter() - started
    return latencies, len(errors), wall, errors[:5]
