# The two set-up commands: `make demo` and `make test`. Both bootstrap .venv from a fresh clone.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
DEMO_PORT ?= 8000
SIM_PORT ?= 8765
# The suite waits mostly on HTTP, browsers and worker processes: more processes than cores overlap those waits.
TEST_PROCESSES ?= 4

.PHONY: install demo test lint typecheck check-deploy ci bench clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

# Starts everything on embedded defaults: SQLite, a Celery worker on the filesystem transport (no broker),
# the Partner Center simulator, demo data; prints the URL and the logins.
demo: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py run_demo --port $(DEMO_PORT) --simulator-port $(SIM_PORT)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache

# Types: django-stubs and djangorestframework-stubs through their mypy plugins; strict for partnercenter/ and
# bss/rules/ (see [tool.mypy] in pyproject.toml).
typecheck: $(STAMP)
	$(VENV)/bin/mypy .

# Production-like settings must pass Django's deployment checklist with nothing to report.
check-deploy: $(STAMP)
	DEBUG=0 ALLOWED_HOSTS=bss.example.com \
	SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	FIELD_ENCRYPTION_KEYS="$$($(PY) -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')" \
	$(PY) manage.py check --deploy --fail-level WARNING

test: $(STAMP) lint typecheck check-deploy
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest -n $(TEST_PROCESSES) --dist loadgroup

clean:
	rm -rf var .pytest_cache .ruff_cache .mypy_cache
