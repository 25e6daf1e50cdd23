# The README's two commands: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INDEX ?= medcodes-index
STAMP := $(VENV)/.installed

.PHONY: demo test lint format clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	# An editable install compiles no bytecode (a wheel's install does): without it, and with
	# PYTHONDONTWRITEBYTECODE set, every cold `medcodes search` compiled its ~90 modules.
	$(BIN)/python -m compileall -q pipeline index queries medcodes
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/medcodes ingest examples/pages --index $(INDEX)
	$(BIN)/medcodes search "leukemia antibody infusion" --index $(INDEX)

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy -p medcodes
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) $(INDEX) .pytest_cache .ruff_cache .mypy_cache .import_linter_cache
