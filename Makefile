# The two set-up commands of the README:  make demo  and  make test.
# Everything is installed from this repository's own files (setup.cfg, package.json).
VENV   ?= .venv
PYTHON ?= python3
BIN    := $(VENV)/bin
SLDS   := node_modules/@salesforce-ux/design-system/assets
STATIC := plugin/static/slds

.PHONY: demo test install install-test assets browser services clean

demo: install assets                 ## install, load the demo org and serve it on http://localhost:8000/demo
	$(BIN)/beinspired demo

test: install-test assets browser services   ## install everything and run the whole test suite
	$(BIN)/pytest

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'

# The Salesforce Lightning Design System, from npm at the version package-lock.json pins,
# copied into the Flask static folder (only the stylesheet and the icon sprites the pages use).
assets: $(STATIC)/styles/salesforce-lightning-design-system.min.css

$(STATIC)/styles/salesforce-lightning-design-system.min.css: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	rm -rf $(STATIC) && mkdir -p $(STATIC)/styles $(STATIC)/icons
	cp $(SLDS)/styles/salesforce-lightning-design-system.min.css $(STATIC)/styles/
	cp -r $(SLDS)/icons/utility-sprite $(SLDS)/icons/standard-sprite $(STATIC)/icons/
	cp $(SLDS)/icons/License-for-icons.txt $(STATIC)/icons/

# Debian's Chromium for the Playwright tests (Playwright's own browser download cannot work here).
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-liberation; }

# PostgreSQL and Redis on loopback, which the tests use for real.
services:
	@bash scripts/start-services

clean:
	rm -rf $(VENV) node_modules $(STATIC) *.egg-info
