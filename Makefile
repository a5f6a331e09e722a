# Leads CRM. `make run` serves the app on SQLite with demo data; `make test` runs every test.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

# Python 3.12+: python3.13, else python3.12 (pyenv shims need PYENV_VERSION), else a clear error.
define find_python
for v in 3.13 3.12; do \
  if command -v python$$v >/dev/null 2>&1 && python$$v -c '' >/dev/null 2>&1; then echo python$$v; exit 0; fi; \
  if command -v pyenv >/dev/null 2>&1; then \
    pv=$$(pyenv versions --bare 2>/dev/null | grep -E "^$$v(\.[0-9]+)?$$" | sort -V | tail -1); \
    if [ -n "$$pv" ] && PYENV_VERSION=$$pv python$$v -c '' >/dev/null 2>&1; then echo "PYENV_VERSION=$$pv python$$v"; exit 0; fi; \
  fi; \
done; exit 1
endef

# The locks pin every package with its hashes, so pip checks each download (hash-checking mode);
# wheels only: nothing is built on the machine.
PIP_INSTALL := $(PY) -m pip install --disable-pip-version-check -q --require-hashes --only-binary :all:
# One stamp per lock: `make run` installs only the app's packages, `make test` adds the tools.
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
# Options for `make lock`, e.g. LOCK_ARGS=--upgrade or LOCK_ARGS="--upgrade-package django".
LOCK_ARGS ?=
# One lock for every platform (--universal) and Python 3.12+, with the hashes of all of a version's files.
UV_COMPILE = $(VENV)/bin/uv pip compile --universal --python-version 3.12 --generate-hashes --quiet \
	--custom-compile-command "make lock" $(LOCK_ARGS)

.PHONY: run test lint lock bench bench-privacy screenshots clean

$(PY):
	@PYBIN="$$($(find_python))" || { echo "Leads CRM needs Python 3.12 or newer (python3.13 or python3.12 on PATH)." >&2; exit 1; }; \
	 echo "Creating $(VENV) with $$PYBIN"; env $$PYBIN -m venv $(VENV)

$(RUN_STAMP): requirements.txt | $(PY)
	$(PIP_INSTALL) -r requirements.txt
	@touch $@

# The dev lock holds the runtime lock's pins too (requirements-dev.in: -c requirements.txt).
$(DEV_STAMP): requirements-dev.txt requirements.txt | $(PY)
	$(PIP_INSTALL) -r requirements-dev.txt
	@touch $@ $(RUN_STAMP)

run: $(RUN_STAMP)
	DJANGO_DEBUG=1 $(PY) manage.py migrate --no-input -v0
	DJANGO_DEBUG=1 $(PY) manage.py seed_demo
	# The background worker (imports, ...) runs next to the server and stops with it.
	DJANGO_DEBUG=1 $(PY) manage.py db_worker --interval 1 -v0 & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  DJANGO_DEBUG=1 $(PY) manage.py runserver $(HOST):$(PORT)

test: $(DEV_STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

# Rewrites both locks from requirements.in and requirements-dev.in (uv comes with the dev lock).
lock: $(DEV_STAMP)
	$(UV_COMPILE) requirements.in -o requirements.txt
	$(UV_COMPILE) requirements-dev.in -o requirements-dev.txt

bench: $(RUN_STAMP)
	$(PY) manage.py bench

# Issue 10's figures (README, "Children's data protection"). Writes into DATABASE_URL's database,
# which must be a scratch one named *bench*, e.g. postgres://crm:crm@127.0.0.1:5432/crm_bench.
BENCH_PRIVACY_ENV := DJANGO_SECURE_COOKIES=0 DJANGO_STATIC_MANIFEST=0
bench-privacy: $(RUN_STAMP)
	$(BENCH_PRIVACY_ENV) $(PY) manage.py migrate --no-input -v0
	$(BENCH_PRIVACY_ENV) $(PY) manage.py bench_privacy $(BENCH_PRIVACY_ARGS)

screenshots: $(DEV_STAMP)
	$(PY) scripts/screenshots.py

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-wal db.sqlite3-shm staticfiles
