"""Local development and the `leadops up` launcher: embedded stores unless URLs are given."""

from .base import *  # noqa: F403
from .base import cache_config, database_config, env_bool, redis_url

DEBUG = env_bool("DEBUG", True)
WHITENOISE_USE_FINDERS = True
DATABASES = {"default": database_config()}
CELERY_BROKER_URL = redis_url()
CACHES = cache_config(CELERY_BROKER_URL)  # shared by every process (rate limits, webhook subscription version)
