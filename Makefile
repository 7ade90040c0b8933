# Set-up and everyday commands. Everything installs itself: a fresh Debian machine with
# Python 3.11 needs only `make demo` or `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
MOCK_PORT ?= 8081
OIDC_PORT ?= 8082
PORTAL_PORT ?= 8080
MO_FILES := translations/sv/LC_MESSAGES/messages.mo translations/en/LC_MESSAGES/messages.mo

.PHONY: install translations translations-update demo demo-oidc mock portal test test-postgresql test-any-date test-busy test-unit test-integration test-web screenshots bench bench-instructions loadtest chromium postgresql clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@rm -f $(VENV)/.installed-*
	@touch $@

# Debian's chromium for the browser tests: `playwright install` cannot download here.
chromium:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		echo "Installing Debian's chromium (apt)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "chromium is missing and we are not root: run 'sudo apt-get install -y chromium'"; exit 1; fi

# Debian's PostgreSQL for the tests' throwaway clusters (tests/pgcluster.py), unless PORTAL_TEST_POSTGRES_URL
# names a server. Installing it may also create Debian's own cluster 'main' on 5432; the tests leave that alone.
postgresql:
	@if [ -n "$$PORTAL_TEST_POSTGRES_URL" ] || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		echo "Installing Debian's postgresql (apt)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	else echo "PostgreSQL (initdb) is missing and we are not root: run 'sudo apt-get install -y postgresql'," \
		"or set PORTAL_TEST_POSTGRES_URL to a server where the tests may create databases"; exit 1; fi

# Compiled catalogs are built, never committed, so they cannot drift from the .po files.
translations: $(MO_FILES)

translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel -q compile -l $* -i $< -o $@ >/dev/null

# After changing user-visible strings: extract, merge into sv/en (en = source), then translate sv by hand.
translations-update: install
	$(BIN)/pybabel -q extract -F babel.cfg -k _ -k gettext -k ngettext:1,2 -k lazy_gettext \
		-o translations/messages.pot --no-location --omit-header --sort-output . >/dev/null
	$(BIN)/python scripts/fill_translations.py
	@grep -B1 -A1 'msgstr ""$$' translations/sv/LC_MESSAGES/messages.po | grep -v '^--' | tail -n +4 || true

# The mock agencies, forwarder and registry on $(MOCK_PORT), and the portal (gunicorn) on $(PORTAL_PORT), pointed at
# them (instance/demo.toml, written from portal/demo.toml). Taken ports are reported before anything starts.
demo: install translations
	@$(BIN)/python scripts/demo_setup.py check-ports mock=$(MOCK_PORT) portal=$(PORTAL_PORT)
	@mkdir -p instance
	@$(BIN)/python scripts/demo_setup.py config --mock-port $(MOCK_PORT) --portal-port $(PORTAL_PORT) > instance/demo.toml
	@trap 'kill $$mock 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python -m mock_producers --host 127.0.0.1 --port $(MOCK_PORT) & mock=$$!; \
	sleep 1; \
	kill -0 $$mock 2>/dev/null || { echo "make demo: the mock agencies did not start (see above)" >&2; exit 1; }; \
	echo; echo "  Portal: http://127.0.0.1:$(PORTAL_PORT)/  (log in as one of the demo identities above)"; echo; \
	PORTAL_DEMO=1 PORTAL_CONFIG=instance/demo.toml $(BIN)/gunicorn --workers 2 --threads 4 --reuse-port \
		--bind 127.0.0.1:$(PORTAL_PORT) --access-logformat '%(h)s "%(r)s" %(s)s %(b)s %(L)ss' 'portal:create_app()'

