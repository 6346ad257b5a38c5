# Dream Pixel. `make run` serves the app; `make test` checks everything. See README.md.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BUN_VERSION := 1.4.4
TOOLS := .tools
BUN := $(abspath $(TOOLS))/node_modules/bun/bin/bun.exe
PORT ?= $(or $(shell sed -n 's/^PORT=//p' .env 2>/dev/null),3000)
HOST ?= 127.0.0.1
DEV_BACKEND_PORT ?= $(shell echo $$(($(PORT) + 1)))

# Reflex must not reach for the web: bun comes from the npm registry, no telemetry, no version probe.
export REFLEX_BUN_PATH := $(BUN)
export REFLEX_TELEMETRY_ENABLED := false
export REFLEX_CHECK_LATEST_VERSION := false
export REFLEX_HTTP_CLIENT_BIND_ADDRESS := 0.0.0.0
export NPM_CONFIG_REGISTRY ?= https://registry.npmjs.org/
export PYTHONDONTWRITEBYTECODE := 1

APT_PACKAGES_TEST := postgresql redis-server chromium fonts-dejavu-core nginx

# The topology (make topology): nginx on TOPOLOGY_PORT, the backends, PostgreSQL, Redis and S3 on the ports after it.
BACKENDS ?= 2
WORKERS ?= 2
TOPOLOGY_PORT ?= 8080
FRONTEND_DIR := build/frontend
# What the export is built from; not reflex.lock nor assets/external, which the build itself writes.
FRONTEND_SOURCES := $(shell find dreampixel components states assets -type f -not -path '*/__pycache__/*' -not -path 'assets/external/*' 2>/dev/null) rxconfig.py

.PHONY: help run dev test lint contracts worker migrate seed-demo reap bench clean system-deps frontend topology topology-down

help: ## list the commands
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

# ---- setup -------------------------------------------------------------------------------
$(VENV)/.runtime: requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

$(BUN):
	npm install --silent --no-audit --no-fund --prefix $(TOOLS) bun@$(BUN_VERSION)
	@test -x $(BUN) && $(BUN) --version >/dev/null

system-deps: ## install PostgreSQL, Redis, Chromium and nginx from Debian when missing (as root)
	@missing=""; \
	command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	test -x /usr/bin/chromium || missing="$$missing chromium"; \
	test -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf || missing="$$missing fonts-dejavu-core"; \
	command -v nginx >/dev/null || test -x /usr/sbin/nginx || missing="$$missing nginx"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else echo "missing:$$missing (run as root, or install them; the tests that need them skip)"; fi; \
	fi

# ---- the app -------------------------------------------------------------------------------
migrate: $(VENV)/.runtime ## apply database migrations
	$(PY) -m dreampixel migrate

seed-demo: migrate ## create the demo accounts and marketplace seeds (once)
	$(PY) -m dreampixel seed-demo

run: $(VENV)/.runtime $(BUN) seed-demo ## set everything up and serve the app at http://localhost:$(PORT)
	@$(PY) -m dreampixel.serve --host $(HOST) --port $(PORT)

dev: $(VENV)/.runtime $(BUN) seed-demo ## serve with hot reload (Vite on PORT, backend on PORT+1)
	$(VENV)/bin/reflex run --env dev --frontend-port $(PORT) --backend-port $(DEV_BACKEND_PORT) --backend-host $(HOST)

reap: $(VENV)/.runtime ## return stuck generations to the queue or fail them with a refund
	$(PY) -m dreampixel reap

worker: $(VENV)/.runtime ## run an arq worker (needs REDIS_URL)
	$(PY) -m dreampixel worker

# ---- beyond one process -------------------------------------------------------------------
frontend: $(FRONTEND_DIR)/.dreampixel-export.json ## export the frontend once into build/frontend (what nginx serves)

$(FRONTEND_DIR)/.dreampixel-export.json: $(FRONTEND_SOURCES) | $(VENV)/.runtime $(BUN)
	$(PY) -m dreampixel.export --out $(FRONTEND_DIR)

topology: $(VENV)/.dev $(BUN) system-deps frontend ## PostgreSQL, Redis, S3, BACKENDS app backends, WORKERS workers, nginx on TOPOLOGY_PORT
	@$(PY) deploy/topology.py up --port $(TOPOLOGY_PORT) --backends $(BACKENDS) --workers $(WORKERS)

topology-down: ## stop every process make topology started
	@$(PY) deploy/topology.py down

# ---- checks --------------------------------------------------------------------------------
lint: $(VENV)/.dev ## ruff and mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

contracts: $(VENV)/.dev ## import direction (import-linter)
	$(VENV)/bin/lint-imports --no-cache

test: $(VENV)/.dev $(BUN) system-deps lint contracts ## lint, import contracts and the whole test suite
	$(VENV)/bin/pytest

bench: $(VENV)/.dev $(BUN) system-deps ## benchmarks that print figures (never pass/fail); BENCH=web runs one
	@for b in bench/bench_$(or $(BENCH),*).py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean: ## remove build products (keeps data/)
	rm -rf .web .web-prod .states $(TOOLS) .pytest_cache .ruff_cache .mypy_cache
