# The two commands: `make run` serves the product with demo data, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app skotsel
INSTALLED := $(VENV)/.installed
# ical.js for the calendar-feed tests (tests/js); installed only where npm exists, else those tests skip.
JS_INSTALLED := tests/js/node_modules/.installed
NPM := $(shell command -v npm 2>/dev/null)

.PHONY: run test screenshots translations extract-messages clean

$(INSTALLED): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $(INSTALLED)

$(JS_INSTALLED): tests/js/package.json tests/js/package-lock.json
	cd tests/js && npm ci --no-audit --no-fund --loglevel=error
	touch $@

translations: $(INSTALLED)
	$(BIN)/pybabel -q compile -d skotsel/translations

run: translations
	$(FLASK) db upgrade
	$(FLASK) demo-data
	@echo ""
	@echo "skotsel runs on http://127.0.0.1:5000 — demo logins (password skotsel-demo-2026):"
	@echo "  admin@almhult.example        municipality admin, Älmhult"
	@echo "  granskare@almhult.example    reviewer, Älmhult"
	@echo "  samordnare@hallaryd.example  coordinator, Hallaryds sockenråd"
	@echo "  medlem@hallaryd.example      member, Hallaryds sockenråd"
	@echo "  samordnare@virestad.example  coordinator, Virestads hembygdsförening"
	@echo "E-mail is not sent: without SKOTSEL_MAIL_SERVER it lands in instance/outbox/ (Admin → Utkorg)."
	@echo ""
	@# The scheduler runs beside the web server and stops with it (Ctrl-C stops both).
	@trap 'kill $$scheduler 2>/dev/null; wait $$scheduler 2>/dev/null' EXIT INT TERM; \
	$(FLASK) scheduler & scheduler=$$!; \
	$(FLASK) run --host 127.0.0.1 --port 5000

test: translations $(if $(NPM),$(JS_INSTALLED))
	$(BIN)/pytest -n 2

# The README's screenshots: the browser journeys photograph the pages they visit (phone and desktop) into
# docs/screenshots/journeys/ (needs Debian's chromium).
screenshots: translations
	SKOTSEL_SCREENSHOTS=1 $(BIN)/pytest tests/browser -k journey

# Refresh the message catalogue after changing user-visible text; then translate the new entries in en/.
extract-messages: $(INSTALLED)
	$(BIN)/pybabel extract --no-location --sort-output -F babel.cfg -k _l -k lazy_pgettext:1c,2 -o skotsel/translations/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete -i skotsel/translations/messages.pot -d skotsel/translations

clean:
	rm -rf $(VENV) tests/js/node_modules