# The same, logging in through a real OpenID provider (npm oidc-provider with tests/oidc/provider.js) on
# $(OIDC_PORT) instead of the mock e-ID: pick a test user on its page. Needs npm and Node 20.
demo-oidc: install translations
	@$(BIN)/python scripts/demo_setup.py check-ports mock=$(MOCK_PORT) portal=$(PORTAL_PORT) oidc=$(OIDC_PORT)
	@mkdir -p instance
	@$(BIN)/python scripts/demo_oidc.py config --provider-port $(OIDC_PORT) --portal-port $(PORTAL_PORT) \
		--mock-port $(MOCK_PORT) > instance/demo-oidc.toml
	@trap 'kill $$mock $$op 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python -m mock_producers --host 127.0.0.1 --port $(MOCK_PORT) & mock=$$!; \
	$(BIN)/python scripts/demo_oidc.py provider --provider-port $(OIDC_PORT) --portal-port $(PORTAL_PORT) & op=$$!; \
	sleep 2; \
	kill -0 $$mock 2>/dev/null || { echo "make demo-oidc: the mock agencies did not start (see above)" >&2; exit 1; }; \
	echo; echo "  Portal: http://127.0.0.1:$(PORTAL_PORT)/  (log in with e-ID, then pick a test user)"; echo; \
	PORTAL_DEMO=1 PORTAL_CONFIG=instance/demo-oidc.toml $(BIN)/gunicorn --workers 2 --threads 4 --reuse-port \
		--bind 127.0.0.1:$(PORTAL_PORT) --access-logformat '%(h)s "%(r)s" %(s)s %(b)s %(L)ss' 'portal:create_app()'

# Only the mock world.
mock: install
	$(BIN)/python -m mock_producers --host 127.0.0.1 --port $(MOCK_PORT)

# The whole suite on SQLite, then every store-touching suite (unit, web, integration) again on PostgreSQL
# (tests/testdb.py; tests/pgcluster.py finds or starts a server). Tests that always use PostgreSQL run once.
PG_ONLY := --ignore=tests/integration/test_pgcluster.py --ignore=tests/integration/test_two_instances.py \
	--ignore=tests/integration/test_database_faults.py
test: install translations chromium postgresql
	$(BIN)/python -m pytest
	PORTAL_TEST_BACKEND=postgresql $(BIN)/python -m pytest -q tests/unit tests/web tests/integration $(PG_ONLY)

# Only the second half of `make test`: the store-touching suites on PostgreSQL.
test-postgresql: install translations postgresql
	PORTAL_TEST_BACKEND=postgresql $(BIN)/python -m pytest -q tests/unit tests/web tests/integration $(PG_ONLY)

# The whole suite as if today were 200 days later, then 200 days earlier: no test may depend on the day it runs.
# MINA_CLOCK_SHIFT_DAYS moves the shared clock (portal/standard/clock.py) of every process the tests start.
test-any-date: install translations chromium postgresql
	MINA_CLOCK_SHIFT_DAYS=200 $(BIN)/python -m pytest -q
	MINA_CLOCK_SHIFT_DAYS=-200 $(BIN)/python -m pytest -q

# The whole suite with the second core kept busy: no test may depend on the machine's speed.
test-busy: install translations chromium postgresql
	@$(BIN)/python -c 'while True: pass' & busy=$$!; trap "kill $$busy" EXIT; $(BIN)/python -m pytest -q

test-unit: install
	$(BIN)/python -m pytest tests/unit

test-integration: install
	$(BIN)/python -m pytest tests/integration

test-web: install translations
	$(BIN)/python -m pytest tests/web

# Performance scenarios P1-P12 (issues 6, 16, 17, 19), SQLite and PostgreSQL side by side: writes bench-results.json.
# Not part of `make test`. It starts a PostgreSQL cluster of its own (installed by the postgresql target).
bench: install translations postgresql
	$(BIN)/python -m tests.benchmarks

# Instructions per warm request (valgrind's callgrind): the work, counted the same whatever the machine's speed.
bench-instructions: install translations
	@command -v valgrind >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null)
	$(BIN)/python -m tests.benchmarks.instructions

# The full load test: 50 sessions x 200 requests against gunicorn on loopback (the test suite runs a reduced one).
loadtest: install translations
	$(BIN)/python tests/load/run_full.py

# PNGs of the main pages (sv/en, desktop/mobile) for the README.
screenshots: install translations chromium
	$(BIN)/python scripts/screenshots.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis *.egg-info
