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

.PHONY: run test lint bench screenshots clean

$(VENV)/.installed: requirements.txt
	@PYBIN="$$($(find_python))" || { echo "Leads CRM needs Python 3.12 or newer (python3.13 or python3.12 on PATH)." >&2; exit 1; }; \
	 [ -x $(PY) ] || { echo "Creating $(VENV) with $$PYBIN"; env $$PYBIN -m venv $(VENV); }
	$(PY) -m pip install --disable-pip-version-check -q -r requirements.txt
	@touch $@

run: $(VENV)/.installed
	DJANGO_DEBUG=1 $(PY) manage.py migrate --no-input -v0
	DJANGO_DEBUG=1 $(PY) manage.py seed_demo
	DJANGO_DEBUG=1 $(PY) manage.py runserver $(HOST):$(PORT)

test: $(VENV)/.installed
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

bench: $(VENV)/.installed
	$(PY) manage.py bench

screenshots: $(VENV)/.installed
	$(PY) scripts/screenshots.py

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-wal db.sqlite3-shm staticfiles
