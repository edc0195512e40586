# The commands a newcomer types: `make run` and `make test`. Everything else is a step of those.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test test-unit test-e2e bench i18n i18n-stats lint browser clean

# Catalogs: checked against the English (placeholders, plural forms, HTML, syntax) and compiled
# only when good; a broken one fails here, naming file and line, and keeps its last good .mo.
install: $(VENV)/.installed static/vendor/htmx.min.js
	@$(BIN)/python -m okmarts.catalog_check
	@$(BIN)/okmarts pseudo-locale >/dev/null

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

# htmx is the only JavaScript: pinned in package.json, copied from node_modules, never committed.
static/vendor/htmx.min.js: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js

run: install
	$(BIN)/okmarts migrate
	$(BIN)/okmarts seed --if-empty
	$(BIN)/okmarts serve --host $(HOST) --port $(PORT)

# Browser tests use Debian's Chromium where Playwright cannot download its own browser.
browser:
	@if command -v chromium >/dev/null 2>&1 || ls $$HOME/.cache/ms-playwright/chromium-* >/dev/null 2>&1; then :; \
	elif command -v apt-get >/dev/null 2>&1; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; \
	else $(BIN)/playwright install chromium; fi

# Two runs: Playwright's sync API keeps an event loop running that the async unit tests cannot share.
test: install browser
	$(BIN)/python -m pytest tests/unit
	$(BIN)/python -m pytest tests/e2e

test-unit: install
	$(BIN)/python -m pytest tests/unit

test-e2e: install browser
	$(BIN)/python -m pytest tests/e2e

# PostgreSQL rows in a scratch database on this server (skipped, and said so, if it is down).
BENCH_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/test
bench: install
	$(BIN)/python bench/run.py --postgres-url "$(BENCH_POSTGRES_URL)"

# Extract every string (and `# TRANSLATORS:` / `{# TRANSLATORS: #}` comments) from Python and
# templates, merge into each catalog, check and compile.
i18n: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k NP_:1c,2 -c TRANSLATORS: -o locales/messages.pot --sort-output --project=Okmarts --copyright-holder=Okmarts .
	$(BIN)/pybabel update -i locales/messages.pot -d locales -D messages --no-fuzzy-matching --ignore-obsolete
	$(BIN)/python -m okmarts.catalog_check
	$(BIN)/okmarts pseudo-locale

# Completion per language, against the source catalog (and whether the privacy policy is translated).
i18n-stats: $(VENV)/.installed
	@$(BIN)/python -m okmarts.translation_stats

clean:
	rm -rf $(VENV) node_modules static/vendor var .pytest_cache

lint: $(VENV)/.installed
	$(BIN)/ruff check src tests bench
