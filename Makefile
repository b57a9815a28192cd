# One command to run the app, one to run every test. Both bootstrap .venv from
# requirements.lock: every package, indirect ones included, pinned with its hashes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup run test lint format browsers screenshots bench lock

$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
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

## make lint: ruff, and known vulnerabilities in requirements.lock (pip-audit; scripts/audit.py).
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python scripts/audit.py

## make lock: requirements.lock from pyproject.toml (after changing a dependency there).
lock: setup
	$(BIN)/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 \
	    --generate-hashes --no-header --quiet --output-file requirements.lock

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## make bench: 3 minutes of wrk load on gunicorn with production settings (bench/load.sh).
bench: setup
	bench/load.sh
