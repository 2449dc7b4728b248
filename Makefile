# Dyad's commands. The README's two set-up commands are `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
TEST_ENV := DJANGO_SETTINGS_MODULE=config.settings.test

.PHONY: run test lint fmt check-migrations bench loadtest lock clean

# A virtual environment with exactly the versions in requirements.lock; rebuilt when the lock changes.
$(VENV)/.installed: requirements.lock
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	touch $@

## Run Dyad with demo data: web server, Celery worker and beat, no database or broker server needed.
run: $(VENV)/.installed
	scripts/run

## The whole suite against the real PostgreSQL and Redis (started if they are down), with lint gates.
test: $(VENV)/.installed
	scripts/ensure-services
	$(MAKE) --no-print-directory lint check-migrations
	$(TEST_ENV) $(BIN)/pytest --cov --cov-report=term-missing:skip-covered

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

check-migrations: $(VENV)/.installed
	$(TEST_ENV) $(BIN)/python manage.py makemigrations --check --dry-run

fmt: $(VENV)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Benchmarks (never part of `make test`): pairing, outbox, and every page against a seeded year in
## databases of their own (dyad_bench, dyad_bench_small); writes bench/results.json.
bench: $(VENV)/.installed
	scripts/ensure-services
	$(TEST_ENV) $(BIN)/python -m bench

## Two minutes of load (never part of `make test`): gunicorn, Celery worker and beat against the big
## bench seed, locust with 20 then 100 trainees and 5 supervisors; writes bench/loadtest.json.
loadtest: $(VENV)/.installed
	scripts/ensure-services
	$(BIN)/python -m bench.loadtest

## Re-pin requirements.lock from the ranges in pyproject.toml.
lock: $(VENV)/.installed
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --extra dev --strip-extras --no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml

clean:
	rm -rf $(VENV) var staticfiles .coverage
