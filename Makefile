# Two commands for a newcomer: `make run` (the system with demo data on SQLite)
# and `make test` (the whole test suite). Both set up .venv first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# `make run PORT=8100` serves the demo on another port (and HOST=0.0.0.0 on every interface).
PORT ?= 8000
HOST ?= 127.0.0.1

.PHONY: setup run test test-quick lint bench bench-http bench-load clean

$(BIN)/alur: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/alur

# bpmn-js for the diagram pages, from the npm registry (node_modules is never committed).
node_modules/bpmn-js/package.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# The analysts' modeler (bpmn-js, its properties panel, bpmnlint and web/modeler/*), bundled by esbuild
# into build/modeler/ (git-ignored), which the app serves.
build/modeler/index.js: node_modules/bpmn-js/package.json $(wildcard web/modeler/*)
	npm run build
	touch $@

setup: $(BIN)/alur node_modules/bpmn-js/package.json build/modeler/index.js

run: setup
	$(BIN)/alur lint processes
	$(BIN)/alur run-demo --host $(HOST) --port $(PORT)

# mypy checks engine/ and api/services (the files and options are in pyproject.toml).
lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/alur lint processes

# The suite runs on SQLite; with ALUR_TEST_DATABASE_URL_PG set (CI sets it), the
# database tests run a second time on PostgreSQL. In CI (CI set) the SQLite run prints
# the coverage of engine/ and api/. Coverage's tracer doubles the time of the tests that
# run in the test process (measured on Python 3.11: 23 s -> 46 s for the engine, procedure,
# start/complete, deploy and page tests); on Python 3.12 and later it uses sys.monitoring
# instead (COVERAGE_CORE=sysmon), which costs much less. The PostgreSQL run is not measured.
COVERAGE ?= $(if $(CI),--cov=engine --cov=api --cov-report=term,)
COVERAGE_CORE ?= $(shell $(PYTHON) -c 'import sys; print("sysmon" if sys.version_info >= (3, 12) else "")')
test: setup lint
	COVERAGE_CORE=$(COVERAGE_CORE) $(BIN)/python -m pytest $(COVERAGE)
	@if [ -n "$$ALUR_TEST_DATABASE_URL_PG" ]; then \
		echo "== database tests again on PostgreSQL"; \
		ALUR_TEST_DATABASE_URL="$$ALUR_TEST_DATABASE_URL_PG" $(BIN)/python -m pytest tests/api tests/security; \
	fi

# For development: everything but the browser, PostgreSQL and slow tests (markers set by
# tests/conftest.py), on two processes, each with its own SQLite files (one PostgreSQL database
# would be shared by both, so ALUR_TEST_DATABASE_URL is ignored here).
# Measured: 610 tests in 42 s (median of three runs, 40-43 s; load average 1.7-2.0 with this run's
# own two processes) on a 2-core machine shared with other work, 78 s of CPU; runs beside other
# work (load average rising to 2.5-2.9) took 71-77 s.
# `make test` still runs everything.
test-quick: setup
	ALUR_TEST_DATABASE_URL= $(BIN)/python -m pytest -m "not browser and not slow and not postgres" -n 2

# The quick ones (a few minutes); `make bench-load` runs gunicorn and workers under load (6-10 minutes,
# PostgreSQL too when ALUR_TEST_DATABASE_URL_PG is set).
bench: setup
	$(BIN)/python -m bench.engine_floor
	$(BIN)/python -m bench.api
	$(BIN)/python -m bench.inbox_units
	$(BIN)/python -m bench.migrate
	$(BIN)/python -m bench.modeler
	$(BIN)/python -m bench.forum

# The API over real HTTP (gunicorn, 1 worker, one keep-alive client) at 1,000 and 10,000 open instances;
# PostgreSQL too when ALUR_TEST_DATABASE_URL_PG is set.
bench-http: setup
	$(BIN)/python -m bench.http

bench-load: setup
	$(BIN)/python -m bench.load

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .ruff_cache .mypy_cache .coverage
