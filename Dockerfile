# syntax=docker/dockerfile:1.7
#
# Production image of factcheck (gunicorn on port 8000).
#
# Build:  docker build -t factcheck .
# Run:    docker run -p 8000:8000 \
#           -e FACTCHECK_ENV=production \
#           -e FACTCHECK_SECRET_KEY="$(python3 -c 'import secrets; print(secrets.token_hex(32))')" \
#           -e FACTCHECK_DATABASE_URL=postgresql://USER:PASSWORD@HOST:5432/factcheck \
#           factcheck
#
# Required at run time: FACTCHECK_ENV=production, FACTCHECK_SECRET_KEY (>= 32 chars, the
# same for every container), FACTCHECK_DATABASE_URL (PostgreSQL with the pgvector
# extension available). Optional: WEB_CONCURRENCY (gunicorn workers, default 2),
# GUNICORN_CMD_ARGS, and every FACTCHECK_* setting in README.md.
#
# With no arguments the container migrates the database, then serves. With arguments it
# runs them instead, e.g. `docker run ... factcheck factcheck users create EMAIL --role admin`.

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    FACTCHECK_ENV=production \
    FACTCHECK_INSTANCE_PATH=/var/lib/factcheck

RUN python -m venv "$VIRTUAL_ENV"

# The CPU build of torch first (pyproject.toml pins torch==2.13.0; from PyPI that
# would be a multi-GB CUDA build). pip then sees the pin satisfied.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0

WORKDIR /app

# The app is installed in editable mode because it finds templates/, static/ and
# migrations/ next to the package (factcheck.config.REPO_ROOT = /app). Installing
# against an empty package first keeps the dependency layer cached while only the
# code changes; the editable install points at /app/factcheck, filled in below.
COPY pyproject.toml README.md ./
RUN mkdir factcheck && touch factcheck/__init__.py \
    && pip install -e . \
    && python -c "import torch; assert not torch.version.cuda, 'a CUDA build of torch was installed'"

COPY factcheck/ factcheck/
COPY templates/ templates/
COPY static/ static/
COPY migrations/ migrations/
COPY alembic.ini ./

COPY --chmod=755 <<'EOF' /usr/local/bin/docker-entrypoint
#!/bin/sh
set -e
if [ "$#" -gt 0 ]; then
    exec "$@"
fi
factcheck db upgrade
exec gunicorn \
    --workers "${WEB_CONCURRENCY:-2}" \
    --bind 0.0.0.0:8000 \
    --timeout 120 \
    --access-logfile - \
    'factcheck:create_app()'
EOF

RUN useradd --system --uid 10001 --create-home --home-dir /home/factcheck factcheck \
    && mkdir -p "$FACTCHECK_INSTANCE_PATH" \
    && chown factcheck:factcheck "$FACTCHECK_INSTANCE_PATH" \
    && python -m compileall -q /app/factcheck /app/migrations
USER factcheck

EXPOSE 8000
ENTRYPOINT ["/usr/local/bin/docker-entrypoint"]
