# The two commands: `make run` and `make test`. Everything else is a step they use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: run test lint format install install-test migrate seed clean

run: install migrate seed
	honcho start -f Procfile

test: install-test lint
	python manage.py collectstatic --noinput -v0
	pytest

lint: install-test
	ruff format --check .
	ruff check .

format: install-test
	ruff format .
	ruff check --fix .

install: $(VENV)/.installed-run
install-test: $(VENV)/.installed-test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

# axe-core (npm) for the browser tests' accessibility checks; without npm those tests skip,
# or fail under CI=true.
$(VENV)/.installed-test: pyproject.toml tests/browser/package-lock.json | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	if command -v npm >/dev/null; then \
		npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error; \
	else \
		echo "npm not found: the browser accessibility tests will skip" >&2; \
	fi
	touch $@ $(VENV)/.installed-run

migrate: install
	python manage.py collectstatic --noinput -v0
	mkdir -p var
	python manage.py migrate --noinput

seed: install
	python manage.py seed_copf

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
