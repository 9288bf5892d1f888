# Outage Radar — `make run` starts everything with demo data, `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test docs bench translations clean

# Two stamps: `make run` installs only what the product needs; the test tools come with `make test`.
$(VENV)/.installed-run: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed-run requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

run: $(VENV)/.installed-run
	$(BIN)/python -m aggregator run

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -q

docs: $(VENV)/.installed-dev
	NO_MKDOCS_2_WARNING=1 $(BIN)/python -m mkdocs build --strict --site-dir site

bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench

# The public site's words: extract them from the code and templates (babel.cfg), merge them into each language's
# .po under aggregator/translations/, then compile the .mo files the server reads. Commit both.
POT := aggregator/translations/messages.pot
translations: $(VENV)/.installed-run
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext --no-location --sort-output -o $(POT) .
	$(BIN)/pybabel update -i $(POT) -d aggregator/translations --ignore-pot-creation-date
	$(BIN)/pybabel compile -d aggregator/translations --statistics

clean:
	rm -rf $(VENV) var site .pytest_cache .hypothesis
