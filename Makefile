# Two commands for a newcomer: `make run` (the system with demo data on SQLite)
# and `make test` (the whole test suite). Both set up .venv first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup run test lint bench clean

$(BIN)/alur: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/alur

# bpmn-js for the diagram pages, from the npm registry (node_modules is never committed).
node_modules/bpmn-js/package.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

setup: $(BIN)/alur node_modules/bpmn-js/package.json

run: setup
	$(BIN)/alur lint processes
	$(BIN)/alur run-demo

lint: setup
	$(BIN)/ruff check .
	$(BIN)/alur lint processes

# The suite runs on SQLite; with ALUR_TEST_DATABASE_URL_PG set (CI sets it), the
# database tests run a second time on PostgreSQL.
test: setup lint
	$(BIN)/python -m pytest
	@if [ -n "$$ALUR_TEST_DATABASE_URL_PG" ]; then \
		echo "== database tests again on PostgreSQL"; \
		ALUR_TEST_DATABASE_URL="$$ALUR_TEST_DATABASE_URL_PG" $(BIN)/python -m pytest tests/api tests/security; \
	fi

bench: setup
	$(BIN)/python -m bench.engine_floor
	$(BIN)/python -m bench.api

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .ruff_cache
