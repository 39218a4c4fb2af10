# procviz developer tasks.
#
#   make run [HOST=0.0.0.0] [PORT=9000]   install what is missing, then serve the dashboard
#   make test                             install what is missing (Chromium too), lint, pytest
#   make lint | make bench | make clean | make distclean
#   make screenshots                      refresh the README's pictures (docs/screenshots/)
#   make image | make image-test          build the container image | build it, run it, check it
#   make dist                             the sdist and the wheel, in dist/
#
# "Install what is missing" is driven by stamp files, so a second `make run` starts at once:
# the venv is re-installed only when pyproject.toml changes, node_modules only when
# package-lock.json changes (or node_modules is gone).

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

# Plain `=` (not `?=`): a HOST or PORT left in the environment by some other tool must not
# change where the server binds; `make run HOST=... PORT=...` still overrides them.
HOST = 127.0.0.1
PORT = 8000

# Debian's own Python first: a server started as root runs lessons as an unprivileged
# user (PROCVIZ_RUN_USER, default nobody), who must be able to execute the venv's
# interpreter; one under /root (pyenv) is out of its reach.
PYTHON ?= $(shell for p in /usr/bin/python3.11 /usr/bin/python3; do \
  if [ -x $$p ]; then echo $$p; exit; fi; done; command -v python3.11 || echo python3)
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.procviz-installed
# npm ci (npm >= 7) writes this hidden lockfile; we touch it so its time is "installed at".
NODE_STAMP := node_modules/.package-lock.json
CHROMIUM := /usr/bin/chromium
# The viewer-replica tests start a redis-server of their own (tests/redis_server.py).
REDIS_SERVER := /usr/bin/redis-server
# Chinese glyphs for the browser tests' screenshots (the page is bilingual).
CJK_FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc

SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
APT_GET := $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get

.PHONY: help install run test lint bench clean distclean image image-test image-tools dist screenshots

help:
	@sed -n '3,9s/^# \{0,1\}//p' $(firstword $(MAKEFILE_LIST))

install: $(PY_STAMP) $(NODE_STAMP)

run: $(PY_STAMP) $(NODE_STAMP)
	exec $(BIN)/procviz serve --host $(HOST) --port $(PORT)

# Prerequisites are made left to right: everything installed, then lint; then the page's
# model under node --test, then pytest.
# pytest exits 5 when it collected nothing: that fails here too, and says why.
test: $(PY_STAMP) $(NODE_STAMP) $(CHROMIUM) $(CJK_FONT) $(REDIS_SERVER) lint
	node --test tests/js/
	$(BIN)/pytest || { rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests" >&2; fi; \
	  exit $$rc; }

lint: $(PY_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/hadolint Dockerfile

# The browser tests that take the README's pictures write them to docs/screenshots/ instead of
# artifacts/screenshots/ (tests/browser/conftest.py DOCS).
screenshots: $(PY_STAMP) $(NODE_STAMP) $(CHROMIUM) $(CJK_FONT)
	PROCVIZ_UPDATE_DOCS=1 $(BIN)/pytest tests/browser -q

bench: $(PY_STAMP) $(NODE_STAMP)
	@shopt -s nullglob; files=(bench/*.py); \
	if [ $${#files[@]} -eq 0 ]; then echo "make bench: no bench/*.py"; exit 0; fi; \
	for f in "$${files[@]}"; do echo "== $$f"; $(BIN)/python "$$f"; done

# Debian's python3.11 has no ensurepip until python3-venv is installed.
$(BIN)/python:
	$(PYTHON) -c 'import ensurepip' 2>/dev/null || \
	  { $(APT_GET) update && $(APT_GET) install -y --no-install-recommends python3-venv; }
	$(PYTHON) -m venv $(VENV)

$(PY_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check -e '.[dev]'
	touch $@

$(NODE_STAMP): package-lock.json package.json
	command -v npm >/dev/null || \
	  { $(APT_GET) update && $(APT_GET) install -y --no-install-recommends nodejs npm; }
	npm ci --no-audit --no-fund
	touch $@

# A file target: nothing to do when Chromium is already there. Precious, so a failed
# apt-get never makes .DELETE_ON_ERROR remove a system file.
.PRECIOUS: $(CHROMIUM) $(CJK_FONT) $(REDIS_SERVER)
$(CJK_FONT):
	$(APT_GET) update
	$(APT_GET) install -y fonts-wqy-microhei

$(CHROMIUM):
	$(APT_GET) update
	$(APT_GET) install -y chromium

# Only the binary: the tests' instances run on free loopback ports, whatever the package
# may have started on 6379.
$(REDIS_SERVER):
	$(APT_GET) update
	$(APT_GET) install -y --no-install-recommends redis-server

# The container image (docker/): `make image` builds procviz:latest; `make image-test` builds
# procviz:image-test and checks it from outside (docker/check_image.py). Both use a running
# Docker daemon, or start one of their own on a private socket and stop it after. Base images:
# the official ones, or Debian-made stand-ins (mmdebstrap) when no image registry is reachable.
image: image-tools
	docker/image.sh procviz:latest

image-test: image-tools
	PYTHON=$(PYTHON) docker/image-test.sh

# Installs Debian's docker.io when no daemon is reachable and there is no dockerd to start, and
# mmdebstrap (for the local bases) where apt-get is the package manager.
image-tools:
	@if ! { command -v docker >/dev/null && docker version >/dev/null 2>&1; } \
	    && ! command -v dockerd >/dev/null; then \
	  echo "make: installing docker.io (no Docker daemon reachable, no dockerd)"; \
	  $(APT_GET) update && $(APT_GET) install -y docker.io; \
	fi
	@if ! command -v mmdebstrap >/dev/null && command -v apt-get >/dev/null; then \
	  echo "make: installing mmdebstrap (local base images)"; \
	  $(APT_GET) update && $(APT_GET) install -y mmdebstrap; \
	fi

# The sdist and the wheel (issue 10 part 2), by `python -m build` from a throwaway builder
# environment under build/ (the dev venv stays as pyproject.toml says). Both carry the page:
# setup.py copies templates/, static/ and the files the page loads from node_modules (hence
# npm ci first) into app/web/. tests/test_wheel.py builds them and checks the wheel offline.
dist: $(NODE_STAMP)
	rm -rf dist build/build-venv
	$(PYTHON) -m venv build/build-venv
	build/build-venv/bin/python -m pip install --disable-pip-version-check -q 'build>=1.2'
	build/build-venv/bin/python -m build --outdir dist .

clean:
	rm -rf .pytest_cache .mypy_cache .ruff_cache artifacts build dist *.egg-info
	find . -path ./$(VENV) -prune -o -path ./node_modules -prune -o \
	  -name __pycache__ -type d -prune -exec rm -rf {} +

# Also what `make install` made; the next run/test installs it again.
distclean: clean
	rm -rf $(VENV) node_modules
