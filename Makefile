# One command to run the app, one to run every test. Both bootstrap .venv from pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup run test lint format browsers screenshots bench

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

setup: $(VENV)/.installed

## make run: SQLite, demo data, demo users, a demo API client and a ready curl; then the server.
run: setup
	$(BIN)/python scripts/dev.py

## make test: the whole suite (browser tests included when Chromium can be installed).
test: setup browsers
	$(BIN)/pytest -n auto --dist loadfile

## make screenshots: refresh docs/screenshots/ (the README's pictures) from the browser tests.
screenshots: setup browsers
	ERCDASH_UPDATE_SCREENSHOTS=1 $(BIN)/pytest tests/browser -k "fits"

browsers:
	@scripts/ensure-chromium

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## make bench: 3 minutes of wrk load on gunicorn with production settings (bench/load.sh).
bench: setup
	bench/load.sh
