# Hustings: `make run` serves the demo on the embedded SQLite; `make test` passes the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run install system-deps lint test test-fast bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

install: $(BIN)/.installed

## Set up, load the demo data into SQLite and serve it on http://$(HOST):$(PORT)
run: install
	HUSTINGS_PUBLIC_URL=http://$(HOST):$(PORT) $(BIN)/hustings demo
	$(BIN)/hustings serve --host $(HOST) --port $(PORT)

## Debian's PostgreSQL and Chromium, which the test suite starts for real
system-deps:
	bash scripts/install-system-deps.sh

lint: install
	$(BIN)/ruff check src tests benchmarks training
	$(BIN)/mypy

## Set up and run every test: domain, SQLite, PostgreSQL and Chromium lanes
test: install system-deps lint
	$(BIN)/pytest -q

test-fast: install
	$(BIN)/pytest -q -m "not browser and not postgres"

bench: install
	$(BIN)/python benchmarks/ingest.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
