# Two commands do everything on a fresh machine: `make run` and `make test`.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
export FLASK_APP := consent_service

.PHONY: install run test test-fast lint browser bench clean

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# compat: the checkout itself is on the path, so a new top-level package needs no reinstall
	$(BIN)/python -m pip install --quiet -e '.[test]' --config-settings editable_mode=compat
	touch $(STAMP)

install: $(STAMP)

# Chromium for the browser tests (Debian's package; Playwright cannot download browsers here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing: sudo apt-get install chromium (browser tests will be skipped)"; fi; }

DEMO_DATAMAP := $(CURDIR)/instance/demo-portal/datamap.yaml
DEMO_PREFERENCES := $(CURDIR)/preferences/catalogues/demo.yaml

# E-mailed links and banner.js point at the address the demo listens on, unless set.
run: export PUBLIC_BASE_URL ?= http://$(HOST):$(PORT)
run: install
	$(BIN)/flask db upgrade
	PREFERENCES_PATH=$(DEMO_PREFERENCES) $(BIN)/flask demo
	@echo ""
	@echo "Consent service on http://$(HOST):$(PORT)"
	@echo "  demo portal page     http://$(HOST):$(PORT)/demo"
	@echo "  cookie policy page   http://$(HOST):$(PORT)/sites/espace-locataire/cookies"
	@echo "  current policy       http://$(HOST):$(PORT)/v1/sites/espace-locataire/policy"
	@echo "  OpenAPI              http://$(HOST):$(PORT)/v1/openapi.json"
	@echo "  back-office          http://$(HOST):$(PORT)/backoffice/"
	@echo "  rights form          http://$(HOST):$(PORT)/sites/espace-locataire/rights"
	@echo "  mail (no SMTP set)   $(BIN)/flask mail list, $(BIN)/flask mail show ID, or the back-office's Courriers page"
	@echo "  e-mailed links use   $$PUBLIC_BASE_URL"
	@echo ""
	@trap 'kill 0' INT TERM EXIT; \
	  DATAMAP_PATH=$(DEMO_DATAMAP) PREFERENCES_PATH=$(DEMO_PREFERENCES) $(BIN)/flask worker & \
	  DATAMAP_PATH=$(DEMO_DATAMAP) PREFERENCES_PATH=$(DEMO_PREFERENCES) $(BIN)/gunicorn --config gunicorn.conf.py --bind $(HOST):$(PORT) \
	    --access-logfile - 'consent_service:create_app()'

# terser and tsc for the banner's build and type checks (those tests skip without node_modules).
node_modules: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --loglevel=error; \
	  else echo "npm is missing: the banner's build and type checks will be skipped"; fi

test: install browser node_modules
	$(BIN)/python -m pytest

# ruff (pyflakes, pycodestyle, isort, bugbear, pyupgrade) and mypy, configured in pyproject.toml
lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

test-fast: install
	$(BIN)/python -m pytest -m "not e2e" -x -q

bench: install browser
	$(BIN)/python bench/consent_api.py
	$(BIN)/python bench/banner.py
	$(BIN)/python bench/purge.py
	$(BIN)/python bench/export.py
	$(BIN)/python bench/seal.py
	$(BIN)/python bench/proof_scale.py

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis
