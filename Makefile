# The two commands: `make run` and `make test`. Both set everything up first.
VENV   := .venv
PY     := $(VENV)/bin/python
FLASK  := $(VENV)/bin/flask --app wsgi
PYTEST := $(PY) -m pytest
export PYTHONDONTWRITEBYTECODE := 1

# `make translations`: the messages of the code extracted into the French and German catalogues (new ones empty,
# to translate in translations/<language>/LC_MESSAGES/messages.po), then compiled. `make lint` checks them.
.PHONY: translations setup setup-test run test test-sqlite test-postgres test-cluster lint bench cluster cluster-stop clean

setup:
	@scripts/setup.sh

setup-test:
	@scripts/setup.sh --test

# `make run PORT=5001` serves elsewhere; the letters' verification links follow unless PUBLIC_BASE_URL is set.
PORT            ?= 5000
PUBLIC_BASE_URL ?= http://127.0.0.1:$(PORT)

run: setup
	$(FLASK) db upgrade
	$(FLASK) seed demo
	PUBLIC_BASE_URL=$(PUBLIC_BASE_URL) $(FLASK) run --host 127.0.0.1 --port $(PORT)

test: setup-test
	@$(MAKE) --no-print-directory lint
	@$(MAKE) --no-print-directory test-sqlite
	@$(MAKE) --no-print-directory test-postgres
	@$(MAKE) --no-print-directory test-cluster

test-sqlite:
	@echo "== test suite on SQLite"
	$(PYTEST) -n 2 -q -m "not cluster"

test-postgres:
	@echo "== test suite on PostgreSQL"
	TEST_DATABASE_URL=$$(scripts/pg.sh start) $(PYTEST) -n 2 -q --ignore=tests/scoring -m "not cluster"

# The multi-server tests start the whole topology once per module: one process, after the other passes.
test-cluster:
	@echo "== multi-server tests (PostgreSQL, Redis, S3, HAProxy, gunicorn, Celery)"
	TEST_DATABASE_URL=$$(scripts/pg.sh start) $(PYTEST) -q -m cluster tests/cluster

# Two app servers behind HAProxy, two Celery workers, PostgreSQL, Redis and an S3 server on 127.0.0.1.
cluster: setup-test
	@$(PY) scripts/cluster.py start

cluster-stop:
	@$(PY) scripts/cluster.py stop

lint:
	@echo "== ruff, mypy, the layer contracts and the translation catalogues"
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	$(PY) scripts/catalogues.py check

translations:
	$(PY) scripts/catalogues.py update

bench: setup-test
	@for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	scripts/pg.sh stop
	rm -rf $(VENV) instance
