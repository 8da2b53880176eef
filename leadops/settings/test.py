"""Tests: real PostgreSQL (embedded by default, DATABASE_URL if set), Celery tasks run eagerly."""

from .base import *  # noqa: F403
from .base import cache_config, database_config, env

DEBUG = False
DATABASES = {"default": database_config()}
# Eager tasks never touch the broker; the worker test starts a real worker against REDIS_URL or the
# embedded Redis (see tests/leadops/test_worker.py), so the broker URL is resolved lazily there.
CELERY_BROKER_URL = env("REDIS_URL", "redis://127.0.0.1:1/0")
# Per-process memory cache whatever REDIS_URL says (tests clear it; the cross-process count is tested
# against a Redis of its own in tests/integrations/test_rate_limit.py).
CACHES = cache_config(None)
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
