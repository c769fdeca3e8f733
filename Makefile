# The README's two commands are `make run` and `make test`; the rest serve them and CI.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
CAS_PORT ?= 8765
OIDC_PORT ?= 8766
export FLASK_APP := wsgi

.PHONY: run sso-demo test install translations migrate seed bench fuzz load soak audit lint format browser-deps clean

$(BIN)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

install: $(BIN)/.installed

# Compiled only when a catalog changed, so two suites started side by side never race on it.
CATALOGS := $(wildcard service/translations/*/LC_MESSAGES/messages.po)
translations: install $(CATALOGS:.po=.mo)

%/LC_MESSAGES/messages.mo: %/LC_MESSAGES/messages.po
	$(BIN)/pybabel -q compile -d service/translations

migrate: translations
	$(BIN)/flask db upgrade

run: migrate
	$(BIN)/flask seed-demo
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

# The demo beside a local CAS server for 浙江大学 (django-cas-server, from the dev extras) and a
# local OpenID Connect provider for 杭州师范大学 (oidc-provider; needs Node, installs it into
# tests/sso/node_modules): sign in with the university's account (the accounts are printed).
# CAS_PORT=8765, OIDC_PORT=8766.
sso-demo: migrate
	$(BIN)/flask seed-demo
	PORT=$(PORT) CAS_PORT=$(CAS_PORT) OIDC_PORT=$(OIDC_PORT) $(BIN)/python -m tests.sso.demo

test: translations
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# On this machine's PostgreSQL unless TEST_DATABASE_URL says otherwise; needs wrk for the
# API benchmark (apt-get install wrk). BENCH_SCALE=nation for the nation-scale run.
bench: translations
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql://root@127.0.0.1:5432/postgres} \
		$(BIN)/python -m pytest tests/perf -p no:randomly -s $(PYTEST_ARGS)

# Schemathesis with many more examples per operation than the bounded run in `make test`.
FUZZ_EXAMPLES ?= 200
fuzz: translations
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest tests/fuzz -p no:randomly $(PYTEST_ARGS)

# 60 s of mixed load at 64 connections through the production topology of deploy/prove.sh.
load: translations
	LOAD_SECONDS=60 LOAD_CONNECTIONS=64 PROVE_TIMEOUT=600 bash deploy/prove.sh

# Ten minutes of load with workers never recycled: memory flat within 10%, no connection leak.
soak: translations
	SOAK=1 LOAD_SECONDS=$${LOAD_SECONDS:-600} LOAD_CONNECTIONS=64 GUNICORN_MAX_REQUESTS=0 \
		PROVE_TIMEOUT=1500 bash deploy/prove.sh

# Known vulnerabilities (pip-audit, where its database is reachable) and stale pins (reported).
audit: install
	$(BIN)/python -m pip install --quiet pip-audit
	$(BIN)/python deploy/dependencies.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Refresh the gettext template and merge it into the Chinese catalog.
messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output -w 100 \
		-o service/translations/messages.pot .
	$(BIN)/pybabel update -i service/translations/messages.pot -d service/translations --no-fuzzy-matching -w 100

clean:
	rm -rf $(VENV) instance .pytest_cache
