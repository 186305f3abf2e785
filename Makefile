# Every install step lives here: CI runs `make test` on a clean clone.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
CHARTS := static/vendor/lightweight-charts.standalone.production.js
SHIV := $(BIN)/shiv
# `make dist DIST=/some/dir` builds $(DIST)/velox elsewhere; DIST_PYTHON is its shebang.
DIST ?= dist
DIST_PYTHON ?= /usr/bin/env python3

.PHONY: run test lint bench install install-test charts browser clean dist mutation

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(TEST_STAMP): pyproject.toml $(STAMP)
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(STAMP) charts

install-test: $(TEST_STAMP) charts

# lightweight-charts comes from the npm registry at set-up time; never committed.
charts: $(CHARTS)

$(CHARTS): static/package.json
	cd static && npm install --no-audit --no-fund --silent
	mkdir -p static/vendor
	cp static/node_modules/lightweight-charts/dist/lightweight-charts.standalone.production.js $@

# Debian's Chromium for the browser tests (installed when missing and we are root).
browser:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = "0" ]; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
		|| echo "could not install chromium"; fi

run: install
	$(BIN)/python run.py run $(ARGS)

lint: $(TEST_STAMP)
	$(BIN)/ruff check velox tests bench run.py setup.py
	$(BIN)/mypy velox

# The browser's money estimates and state (static/estimates.js, static/trade/) run under
# Node's built-in test runner: no npm package, no build step.
# The suite runs in TEST_WORKERS processes (pytest-xdist), each test module in one of them
# (its module-scoped servers are started once); TEST_WORKERS=0 runs it in this process.
# Three on this 2-core host: much of the suite waits (servers starting, sockets, browsers),
# and a third worker fills those waits (the suite asserts no timings).
TEST_WORKERS ?= 3
test: install-test browser lint
	node --test tests/js/
	$(BIN)/python -m pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --dist loadscope $(PYTEST_ARGS)

bench: install-test
	@if ! command -v wrk >/dev/null && [ "$$(id -u)" = "0" ]; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null) \
		|| echo "could not install wrk: bench/http.py skips its C-client measurement"; fi
	@for b in bench/engine.py bench/journal.py bench/market.py bench/http.py bench/soak.py bench/scale.py bench/bus.py; do \
		echo "== $$b"; $(BIN)/python $$b || exit 1; done
	@echo "== bench/hub.py (websocket hub: 2,000 users x 50 positions, sockets vs none)"
	$(BIN)/python bench/hub.py
	@echo "== bench/soak.py --pg (chaos on PostgreSQL)"
	$(BIN)/python bench/soak.py --pg --seconds 30 --kills 10

# Mutation testing (TESTING.md): mutmut changes velox/engine/ and velox/money.py one mutant
# at a time and runs the engine and vector tests against each; not part of `make test`.
# Prints every surviving mutant. MUTATION_TIMEOUT bounds the run (seconds).
MUTATION_TIMEOUT ?= 5400
MUTATION_JOBS ?= 2
mutation: $(TEST_STAMP)
	$(BIN)/pip install -q 'mutmut==3.8.1'
	rm -rf mutants
	timeout $(MUTATION_TIMEOUT) $(BIN)/mutmut run --max-children $(MUTATION_JOBS); \
		status=$$?; $(BIN)/mutmut results; exit $$status

$(SHIV): | $(BIN)/python
	$(BIN)/pip install -q shiv

# One self-contained executable: a shiv zipapp of velox and its dependencies (wheels for this
# platform and Python version), templates, static files and the chart library inside. At its
# first start it unpacks into $$SHIV_ROOT (default ~/.shiv), once per build.
# `rm -rf build` first: setuptools would otherwise ship modules left there by an older build.
dist: charts | $(SHIV)
	rm -rf build
	mkdir -p $(DIST)
	$(SHIV) --console-script velox --output-file $(DIST)/velox --python '$(DIST_PYTHON)' \
		--reproducible --compressed --quiet --disable-pip-version-check .
	@echo "built $(DIST)/velox ($$(du -h $(DIST)/velox | cut -f1)); run it: $(DIST)/velox run"

clean:
	rm -rf $(VENV) static/node_modules static/vendor dist build *.egg-info
