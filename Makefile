# Thin wrapper around the project's tools. Every target creates .venv on demand
# from the pinned requirements, so a fresh clone needs nothing but python3.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
POLICY := $(VENV)/policy/.installed
NODE_TOOLS := node_modules/.installed

.PHONY: help run test lint format clean bench e2e deploy generate fuzz

help: ## List the targets
	@grep -E '^[a-z0-9]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-9s %s\n", $$1, $$2}'

$(STAMP): backend/requirements.txt requirements-dev.txt pyproject.toml VERSION
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# checkov lives in its own venv (.venv/policy): its pins conflict with pytest's.
# Only the tests need it, so `make run` does not wait for it.
$(POLICY): requirements-policy.txt | $(STAMP)
	test -x $(VENV)/policy/bin/python || $(PYTHON) -m venv $(VENV)/policy
	$(VENV)/policy/bin/pip install --quiet -r requirements-policy.txt
	touch $@

# axe-core for the browser tests' accessibility audit, at the exact version in the lock file.
$(NODE_TOOLS): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

run: $(STAMP) ## Serve the backend on :5000 and the UI on :8080 (Ctrl-C stops both)
	$(BIN)/python tools/run_local.py

test: lint $(POLICY) $(NODE_TOOLS) ## Lint, then run every test (UI units, API, gunicorn, nginx, browser, manifests)
	node --test frontend/tests/
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/pytest

# Kubernetes minor versions the manifests must validate against: 1.30 is the oldest
# that runs them (preStop sleep); the last is the newest schema kubernetes-validate has.
K8S_VERSIONS := 1.30.0 1.33.0 1.37.0
SHELL_SCRIPTS := build-images.sh push-images.sh $(wildcard scripts/*.sh frontend/nginx/image/*.envsh .github/scripts/*.sh)

lint: $(STAMP) $(POLICY) ## ruff, mypy, hadolint, shellcheck, yamllint, kubernetes-validate, checkov, actionlint
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/hadolint --failure-threshold style backend/Dockerfile frontend/Dockerfile
	shellcheck --severity=style $(SHELL_SCRIPTS)
	$(BIN)/yamllint --strict .
	$(BIN)/actionlint
	for v in $(K8S_VERSIONS); do \
	  $(BIN)/kubernetes-validate --strict --quiet -k $$v k8s/*.yaml || exit 1; done
	$(VENV)/policy/bin/checkov --quiet --compact --skip-download --framework kubernetes -d k8s
	$(VENV)/policy/bin/checkov --quiet --compact --skip-download --framework dockerfile \
	  -f backend/Dockerfile -f frontend/Dockerfile

generate: $(STAMP) ## Regenerate files derived from the code (nginx's error pages)
	$(BIN)/python tools/generate.py

format: $(STAMP) ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

fuzz: $(STAMP) ## Engine against mpmath on 100,000 generated expressions (FUZZ_ARGS=--seed N)
	$(BIN)/python tools/fuzz.py $(FUZZ_ARGS)

bench: $(STAMP) ## Benchmarks with peers; writes docs/benchmarks.md and .png (not in CI)
	$(BIN)/python tools/bench.py $(BENCH_ARGS)

e2e: ## On a machine with Docker and kind: a 3-node kind cluster, both images, every check
	scripts/e2e-kind.sh $(E2E_ARGS)

deploy: ## Check the cluster's Kubernetes version (>= 1.30), then kubectl apply -k k8s/
	scripts/deploy.sh $(DEPLOY_ARGS)

clean: ## Remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache artifacts node_modules
