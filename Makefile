# The README's commands. Every target installs what it needs first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.13 2>/dev/null || command -v python3.12 2>/dev/null || echo python3)
VENV := .venv
PY := $(VENV)/bin/python
SAM_VENV := .venv-sam
SAM := $(SAM_VENV)/bin/sam
HOST_ARCH := $(shell uname -m | sed -e 's/aarch64/arm64/')
PYTEST_WORKERS ?= 2
# The browser tests drive Debian's chromium (no browser download of Playwright's own).
CHROMIUM := /usr/bin/chromium

.PHONY: help install install-run chromium run test lint typecheck cfn-lint pytest build build-host check-build bench clean

help:
	@echo "make run    - start the local stack (hookyard dev) on http://127.0.0.1:3000"
	@echo "make test   - lint, types, cfn-lint, all tests, and the build-output import check"
	@echo "make build  - sam build (arm64, for deploy) with precompiled bytecode"
	@echo "make bench  - cold start, ingest, flow, delivery, cost, routing and latency benchmarks, as ratios"
	@echo "              (BENCH_ARGS=\"--runs 3\" for the README's figures)"

# `make run` installs what running needs; `make test` adds the test, lint and type tools.
$(VENV)/.run-installed: pyproject.toml $(wildcard layers/*/requirements.txt)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[run]'
	@touch $@

$(VENV)/.installed: $(VENV)/.run-installed
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

install-run: $(VENV)/.run-installed

install: $(VENV)/.installed

$(CHROMIUM):
	@if [ "$$(id -u)" != 0 ]; then \
		echo "The browser tests need Debian's chromium: sudo apt-get install -y --no-install-recommends chromium"; \
		exit 1; \
	fi
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium

chromium: $(CHROMIUM)

# aws-sam-cli lives in its own virtualenv: its pins clash with ours.
$(SAM_VENV)/.installed:
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/pip install --quiet 'aws-sam-cli>=1.130'
	@touch $@

run: install-run
	$(VENV)/bin/hookyard dev

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy

cfn-lint: install
	$(VENV)/bin/cfn-lint template.yaml

pytest: install $(CHROMIUM)
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS) -q

test: lint typecheck cfn-lint check-build pytest

# The deployable build: arm64, with bytecode compiled for the runtime's Python so cold
# starts do not compile our code (Lambda's /var/task is read-only: nothing is cached).
build: install $(SAM_VENV)/.installed
	$(SAM) build --parallel --cached
	$(PY) -m hookyard_dev.buildcheck compile .aws-sam/build

# The same template built for this machine's architecture, so its native wheels
# (pydantic-core) can be imported here by the build check and the benchmarks.
build-host: install $(SAM_VENV)/.installed
	@mkdir -p .aws-sam
	sed -e 's/arm64/$(HOST_ARCH)/g' template.yaml > .aws-sam/template.host.yaml
	$(SAM) build --template-file .aws-sam/template.host.yaml --base-dir . \
		--build-dir .aws-sam/build-host --cache-dir .aws-sam/cache-host --cached --parallel
	$(PY) -m hookyard_dev.buildcheck compile .aws-sam/build-host

check-build: build-host
	$(PY) -m hookyard_dev.buildcheck imports .aws-sam/build-host

# `make bench BENCH_ARGS="--runs 3"` for the README's figures (see python -m bench --help).
BENCH_ARGS ?=
bench: build-host
	$(PY) -m bench $(BENCH_ARGS)

clean:
	rm -rf .aws-sam .pytest_cache .mypy_cache .ruff_cache
