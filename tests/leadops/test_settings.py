"""Production settings: refuse to start without the essentials, and pass Django's deployment checklist."""

from __future__ import annotations

import re
import secrets
import subprocess
import sys

import pytest
from django.conf import settings

from tests.leadops.conftest import BASE_DIR, clean_env, postgres_url


def _prod_env(**changes: str | None) -> dict[str, str]:
    env = clean_env(
        DJANGO_SETTINGS_MODULE="leadops.settings.prod",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="leadops.example.com",
        DATABASE_URL=postgres_url(settings.DATABASES["default"], "postgres"),  # check does not connect
        REDIS_URL="redis://127.0.0.1:6379/0",
    )
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], env=env, cwd=BASE_DIR, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SECRET_KEY", None),
        ("ALLOWED_HOSTS", None),
        ("DATABASE_URL", None),
        ("REDIS_URL", None),
        ("REDIS_URL", ""),  # set but empty is missing too
        ("SECRET_KEY", "short-and-guessable"),
    ],
    ids=["no-SECRET_KEY", "no-ALLOWED_HOSTS", "no-DATABASE_URL", "no-REDIS_URL", "empty-REDIS_URL", "short-key"],
)
def test_prod_settings_refuse_to_start_naming_the_missing_variable(variable, value):
    result = _run(["-m", "django", "check"], _prod_env(**{variable: value}))

    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "cannot start" in lines[0]
    assert variable in lines[0]
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_prod_settings_pass_the_deployment_checklist_without_a_warning():
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], _prod_env())
    output = result.stdout + result.stderr

    issues = re.findall(r"^\S*: \(([\w.]+\.[WE]\d+)\) ", output, flags=re.MULTILINE)
    assert issues == [], output
    assert result.returncode == 0, output
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in output
