"""The embedded stores: found again when running, recovered after a crash, stopped on request, data kept."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess

import psutil
import psycopg2
import pytest
import redis

from leadops import stack
from tests.leadops.conftest import make_private_dir, stop_stores_in, wait_gone


def _postmaster(pgdata) -> psutil.Process:
    return psutil.Process(int((pgdata / "postmaster.pid").read_text().split()[0]))


def _query(info: stack.PostgresInfo, sql: str, params=()):
    conn = psycopg2.connect(host=info.host, port=info.port, user="postgres", dbname="leadops", connect_timeout=5)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SET synchronous_commit = on")  # the commit is on disk when execute() returns
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else None
    finally:
        conn.close()


def test_postgres_is_reused_recovers_from_a_crash_and_stops(private_stores):
    # Given a started embedded PostgreSQL
    first = stack.ensure_postgres()
    postmaster = _postmaster(first.pgdata)
    assert first.port == private_stores.pg_port
    assert first.pgdata == private_stores.path / "pgdata"

    # When it is asked for again, the same server answers and the `leadops` database exists
    again = stack.ensure_postgres()
    assert again == first
    assert _postmaster(again.pgdata).pid == postmaster.pid
    assert _query(again, "SELECT current_database()") == [("leadops",)]
    _query(first, "CREATE TABLE kept (note text)")
    _query(first, "INSERT INTO kept VALUES ('written before the crash')")

    # When the postmaster crashes, leaving its postmaster.pid behind
    os.kill(postmaster.pid, signal.SIGKILL)
    assert wait_gone([postmaster], timeout=10) == []
    assert (first.pgdata / "postmaster.pid").exists()

    # Then the next ensure_postgres() starts it again, on the same data
    recovered = stack.ensure_postgres()
    assert _postmaster(recovered.pgdata).pid != postmaster.pid
    assert _query(recovered, "SELECT 1") == [(1,)]
    assert _query(recovered, "SELECT note FROM kept") == [("written before the crash",)]

    # And stop_postgres() stops it: nothing answers any more
    survivor = _postmaster(recovered.pgdata)
    assert stack.stop_postgres() is True
    assert wait_gone([survivor], timeout=10) == []
    assert not (recovered.pgdata / "postmaster.pid").exists()
    with pytest.raises(psycopg2.OperationalError):
        _query(recovered, "SELECT 1")
    assert stack.stop_postgres() is False


def test_redis_is_reused_keeps_its_data_across_a_restart_and_stops(private_stores):
    rdir = private_stores.path / "redis"
    # Given a started embedded Redis holding a key
    first = stack.ensure_redis()
    assert first.port == private_stores.redis_port
    server = psutil.Process(int((rdir / "redis.pid").read_text()))
    assert stack.ensure_redis() == first
    assert int((rdir / "redis.pid").read_text()) == server.pid
    redis.Redis.from_url(first.url).set("leadops:test:kept", "written before the stop")

    # When it is stopped
    assert stack.stop_redis() is True
    assert wait_gone([server], timeout=10) == []
    with pytest.raises(redis.ConnectionError):
        redis.Redis.from_url(first.url, socket_connect_timeout=1).ping()
    assert stack.stop_redis() is False

    # Then the next start serves the same data (append-only file), and stopping ends it again
    restarted = stack.ensure_redis()
    client = redis.Redis.from_url(restarted.url)
    assert client.get("leadops:test:kept") == b"written before the stop"
    second = psutil.Process(int((rdir / "redis.pid").read_text()))
    assert stack.stop_redis() is True
    assert wait_gone([second], timeout=10) == []


def test_a_stopped_redis_port_taken_by_another_data_dir_is_neither_reused_nor_stopped(private_stores):
    # Given this directory's Redis was stopped, and another checkout's Redis now runs on its port
    mine = stack.ensure_redis()
    mine_server = psutil.Process(int((private_stores.path / "redis" / "redis.pid").read_text()))
    assert stack.stop_redis() is True
    assert wait_gone([mine_server], timeout=10) == []
    other_dir = make_private_dir()
    (other_dir / "redis").mkdir()
    (other_dir / "redis" / "port").write_text(str(mine.port))  # so that clean-up can stop it
    try:
        subprocess.run(
            [stack._redis_binary(), "--port", str(mine.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--dir", str(other_dir / "redis"), "--daemonize", "yes"],
            check=True,
            capture_output=True,
        )
        other = redis.Redis(port=mine.port)
        other.set("owner", "the other checkout")

        # When this directory's Redis is stopped, or asked for again
        assert stack.stop_redis() is False
        mine_again = stack.ensure_redis()

        # Then it gets a server of its own, and the other one keeps running, untouched
        assert mine_again.port != mine.port
        assert redis.Redis.from_url(mine_again.url).get("owner") is None
        assert other.get("owner") == b"the other checkout"
    finally:
        stop_stores_in(other_dir)
        shutil.rmtree(other_dir, ignore_errors=True)
