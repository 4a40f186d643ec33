# Inflow: `make run` serves the starter content, `make test` runs every test.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup run test test-fast bench chromium index clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# The CPU build of torch first, so nothing below can pull a CUDA build.
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

chromium:  ## Debian's chromium for the browser tests (never a downloaded browser build)
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "chromium missing: sudo apt-get install chromium"; exit 1; fi; }

index: setup
	$(BIN)/inflow index build

run: setup
	$(BIN)/inflow serve

test: setup chromium
	$(BIN)/python -m pytest

test-fast: setup  ## unit tests only: no real model, no browser
	$(BIN)/python -m pytest -m "not model and not e2e"

bench: setup
	$(BIN)/inflow bench --json --out bench-results/latest.json

clean:
	rm -rf $(VENV) .pytest_cache
