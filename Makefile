# Plain entry points: `make demo` (the main job) and `make test` (the whole suite).
# The virtual environment is created on first use; only Python 3.11+ is needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ADAPTERS := $(wildcard adapters/*/pyproject.toml)

.PHONY: demo test lint typecheck unit venv bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml $(ADAPTERS)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]' $(foreach a,$(ADAPTERS),-e $(dir $(a)))
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/digidialog validate examples/

lint: $(STAMP)
	$(BIN)/ruff check src tests adapters benchmarks examples

typecheck: $(STAMP)
	$(BIN)/mypy src

unit: $(STAMP)
	$(BIN)/pytest -n 2 -q

test: lint typecheck unit

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
