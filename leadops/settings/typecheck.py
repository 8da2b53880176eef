"""Settings for the type checker only (django-stubs imports the settings to learn the models).

The test settings with placeholder store URLs: importing them must not start the embedded PostgreSQL and
leave it running after `mypy` exits (nothing connects while type checking).
"""

import os

os.environ.setdefault("DATABASE_URL", "postgres://typecheck@127.0.0.1:1/typecheck")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:1/0")

from .test import *  # noqa: E402, F403
