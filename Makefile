# factcheck: developer tasks. `make run` and `make test` are all a new developer needs.
#
# Everything installs into ./.venv from the project's own files (pyproject.toml).
# torch is pinned (==2.13.0) in pyproject.toml so pip takes the CPU wheel.

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
HOST   ?= 127.0.0.1
# Extra arguments for pytest, e.g. `make test PYTEST_ARGS="-x -k cli"`.
PYTEST_ARGS ?=

# Models load from local paths only; never wait on the model hub.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.DEFAULT_GOAL := help
.PHONY: help install install-test run migrate demo serve test test-sqlite test-postgres test-release clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

# --- setup ------------------------------------------------------------------

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when pyproject.toml changes (or the venv was recreated).
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed | /usr/bin/chromium
	$(BIN)/python -m pip install -e '.[test]'
	touch $@

# Browser tests drive Debian's Chromium; Playwright never downloads a browser here.
/usr/bin/chromium:
	@if [ "$$(id -u)" -eq 0 ]; then \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else \
		echo "The browser tests need Debian's chromium: sudo apt-get install chromium" >&2; exit 1; \
	fi

install: $(VENV)/.installed ## Create .venv and install the app

install-test: $(VENV)/.installed-test ## Create .venv and install the app with test tools

# --- running ----------------------------------------------------------------

run: migrate demo ## Set up, migrate, load demo data and serve on http://127.0.0.1:5000 (PORT overrides)
	$(BIN)/factcheck serve --host $(HOST) --port $(PORT)

migrate: $(VENV)/.installed ## Apply database migrations (FACTCHECK_DATABASE_URL, default instance/factcheck.db)
	$(BIN)/factcheck db upgrade

demo: migrate ## Load the demo library and demo logins (idempotent; refused in production)
	$(BIN)/factcheck demo load

serve: $(VENV)/.installed ## Serve without migrating or loading demo data
	$(BIN)/factcheck serve --host $(HOST) --port $(PORT)

# --- tests ------------------------------------------------------------------

test: $(VENV)/.installed-test ## Run the whole suite on SQLite, then on PostgreSQL + pgvector, then the release check
	@status=0; \
	echo "== tests on SQLite =="; \
	FACTCHECK_TEST_DB=sqlite $(BIN)/python -m pytest $(PYTEST_ARGS) || status=1; \
	echo "== tests on PostgreSQL 16 + pgvector (pgserver) =="; \
	FACTCHECK_TEST_DB=postgres $(BIN)/python -m pytest $(PYTEST_ARGS) || status=1; \
	echo "== release: wheel in a bare venv, db upgrade and serve from outside the checkout =="; \
	$(BIN)/python .ci/release_check.py || status=1; \
	if [ $$status -ne 0 ]; then echo "make test: FAILED (see above)"; fi; \
	exit $$status

test-sqlite: $(VENV)/.installed-test ## Run the suite on SQLite only
	FACTCHECK_TEST_DB=sqlite $(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgres: $(VENV)/.installed-test ## Run the suite on PostgreSQL + pgvector only
	FACTCHECK_TEST_DB=postgres $(BIN)/python -m pytest $(PYTEST_ARGS)

# The wheel alone must migrate a database and serve the app from any folder (see .ci/release_check.py).
test-release: $(VENV)/.installed ## Build the wheel, install it in a bare venv, db upgrade and serve a page
	$(BIN)/python .ci/release_check.py

# --- housekeeping -----------------------------------------------------------

# Keeps .venv. Deletes instance/, i.e. the development SQLite database and the
# generated development secret key (you will be logged out).
clean: ## Delete instance/ (dev database, dev secret) and caches; keeps .venv
	rm -rf instance .pytest_cache build dist *.egg-info
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -exec rm -rf {} +
