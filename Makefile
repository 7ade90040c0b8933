# Set-up and everyday commands. Everything installs itself: a fresh Debian machine with
# Python 3.11 needs only `make demo` or `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
MOCK_PORT ?= 8081

.PHONY: install demo mock test test-unit test-integration chromium clean

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

# The mock producers, forwarder and mandate registry with the demo data on 127.0.0.1.
demo: install
	$(BIN)/python -m mock_producers --host 127.0.0.1 --port $(MOCK_PORT)

mock: demo

test: install chromium
	$(BIN)/python -m pytest

test-unit: install
	$(BIN)/python -m pytest tests/unit

test-integration: install
	$(BIN)/python -m pytest tests/integration

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis *.egg-info
