"""``leadops``: the one launcher.

    leadops up [--demo] [--port 8000] [--keep-stores]   migrations, web (gunicorn), workers, beat
    leadops down                                        stop the embedded PostgreSQL and Redis

Without DATABASE_URL / REDIS_URL the embedded PostgreSQL and Redis under ``.leadops/`` are
started (or found running) first. Ctrl-C stops every child process group, then the embedded
stores (unless --keep-stores), so nothing is left behind.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from leadops import stack

DEMO_LOGINS_NOTE = "every demo login uses the password 'leadops-demo'"


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _pick_port(wanted: int) -> int:
    for port in range(wanted, wanted + 100):
        if _port_free(port):
            return port
    raise SystemExit(f"leadops: no free port between {wanted} and {wanted + 99}; pass --port")


def _say(message: str) -> None:
    print(f"leadops: {message}", flush=True)


class Supervisor:
    """Starts children in their own process groups and stops every one of them."""

    def __init__(self, env: dict[str, str], logs: Path):
        self.env = env
        self.logs = logs
        self.children: dict[str, subprocess.Popen[bytes]] = {}

    def run(self, name: str, args: list[str]) -> None:
        """Run a one-off step to completion; its output goes to the terminal."""
        _say(f"{name} ...")
        result = subprocess.run([sys.executable, *args], env=self.env)
        if result.returncode != 0:
            raise SystemExit(f"leadops: {name} failed (exit {result.returncode}); see the output above")

    def start(self, name: str, args: list[str]) -> None:
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 - closed with the child
        self.children[name] = subprocess.Popen(
            [sys.executable, *args],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def dead(self) -> list[str]:
        return [name for name, proc in self.children.items() if proc.poll() is not None]

    def stop(self) -> None:
        for proc in self.children.values():
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 20
        for proc in self.children.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        for proc in self.children.values():
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # whatever is left of the group
            except (ProcessLookupError, PermissionError):
                pass
            proc.wait()


def _wait_healthy(url: str, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 - loopback only
                if resp.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    return False


def worker_args(*, queue: str, concurrency: int, name: str) -> list[str]:
    """A Celery worker consuming ``queue`` (comma-separated; leadops/celery.py routes routing's tasks to "routing")."""
    return ["-m", "celery", "-A", "leadops", "worker", "--loglevel", "INFO", "--queues", queue,
            "--concurrency", str(concurrency), "--hostname", f"{name}@%h"]


def _stop_requested(signum, frame):  # noqa: ARG001
    raise KeyboardInterrupt


def cmd_up(opts: argparse.Namespace) -> int:
    # Ctrl-C and SIGTERM both mean "stop everything". SIGINT is installed explicitly: a launcher started in
    # the background of a script inherits SIGINT as ignored, and would otherwise never stop on it.
    signal.signal(signal.SIGINT, _stop_requested)
    signal.signal(signal.SIGTERM, _stop_requested)
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "leadops.settings.dev")
    embedded: list[str] = []
    started = time.monotonic()
    try:
        # Stop on exit only what this launcher started: stores found running (another `up`, or a
        # `--keep-stores` run) are left as they were.
        if not env.get("DATABASE_URL"):
            info = stack.ensure_postgres()
            env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:{info.port}/leadops"
            if "postgres" in stack.STARTED:
                embedded.append("postgres")
            _say(f"embedded PostgreSQL ready on 127.0.0.1:{info.port} (data in {info.pgdata})")
        if not env.get("REDIS_URL"):
            env["REDIS_URL"] = stack.ensure_redis().url
            if "redis" in stack.STARTED:
                embedded.append("redis")
            _say(f"embedded Redis ready at {env['REDIS_URL']}")
    except stack.StackError as exc:
        print(f"leadops: {exc}", file=sys.stderr)
        return 1
    logs = stack.data_dir() / "logs"
    logs.mkdir(exist_ok=True)
    sup = Supervisor(env, logs)

    try:
        sup.run("migrations", ["-m", "django", "migrate", "--noinput", "-v", "0"])
        sup.run("static files", ["-m", "django", "collectstatic", "--noinput", "-v", "0"])
        if opts.demo:
            sup.run(
                "demo organisation", ["-m", "django", "demo_data", "--if-empty", "--seed", str(opts.seed)]
            )
        port = _pick_port(opts.port)
        if port != opts.port:
            _say(f"port {opts.port} is in use; using {port}")
        bind = f"127.0.0.1:{port}"
        sup.start(
            "web",
            [
                "-m",
                "gunicorn",
                "leadops.wsgi:application",
                "--bind",
                bind,
                "--workers",
                str(opts.web_workers),
                "--timeout",
                "60",
                "--access-logfile",
                "-",
            ],
        )
        # the default worker takes routing's queue too (a free process routes at once); routing also has a worker
        # of its own, so an MQL never waits behind scoring, sweeps or webhooks even when every default process
        # is busy (docs/routing.md)
        sup.start("worker", worker_args(queue="celery,routing", concurrency=opts.worker_concurrency, name="leadops"))
        sup.start("worker-routing", worker_args(queue="routing", concurrency=opts.routing_concurrency,
                                                name="routing"))
        sup.start(
            "beat",
            [
                "-m",
                "celery",
                "-A",
                "leadops",
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                str(stack.data_dir() / "celerybeat-schedule"),
            ],
        )
        url = f"http://{bind}/"
        if not _wait_healthy(url + "healthz"):
            _say(f"the web server did not become healthy; see {logs / 'web.log'}")
            return 1
        took = time.monotonic() - started
        print("\n" + "=" * 72)
        print(f"  LeadOps is running at {url}   (ready in {took:.0f} s)")
        print(f"  admin: {url}admin/    API docs: {url}api/docs/")
        if opts.demo:
            from leadops.demo_logins import DEMO_LOGINS

            print(f"  demo logins ({DEMO_LOGINS_NOTE}):")
            for username, what in DEMO_LOGINS:
                print(f"    {username:<12} {what}")
        print(f"  logs: {logs}/(web|worker|worker-routing|beat).log")
        print("  Ctrl-C stops everything.")
        print("=" * 72 + "\n", flush=True)
        while True:
            gone = sup.dead()
            if gone:
                _say(f"{', '.join(gone)} exited unexpectedly; see {logs}. Stopping.")
                return 1
            time.sleep(1)
    except KeyboardInterrupt:
        _say("stopping ...")
        return 0
    finally:
        # a second Ctrl-C must not cut the clean-up short
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        sup.stop()
        if not opts.keep_stores:
            if "redis" in embedded:
                stack.stop_redis()
            if "postgres" in embedded:
                stack.stop_postgres()
        _say("stopped.")


def cmd_down(opts: argparse.Namespace) -> int:  # noqa: ARG001
    _say(f"Redis {'stopped' if stack.stop_redis() else 'was not running'}")
    _say(f"PostgreSQL {'stopped' if stack.stop_postgres() else 'was not running'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="leadops", description="Run LeadOps and its embedded data stores.")
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="migrate, then run web + workers (default queue, routing) + beat until Ctrl-C")
    up.add_argument("--demo", action="store_true", help="load the demo organisation if the database is empty")
    up.add_argument("--seed", type=int, default=1, help="seed of the demo organisation")
    up.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    up.add_argument("--web-workers", type=int, default=3)
    up.add_argument("--worker-concurrency", type=int, default=2, help="processes of the default queue's worker")
    up.add_argument("--routing-concurrency", type=int, default=2, help="processes of the routing queue's worker")
    up.add_argument("--keep-stores", action="store_true", help="leave embedded PostgreSQL and Redis running")
    up.set_defaults(func=cmd_up)
    down = sub.add_parser("down", help="stop the embedded PostgreSQL and Redis")
    down.set_defaults(func=cmd_down)
    opts = parser.parse_args(argv)
    return int(opts.func(opts))


if __name__ == "__main__":
    sys.exit(main())
