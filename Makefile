# The two commands: `make run` (the whole product) and `make test` (the whole suite).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BASE_STAMP := $(VENV)/.base-installed
DEV_STAMP := $(VENV)/.dev-installed

.PHONY: run test lint format bench bench-email faults clean-venv debian-run debian-test

# Debian packages (requirements/debian.txt): installed when missing, before anything else.
debian-run:
	scripts/debian-packages run

debian-test:
	scripts/debian-packages run test

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(BASE_STAMP): requirements/base.txt | $(PY)
	$(PY) -m pip install -q -r requirements/base.txt
	touch $@

$(DEV_STAMP): requirements/base.txt requirements/dev.txt | $(PY)
	$(PY) -m pip install -q -r requirements/dev.txt
	touch $(BASE_STAMP) $@

run: debian-run $(BASE_STAMP)
	$(PY) scripts/run.py

test: debian-test $(DEV_STAMP)
	scripts/test-services
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DJANGO_SETTINGS_MODULE=helpdesk.settings_test $(PY) manage.py compile_translations
	$(PY) -m pytest -n $${TEST_WORKERS:-auto} $(PYTEST_ARGS)

# Fills the `helpdesk_bench` database with 1,000,000 tickets (once), then the wrk load run.
bench: debian-run $(BASE_STAMP)
	$(PY) bench/load.py $(BENCH_ARGS)

# 10,000 varied emails from a private Dovecot mailbox to tickets, through the worker.
bench-email: debian-test $(DEV_STAMP)
	$(PY) bench/email_ingest.py $(BENCH_ARGS)

# 10,000 web-form submissions while the worker is killed twice and Redis restarted once.
faults: debian-run $(BASE_STAMP)
	$(PY) bench/faults.py

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(DEV_STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean-venv:
	rm -rf $(VENV)
