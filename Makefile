# The two set-up commands of the README:  make demo  and  make test.
# Every Python package comes from the lock in requirements/ (exact versions, hashes checked);
# the front-end assets from package-lock.json. `make lock` and `make test-latest` are for
# upgrading (README: Development).
VENV   ?= .venv
PYTHON ?= python3
BIN    := $(VENV)/bin
STATIC := plugin/static/slds
PIP    := $(BIN)/pip install --quiet --require-hashes --no-deps
UPGRADE ?= --upgrade
COMPILE = ../.venv-tools/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
          --no-emit-find-links --no-emit-index-url $(UPGRADE)

.PHONY: demo test lint install install-test check-lock lock test-latest assets browser wrk services clean

demo: install assets                 ## install, load the demo org and serve it on http://localhost:8000/demo
	$(BIN)/beinspired demo

test: install-test check-lock lint assets browser wrk services   ## install everything and run the whole test suite
	$(BIN)/pytest

# Static checks before the tests: ruff (pyproject.toml says which rules and why), and bandit's
# medium and high findings, each left one carrying `# nosec BXXX # why: ...` at its line.
lint: install-test
	$(BIN)/ruff check plugin recommender content_catalog tests scripts
	$(BIN)/bandit -c pyproject.toml -q -r plugin recommender content_catalog scripts --severity-level medium

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) -r requirements/bootstrap.txt

install: $(BIN)/python
	$(PIP) -r requirements/runtime.txt
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .

install-test: $(BIN)/python
	$(PIP) -r requirements/test.txt
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .

check-lock:                          ## the environment holds exactly what the test lock pins
	$(BIN)/python scripts/check-lock requirements/test.txt

# Regenerate the lock from setup.cfg's ranges: the newest releases they allow, with hashes
# (`make lock UPGRADE=` keeps the current pins and only adds what setup.cfg newly asks for).
# test.txt is resolved first; runtime.txt is held to its versions, so the two never disagree.
lock:
	test -x .venv-tools/bin/pip-compile || { $(PYTHON) -m venv .venv-tools && \
	  .venv-tools/bin/pip install --quiet --require-hashes --no-deps -r requirements/tools.txt; }
	cd requirements && $(COMPILE) -o tools.txt tools.in
	cd requirements && $(COMPILE) -o bootstrap.txt bootstrap.in
	cd requirements && $(COMPILE) --extra test -c bootstrap.txt -o test.txt ../setup.cfg bootstrap.in
	cd requirements && $(COMPILE) -c test.txt -o runtime.txt ../setup.cfg bootstrap.in

# The suite against the newest releases setup.cfg allows, in a venv of its own: finds the next
# break before a customer does. Not part of .ci/run, which tests the lock.
test-latest: assets browser services
	rm -rf .venv-latest && $(PYTHON) -m venv .venv-latest
	.venv-latest/bin/pip install --quiet --upgrade pip
	.venv-latest/bin/pip install --quiet --upgrade -e '.[test]'
	.venv-latest/bin/pip freeze --exclude-editable > .venv-latest/freeze.txt
	.venv-latest/bin/pytest

# The Salesforce Lightning Design System, from npm at the version package-lock.json pins,
# copied into the Flask static folder (only the stylesheet and the icon sprites the pages use).
assets: $(STATIC)/styles/salesforce-lightning-design-system.min.css

$(STATIC)/styles/salesforce-lightning-design-system.min.css: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	sh scripts/vendor-slds

# Debian's Chromium for the Playwright tests (Playwright's own browser download cannot work here).
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-liberation; }

# The load generator `beinspired benchmark-load` drives (its end-to-end tests skip without it).
wrk:
	@command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }

# PostgreSQL and Redis on loopback, which the tests use for real.
services:
	@bash scripts/start-services

clean:
	rm -rf $(VENV) .venv-tools .venv-latest node_modules $(STATIC) *.egg-info
