# Mitra: `make run` serves the demo, `make test` runs the checks. See README.md.
PYTHON ?= python3.11
VENV := .venv
BIN ?= $(VENV)/bin
STAMP := $(VENV)/.installed
# What the targets below need first: the installed .venv, or nothing when an environment is
# given (`make lint BIN=/path/to/venv/bin` uses that one as it is, installing nothing).
ENV := $(if $(filter command line,$(origin BIN)),,$(STAMP))
MYPY_OUT := var/mypy-output.txt
# mypy over mitra/ into $(MYPY_OUT). It exits 1 for type errors, which mypy-baseline then
# judges against mypy-baseline.txt; 2 means it could not run at all: stop and show why.
RUN_MYPY = mkdir -p var && echo "mypy (against mypy-baseline.txt)" && \
	{ $(BIN)/mypy --no-error-summary > $(MYPY_OUT); test $$? -le 1 || { cat $(MYPY_OUT); exit 2; }; }
# pytest-xdist: one worker a CPU (both cores of a 2-core CI machine), at most 4: past that each
# worker's own test database and browser cost more than they save. PYTEST_WORKERS=-n0: one process.
PYTEST_WORKERS ?= -n logical --maxprocesses 4

.PHONY: run test lint mypy-baseline fmt install demo bench clean axe

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Mitra needs $(PYTHON) on PATH (or: make PYTHON=/path/to/python3.11 ...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml constraints.txt
	@echo "Installing Mitra and the packages it needs into $(VENV) (the first time takes a few minutes)"
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	@touch $(STAMP)
	@echo "Installed."

install: $(STAMP)

# axe-core for the browser tests' accessibility checks, from npm at the version package.json and
# package-lock.json pin (a lock without download addresses: .npmrc). Without npm the checks are
# skipped with a notice, and fail under CI=true (tests/browser.py).
AXE := node_modules/axe-core/axe.min.js

$(AXE): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $(AXE)

axe:
	@if command -v npm >/dev/null 2>&1; then $(MAKE) -s --no-print-directory $(AXE); \
	else echo "npm not found: the accessibility checks (axe-core) will be skipped; CI=true fails them"; fi

# `make run PORT=8001` serves on another port.
PORT ?= 8000

run: $(ENV)
	@echo "Preparing the database (migrations)"
	@$(BIN)/mitra migrate --no-input -v0
	@echo "Loading the synthetic demo cohort (first time only)"
	@$(BIN)/mitra demo --if-empty
	MITRA_BASE_URL=$${MITRA_BASE_URL:-http://127.0.0.1:$(PORT)} $(BIN)/mitra serve --host 127.0.0.1 --port $(PORT)

# Style, the layering (pyproject.toml, [tool.importlinter]) and the types (mypy: a new error
# fails, and so does a baselined one that is gone, until `make mypy-baseline` drops it).
lint: $(ENV)
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	@$(RUN_MYPY)
	@$(BIN)/mypy-baseline filter < $(MYPY_OUT) \
		|| { echo "New errors: fix them (the baseline only shrinks). Baselined errors gone:" \
			"make mypy-baseline drops them from the file."; exit 1; }

# Rewrite mypy-baseline.txt after fixing baselined errors; refuses while there are new ones.
mypy-baseline: $(ENV)
	@$(RUN_MYPY)
	$(BIN)/mypy-baseline filter --allow-unsynced --hide-stats < $(MYPY_OUT)
	$(BIN)/mypy-baseline sync < $(MYPY_OUT)

fmt: $(ENV)
	$(BIN)/ruff check --fix .

# The lint steps, then the suite: SQLite always; PostgreSQL too when MITRA_TEST_DATABASE_URL is
# set (CI sets it).
test: lint axe
	$(BIN)/mitra check --fail-level WARNING
	DATABASE_URL=sqlite:///:memory: $(BIN)/python -m pytest -q $(PYTEST_WORKERS)
	@if [ -n "$$MITRA_TEST_DATABASE_URL" ]; then \
		echo "== the same suite on $$MITRA_TEST_DATABASE_URL =="; \
		DATABASE_URL="$$MITRA_TEST_DATABASE_URL" $(BIN)/python -m pytest -q $(PYTEST_WORKERS) || exit 1; \
	fi

bench: $(ENV)
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) var node_modules
