"""Production: everything from the environment; refuses to start without the essentials."""

import sys

from .base import *  # noqa: F403
from .base import cache_config, database_config, env, env_bool, env_list

REQUIRED = ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL")
for _name in REQUIRED:
    if env(_name) is None:
        sys.stderr.write(f"LeadOps (prod settings) cannot start: environment variable {_name} is not set.\n")
        raise SystemExit(2)
if len(env("SECRET_KEY") or "") < 50:
    sys.stderr.write(
        "LeadOps (prod settings) cannot start: SECRET_KEY must be at least 50 random characters.\n"
    )
    raise SystemExit(2)

DEBUG = False
SECRET_KEY = env("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
DATABASES = {"default": database_config()}
CELERY_BROKER_URL = env("REDIS_URL")
# The per-client rate limit (leadops.api.throttling) counts in the default cache: shared by every worker.
CACHES = cache_config(env("REDIS_URL"))

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load-balancer probes speak plain HTTP
SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "31536000") or 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
