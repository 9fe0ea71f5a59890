# SalesRelay developer commands. Everything runs inside .venv, created on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO_DB ?= var/demo.db
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install demo test lint bench clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## A running demo: a four-role team with managers and ~2,000 journeys over 90 days, on http://$(HOST):$(PORT)
demo: install
	mkdir -p $(dir $(DEMO_DB))
	SALESRELAY_DATABASE_URL=sqlite:///$(DEMO_DB) SALESRELAY_BASE_URL=http://$(HOST):$(PORT) $(BIN)/salesrelay demo --reset
	SALESRELAY_DATABASE_URL=sqlite:///$(DEMO_DB) $(BIN)/salesrelay serve --host $(HOST) --port $(PORT)

## The whole suite (set SALESRELAY_TEST_POSTGRES_URL to include PostgreSQL)
test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/bandit -q -r src

bench: install
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) var build *.egg-info .pytest_cache .ruff_cache
