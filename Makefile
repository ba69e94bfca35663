# The two commands of the README: `make run` (embedded default) and `make test` (whole suite).
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: run test lint bench services-up services-down clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $@

## Set up and run the embedded default: SQLite store, syslog/HTTP sources, rules, demo stream.
run: $(BIN)/.installed
	$(BIN)/canhgac run

## The whole test suite, with the real Kafka broker and Elasticsearch node it needs, the
## programs it drives (Chromium, rsyslog, syslog-ng, logger: deploy/dev/install-test-tools), and
## its branch coverage (measured, not enforced; `.venv/bin/coverage report` shows it file by file).
test: $(BIN)/.installed
	deploy/dev/install-test-tools
	$(BIN)/ruff check canhgac ingest alerting tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	deploy/services/with-services $(BIN)/python -m pytest --cov --cov-report=
	@echo "branch coverage of canhgac, ingest and alerting: $$($(BIN)/coverage report --format=total)%"

lint: $(BIN)/.installed
	$(BIN)/ruff check canhgac ingest alerting tests bench
	$(BIN)/ruff format --check canhgac ingest alerting
	$(BIN)/mypy

bench: $(BIN)/.installed
	for b in bench/bench_*.py; do $(BIN)/python $$b || exit 1; done

services-up:
	deploy/services/up

services-down:
	deploy/services/down

clean:
	rm -rf var/canhgac.db* var/checkpoints var/demo .coverage .coverage.*
