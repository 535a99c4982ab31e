# Framewire build entry points. `make help` lists the targets.
#
# Every target that needs Python tooling depends on `venv`, so `make demo` and
# `make test` work on a fresh clone with nothing but python3 and make installed.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
MAKEFLAGS += --no-builtin-rules --no-print-directory
# Silence Material for MkDocs' end-of-life banner on every docs build.
export NO_MKDOCS_2_WARNING := 1

PYTHON_SYS ?= python3
VENV       := .venv
BIN        := $(VENV)/bin
PY         := $(BIN)/python
PYPROJECT  := python/pyproject.toml
# Touched after a successful install; they live inside the venv so `rm -rf .venv` resets
# them. PACKAGE_STAMP: the package, its runtime dependencies and the cli extra (enough for
# `make demo` and the command it suggests); VENV_STAMP: the dev and docs extras on top.
PACKAGE_STAMP := $(VENV)/.framewire-package.stamp
VENV_STAMP    := $(VENV)/.framewire-install.stamp
# The compiled receive path built in place (the fastpath target below), and its sources.
FASTPATH_STAMP := $(VENV)/.framewire-fastpath.stamp
FASTPATH_SOURCES := python/src/framewire/_codec/fastpath.c c/src/crc32c.c c/include/framewire.h \
	python/hatch_build.py

# Paths checked by ruff and mypy.
LINT_PATHS := python tests spec/_hooks vectors examples dissectors tools
TYPE_PATHS := python/src python/hatch_build.py tests spec/_hooks vectors examples dissectors tools

# Steps run by `make test`, in this order; the run stops at the first failure.
# To add a step, write a target for it and append its name here, e.g.
#   TEST_STEPS += vectors-check js-test
TEST_STEPS := lint typecheck vectors-check docs-build js-test pytest
TEST_STEPS += docs-check
TEST_STEPS += c-test c-clang c-asan c-valgrind c-cppcheck c-conformance c-install

.PHONY: help venv js-deps demo test $(TEST_STEPS) test-hostile docs docs-build bench clean mutation
.PHONY: test-pythons

help: ## Show this help
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) \
	  | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-12s %s\n", $$1, $$2}'

venv: $(VENV_STAMP) $(FASTPATH_STAMP) ## Create .venv and install the package with its cli, dev and docs extras

$(PACKAGE_STAMP): $(PYPROJECT)
	@echo "==> installing the framewire package and its command line into $(VENV) (once)"
	@$(PYTHON_SYS) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check -e './python[cli]'
	@touch $@

$(VENV_STAMP): $(PACKAGE_STAMP)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e './python[cli,dev,docs]'
	touch $@

# --- The compiled receive path (framewire._codec.fastpath; python/hatch_build.py) ---
# The editable install builds it beside the sources; built again here when its C sources
# change. FRAMEWIRE_PURE_PYTHON=1 runs any command on the pure-Python path instead.
.PHONY: fastpath
fastpath: $(FASTPATH_STAMP) ## Build the compiled receive path in place (make venv does)

$(FASTPATH_STAMP): $(VENV_STAMP) $(FASTPATH_SOURCES)
	$(PY) python/hatch_build.py
	touch $@

# The JavaScript implementation's dev tooling (typescript, @types/node), from js/package-lock.json.
JS_STAMP := js/node_modules/.framewire-install.stamp
JS_TEST_LIMIT := 900

js-deps: $(JS_STAMP) ## Install the JavaScript dev dependencies (npm ci)

$(JS_STAMP): js/package.json js/package-lock.json
	cd js && npm ci --no-audit --no-fund --loglevel=error
	touch $@

demo: $(PACKAGE_STAMP) ## Take one frame apart, then run a real exchange (installs the package and its CLI)
	@$(PY) -m framewire.cli._demo

test: venv ## Run every step in TEST_STEPS (lint, typecheck, pytest, docs-build, ...)
	@for step in $(TEST_STEPS); do \
	  printf '\n==> make %s\n' "$$step"; \
	  $(MAKE) "$$step"; \
	done
	@printf '\n==> all test steps passed: %s\n' "$(TEST_STEPS)"

lint: venv ## ruff check and ruff format --check
	$(BIN)/ruff check --config $(PYPROJECT) $(LINT_PATHS)
	$(BIN)/ruff format --check --config $(PYPROJECT) $(LINT_PATHS)

typecheck: venv ## mypy --strict
	$(BIN)/mypy --config-file $(PYPROJECT) --strict $(TYPE_PATHS)

# The suite runs in PYTEST_WORKERS processes (pytest-xdist): most tests wait on sockets and
# on the programs they start, so more workers than cores still shorten it. Each module runs
# on one worker (--dist loadfile), so a module fixture (a site build, a baseline run) is made
# once and tests that build the same files never build at once. (xdist_group is not used:
# pytest 9.2's node ids make pytest-xdist 3.8 ignore it, silently: pytest-xdist#1386.)
# Tests marked `serial` (pytest.ini) then run alone: the vectors played live (beside the
# parallel pass they failed: echoes missing, a reset instead of a clean end), shutdown
# timings, a benchmark's memory. pytest's exit code 5 ("no tests collected")
# fails the build on purpose.
PYTEST_WORKERS ?= 4

pytest: venv ## Run the test suite in parallel, then its serial tests (pytest.ini), without the slow hostile-peer runs
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile -m "not slow_hostile and not serial"
	$(PY) -m pytest -m "serial and not slow_hostile"

test-hostile: venv js-deps ## Run every hostile-peer test against the Python and JS servers (minutes)
	$(PY) -m pytest tests/hostile/test_hostile.py

