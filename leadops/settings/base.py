"""Settings shared by every environment. Values come from the environment; see docs/configuration.md."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    return default if value is None else value.lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in (env(name, default) or "").split(",") if part.strip()]


SECRET_KEY = env("SECRET_KEY", "dev-only-not-secret-0f6c3f2e9a6b4c1d8e7f")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # swagger-ui and redoc served from static/, no CDN
    "leadops",
    "leadops.webhooks",
    "lifecycle",
    "scoring",
    "routing",
    "sla",
    "reporting",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # the API's limits answer before a body is read, then writes with an Idempotency-Key are remembered
    "leadops.api.limits.BodySizeLimitMiddleware",
    "leadops.api.idempotency.IdempotencyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "leadops.urls"
WSGI_APPLICATION = "leadops.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

AUTH_USER_MODEL = "leadops.User"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")) or "")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024  # request bodies over 1 MB answer 413 (api.md)


# --- data stores: PostgreSQL and Redis only ---------------------------------------------------
# With DATABASE_URL / REDIS_URL set (production, docker-compose, CI against a stock server),
# those are used. Without them the embedded servers under .leadops/ are started on demand.


def database_config() -> dict:
    url = env("DATABASE_URL")
    if url is None:
        from leadops import stack

        info = stack.ensure_postgres()
        config = {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "leadops",
            "USER": "postgres",
            "PASSWORD": "",
            "HOST": info.host,
            "PORT": str(info.port),
        }
    else:
        config = dj_database_url.parse(url)
        if not config["ENGINE"].endswith("postgresql"):
            raise SystemExit(
                "DATABASE_URL must point to PostgreSQL (postgres://...): LeadOps supports nothing else"
            )
    config["CONN_MAX_AGE"] = int(env("DB_CONN_MAX_AGE", "60") or 60)
    config["CONN_HEALTH_CHECKS"] = True
    config["ATOMIC_REQUESTS"] = False
    return config


def cache_config(url: str | None) -> dict:
    """The default cache: Redis at ``url`` (shared by every process: the per-client rate limit and the webhook
    subscription version count across gunicorn workers), else this process's memory."""
    if url:
        return {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url,
                            "KEY_PREFIX": "leadops"}}
    return {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


# With REDIS_URL set (production, docker-compose, `leadops up`, a benchmark), Redis; settings/dev.py also uses
# the embedded Redis it starts. settings/test.py keeps the per-process memory cache.
CACHES = cache_config(env("REDIS_URL"))


def redis_url() -> str:
    url = env("REDIS_URL")
    if url is None:
        from leadops import stack

        url = stack.ensure_redis().url
    return url


# --- REST framework ---------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "leadops.api.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["leadops.api.permissions.ScopedRolePermission"],
    "DEFAULT_PAGINATION_CLASS": "leadops.api.pagination.KeysetCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "leadops.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DEFAULT_THROTTLE_CLASSES": ["leadops.api.throttling.ApiClientRateThrottle"],
    "DATETIME_FORMAT": "iso-8601",
}

# Requests per API token unless the token says otherwise (ApiToken.rate_limit); empty: no limit.
# Counted in the default cache (Redis whenever REDIS_URL is set or `leadops up` runs: all workers share the count).
LEADOPS_API_CLIENT_RATE = env("LEADOPS_API_CLIENT_RATE", "6000/min") or ""

SPECTACULAR_SETTINGS = {
    "TITLE": "LeadOps API",
    "DESCRIPTION": "The REST contract of LeadOps (v1). Errors share one shape: "
    '{"error": {"code", "message", "details"}}.',
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "leadops.api.schema.add_api_conventions",
    ],
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "StageEnum": "lifecycle.state_machine.Stage",
        "ChannelEnum": "lifecycle.models.Channel",
        "LeadStatusEnum": "lifecycle.models.LeadStatus",
        "DispositionKindEnum": "lifecycle.models.DispositionKind",
        "TeamKindEnum": "leadops.models.TeamKind",
    },
    # The API docs page works offline: swagger-ui and redoc come from drf-spectacular-sidecar's static files.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Celery -----------------------------------------------------------------------------------

CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}

EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "leadops@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
