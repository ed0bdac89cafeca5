# Two commands do everything: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
TEST_WORKERS ?= 2
export FLASK_APP := wsgi

.PHONY: run test test-e2e test-cluster install install-dev translations bench loadtest serve-prod clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed translations
install-dev: $(VENV)/.installed-dev translations

translations: $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy -d market/translations >/dev/null

## Serve the demo on 127.0.0.1:$(PORT): migrate, load demo data into an empty database, run.
run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask demo load --if-empty
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

## The whole suite on SQLite, then the database tests again on $$TEST_DATABASE_URL when it is set.
test: install-dev
	$(BIN)/pytest -n $(TEST_WORKERS)
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== again on $$TEST_DATABASE_URL =="; \
		$(BIN)/pytest -n $(TEST_WORKERS) tests/market --db-url "$$TEST_DATABASE_URL"; \
	fi

## Browser journeys in Debian's Chromium (installed here if missing), both languages; axe-core from
## the npm package pinned in tests/e2e/package.json (package-lock.json), injected into the test browser.
test-e2e: install-dev
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null)
	@command -v npm >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null)
	cd tests/e2e && npm ci --no-audit --no-fund
	$(BIN)/pip install --quiet -e '.[dev,e2e]'
	$(BIN)/pytest -n $(TEST_WORKERS) tests/e2e --ignore tests/e2e/test_faults.py
	$(BIN)/pytest tests/e2e/test_faults.py  # alone: they kill servers mid-request and time their restarts

## Two gunicorn servers against one PostgreSQL and one Redis (local servers; see tests/cluster).
test-cluster: install-dev
	$(BIN)/pytest tests/cluster

bench: install-dev
	$(BIN)/python -m matching.bench

## Load test on loopback: gunicorn + PostgreSQL with the --scale 100 demo (see loadtest/run.sh);
## LOADTEST_DATA=city make loadtest: with the Shenzhen data set (flask demo load --city).
loadtest: install-dev
	$(BIN)/pip install --quiet -e '.[dev,load]'
	bash loadtest/run.sh

serve-prod: install
	$(BIN)/flask db upgrade
	$(BIN)/gunicorn --workers $${WORKERS:-4} --bind $${BIND:-127.0.0.1:$(PORT)} --access-logfile - wsgi:app

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis tests/e2e/node_modules