vectors-check: venv ## Validate the test vectors: schema, ids, coverage of statements and codes
	$(PY) vectors/coverage.py

js-test: js-deps ## Type-check and test the JavaScript implementation
	cd js && npm run --silent typecheck
	@# The TAP stream of 1000+ cases goes to a log; the summary is printed, the whole log on failure.
	@# A failed test that leaves a socket open keeps node alive after the last test: the time
	@# limit turns that into a failure. (node's --test-force-exit was tried: it drops results.)
	@cd js && if timeout -k 10 $(JS_TEST_LIMIT) npm test > test-output.log 2>&1; then tail -n 8 test-output.log; \
	  else status=$$?; cat test-output.log; \
	  if [ $$status -eq 124 ]; then echo "npm test stopped after $(JS_TEST_LIMIT) s (a failed test that leaves a socket or timer open keeps node alive)"; fi; \
	  exit 1; fi

docs-build: venv ## Build the spec site into site/ (strict: warnings fail)
	$(BIN)/mkdocs build --strict

docs-check: venv ## Check the built site (no unexpanded include) and the spec's ASCII diagrams
	$(PY) tools/check_docs.py site

docs: venv ## Serve the spec site with live reload on http://127.0.0.1:8000
	$(BIN)/mkdocs serve

# Not part of `make test` nor of CI: it takes minutes (the last score: vectors/MUTATION.md).
mutation: venv ## Mutation score of the vectors (adapter, then live) and named tests over the receive and send paths (writes vectors/MUTATION.md)
	nice $(PY) tools/mutants.py --write vectors/MUTATION.md

# Not part of `make test` nor of CI: honest and hostile clients against every server and
# transport for SOAK_MINUTES; the last figures: tests/soak/RESULTS.md.
SOAK_MINUTES ?= 10

.PHONY: soak
soak: venv js-deps ## Soak every server with honest and hostile clients; RSS and fds stay flat (SOAK_MINUTES, 10)
	$(PY) tests/soak/soak_run.py --minutes $(SOAK_MINUTES) --write tests/soak/RESULTS.md

# Packages: the Python sdist and wheel and the npm tarball, then each installed outside the
# checkout and tested there (tools/dist_test.py). `.ci/run` runs `make dist-test` after `make test`.
DIST := dist

.PHONY: dist dist-test
dist: venv js-deps ## Build the Python sdist and wheel and the npm tarball into dist/; twine check
	rm -rf $(DIST)
	$(PY) -m build --outdir $(DIST) python
	$(BIN)/twine check --strict $(DIST)/*.whl $(DIST)/*.tar.gz
	cd js && npm pack --silent --pack-destination ../$(DIST) > /dev/null
	@ls -l $(DIST)

dist-test: dist ## Install the built packages in temporary directories and run tests against them
	$(PY) tools/dist_test.py $(DIST)

# A shorter run of both benchmarks; python/benchmarks/RESULTS.md gives the full commands.
bench: venv ## Run the benchmarks (receive throughput, also over TLS; 1,000 idle connections per server)
	$(PY) python/benchmarks/bench.py --repeats 3
	$(PY) python/benchmarks/bench_tls.py --repeats 3
	$(PY) python/benchmarks/scale.py --quick

# The Python suite on every supported CPython found here (pyenv's, else pythonX.Y on PATH),
# each in its own venv .venv-pyX.Y; it prints which versions ran. `.ci/run` runs it after
# `make test` for the versions other than the venv's (TEST_PYTHONS="3.12 3.13").
TEST_PYTHONS ?= 3.11 3.12 3.13

test-pythons: venv ## Run the Python suite on each CPython 3.11, 3.12, 3.13 found (.venv-pyX.Y)
	$(PY) tools/test_pythons.py --versions $(TEST_PYTHONS) --workers $(PYTEST_WORKERS)

# --- Differential fuzzing: every implementation's adapter on the same random requests ---
# Each generated request goes to the Python, JavaScript and C adapters; replies are
# compared as the conformance runner judges them, and every finding is shrunk and printed.
# FUZZ_DIFF_REQUESTS counts generated requests: each is sent to every implementation.
FUZZ_DIFF_REQUESTS ?= 1000000
FUZZ_DIFF_SEED ?= $(shell date +%s)
FUZZ_DIFF_SHORT_REQUESTS := 8000
FUZZ_DIFF_SHORT_SECONDS := 25
FUZZ_DIFF = $(PY) -m framewire.conformance.fuzzdiff \
	--adapter python="$(PY) -m framewire.conformance.adapter" \
	--adapter js="node js/bin/adapter.js" \
	--adapter c=$(C_BUILD)/gcc/fw_adapter

.PHONY: fuzz-diff fuzz-diff-short
TEST_STEPS += fuzz-diff-short

fuzz-diff: venv c ## Differential fuzzing of the Python, JS and C adapters (FUZZ_DIFF_REQUESTS, FUZZ_DIFF_SEED)
	$(FUZZ_DIFF) --requests $(FUZZ_DIFF_REQUESTS) --seed $(FUZZ_DIFF_SEED)

fuzz-diff-short: venv c ## A short differential fuzzing pass with a fixed seed (part of make test)
	$(FUZZ_DIFF) --requests $(FUZZ_DIFF_SHORT_REQUESTS) --seconds $(FUZZ_DIFF_SHORT_SECONDS) --seed 1

include c/c.mk

clean: ## Remove the venv, build output and caches
	rm -rf $(VENV) .venv-py3.* js/node_modules site build dist .mypy_cache .ruff_cache .pytest_cache .hypothesis
	find . -path ./.git -prune -o \
	  \( -name __pycache__ -o -name '*.egg-info' \) -type d -prune -exec rm -rf {} +
include c/firmware.mk
