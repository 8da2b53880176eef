"""`leadops up`: embedded stores, migrations, web + worker + beat; Ctrl-C stops all of it."""

from __future__ import annotations

import json
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest

from tests.leadops.conftest import BASE_DIR, clean_env, free_port, gone, wait_gone

pytestmark = pytest.mark.worker

READY = re.compile(r"LeadOps is running at (http://127\.0\.0\.1:(\d+)/)")


class Output:
    """The launcher's stdout, read by a thread so that waiting for a line can time out."""

    def __init__(self, proc: subprocess.Popen[str]):
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, args=(proc,), daemon=True).start()

    def _pump(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            self.lines.append(line)
            self._queue.put(line)
        self._queue.put(None)

    @property
    def text(self) -> str:
        return "".join(self.lines)

    def wait_for(self, pattern: re.Pattern[str], timeout: float) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"no line matching {pattern.pattern!r} within {timeout} s:\n{self.text}")
            if line is None:
                pytest.fail(f"leadops up exited before printing {pattern.pattern!r}:\n{self.text}")
            match = pattern.search(line)
            if match:
                return match


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:  # noqa: S310 - loopback only
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _processes(parent: psutil.Process, *words: str) -> list[psutil.Process]:
    found = []
    for proc in parent.children(recursive=True):
        try:
            cmdline = " ".join(proc.cmdline())
        except psutil.Error:
            continue
        if all(word in cmdline for word in words):
            found.append(proc)
    return found


def test_leadops_up_moves_off_a_busy_port_serves_everything_and_ctrl_c_stops_it_all(private_stores, tmp_path):
    launcher_bin = Path(sys.executable).with_name("leadops")
    env = clean_env(STATIC_ROOT=str(tmp_path / "static"), **private_stores.env)
    spawned: list[psutil.Process] = []
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        # Given the requested port is taken
        busy.bind(("127.0.0.1", free_port()))
        busy.listen()
        wanted = busy.getsockname()[1]

        # When `leadops up` starts, with no DATABASE_URL / REDIS_URL
        launcher = subprocess.Popen(
            [str(launcher_bin), "up", "--port", str(wanted), "--web-workers", "1", "--worker-concurrency", "1"],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # a Ctrl-C in the terminal running pytest is not sent to it
        )
        try:
            output = Output(launcher)
            ready = output.wait_for(READY, timeout=120)
            url, port = ready.group(1), int(ready.group(2))

            # Then it says the port was busy and serves on the next free one
            assert port != wanted
            assert f"port {wanted} is in use; using {port}" in output.text

            # And the app answers, with both stores healthy
            status, body = _get(url + "healthz")
            assert status == 200, body
            assert json.loads(body)["checks"] == {"database": "ok", "broker": "ok"}
            assert _get(url + "admin/login/")[0] == 200
            status, docs = _get(url + "api/docs/")
            assert status == 200
            bundle = re.search(rb'src="(/static/[^"]*swagger-ui-bundle\.js)"', docs)
            assert bundle, "the API docs must load swagger-ui from our own static files"
            assert _get(url + bundle.group(1).decode().lstrip("/"))[0] == 200
            status, schema = _get(url + "api/schema/")
            assert status == 200
            assert b"/api/v1/users/" in schema

            # And web, worker and beat run as its children; the embedded stores run too
            parent = psutil.Process(launcher.pid)
            spawned = parent.children(recursive=True)
            assert _processes(parent, "gunicorn", "leadops.wsgi"), output.text
            assert _processes(parent, "celery", "-A leadops worker"), output.text
            assert _processes(parent, "celery", "--queues routing"), output.text  # routing's own worker
            assert _processes(parent, "celery", "-A leadops beat"), output.text
            pgdata = private_stores.path / "pgdata"
            postgres = psutil.Process(int((pgdata / "postmaster.pid").read_text().split()[0]))
            redis_server = psutil.Process(int((private_stores.path / "redis" / "redis.pid").read_text()))
            assert not gone(postgres) and not gone(redis_server)

            # When Ctrl-C reaches the launcher
            started = time.monotonic()
            launcher.send_signal(signal.SIGINT)

            # Then it exits cleanly within 60 s and leaves nothing running
            assert launcher.wait(timeout=60) == 0, output.text
            print(f"leadops up stopped in {time.monotonic() - started:.1f} s")
            assert wait_gone([*spawned, postgres, redis_server], timeout=10) == []
            with pytest.raises(urllib.error.URLError):
                urllib.request.urlopen(url + "healthz", timeout=2)  # noqa: S310
        finally:
            if launcher.poll() is None:
                launcher.send_signal(signal.SIGINT)
                try:
                    launcher.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    launcher.kill()
                    launcher.wait()
            for proc in spawned:
                if not gone(proc):
                    proc.kill()
            # the private_stores fixture stops the embedded stores if the launcher did not
