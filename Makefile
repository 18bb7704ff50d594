# Mitra: `make run` serves the demo, `make test` runs the checks. See README.md.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# pytest-xdist: one worker a CPU (both cores of a 2-core CI machine), at most 4: past that each
# worker's own test database and browser cost more than they save. PYTEST_WORKERS=-n0: one process.
PYTEST_WORKERS ?= -n logical --maxprocesses 4

.PHONY: run test lint fmt install demo bench clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Mitra needs $(PYTHON) on PATH (or: make PYTHON=/path/to/python3.11 ...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/mitra migrate --no-input
	$(BIN)/mitra demo --if-empty
	$(BIN)/mitra serve --host 127.0.0.1 --port 8000

lint: $(STAMP)
	$(BIN)/ruff check .

fmt: $(STAMP)
	$(BIN)/ruff check --fix .

# SQLite always; PostgreSQL too when MITRA_TEST_DATABASE_URL is set (CI sets it).
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mitra check --fail-level WARNING
	DATABASE_URL=sqlite:///:memory: $(BIN)/python -m pytest -q $(PYTEST_WORKERS)
	@if [ -n "$$MITRA_TEST_DATABASE_URL" ]; then \
		echo "== the same suite on $$MITRA_TEST_DATABASE_URL =="; \
		DATABASE_URL="$$MITRA_TEST_DATABASE_URL" $(BIN)/python -m pytest -q $(PYTEST_WORKERS) || exit 1; \
	fi

bench: $(STAMP)
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) var
