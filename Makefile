# The two commands: `make run` and `make test`. Both set everything up first.
VENV   := .venv
PY     := $(VENV)/bin/python
FLASK  := $(VENV)/bin/flask --app wsgi
PYTEST := $(PY) -m pytest
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: setup setup-test run test test-sqlite test-postgres lint bench clean

setup:
	@scripts/setup.sh

setup-test:
	@scripts/setup.sh --test

run: setup
	$(FLASK) db upgrade
	$(FLASK) seed demo
	$(FLASK) run --host 127.0.0.1 --port 5000

test: setup-test
	@$(MAKE) --no-print-directory lint
	@$(MAKE) --no-print-directory test-sqlite
	@$(MAKE) --no-print-directory test-postgres

test-sqlite:
	@echo "== test suite on SQLite"
	$(PYTEST) -n 2 -q

test-postgres:
	@echo "== test suite on PostgreSQL"
	TEST_DATABASE_URL=$$(scripts/pg.sh start) $(PYTEST) -n 2 -q --ignore=tests/scoring

lint:
	@echo "== ruff and mypy"
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

bench: setup-test
	@for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	scripts/pg.sh stop
	rm -rf $(VENV) instance
