# Thin wrapper around the project's tools. Every target creates .venv on demand
# from the pinned requirements, so a fresh clone needs nothing but python3.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
POLICY := $(VENV)/policy/.installed
NODE_TOOLS := node_modules/.installed

.PHONY: help run test lint format clean bench

help: ## List the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-7s %s\n", $$1, $$2}'

$(STAMP): backend/requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# checkov lives in its own venv (.venv/policy): its pins conflict with pytest's.
# Only the tests need it, so `make run` does not wait for it.
$(POLICY): requirements-policy.txt | $(STAMP)
	$(PYTHON) -m venv $(VENV)/policy
	$(VENV)/policy/bin/pip install --quiet -r requirements-policy.txt
	touch $@

# axe-core for the browser tests' accessibility audit, at the exact version in the lock file.
$(NODE_TOOLS): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

run: $(STAMP) ## Serve the backend on :5000 and the UI on :8080 (Ctrl-C stops both)
	$(BIN)/python frontend/run_local.py

test: lint $(POLICY) $(NODE_TOOLS) ## Lint, then run every test (UI units, API, gunicorn, nginx, browser, manifests)
	node --test frontend/tests/
	$(BIN)/pytest

lint: $(STAMP) ## ruff check, ruff format --check, mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP) ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP) ## Benchmarks: engine worst cases, nginx vs direct req/s (not in CI)
	$(BIN)/python tests/bench.py $(BENCH_ARGS)

clean: ## Remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache artifacts node_modules
