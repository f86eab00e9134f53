# Two entry points: `make run` (the app on the demo, or LOGDIR=...) and `make test` (the whole suite,
# after installing Debian's chromium and redis-server, which the browser and Celery tests use).
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
LOGDIR ?=
HOST ?= 127.0.0.1
PORT ?= 8050

.PHONY: run test install system-packages bench plotly

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV) 2>/dev/null || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test]"
	touch $@

install: $(VENV)/.installed

system-packages:
	@command -v chromium >/dev/null && command -v redis-server >/dev/null && { command -v nginx || test -x /usr/sbin/nginx; } >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver redis-server nginx; }

run: install
	$(PY) app.py $(if $(LOGDIR),--logdir $(LOGDIR)) --host $(HOST) --port $(PORT)

test: install system-packages
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	$(VENV)/bin/lint-imports
	$(PY) -m pytest $(PYTEST_ARGS)

bench: install
	$(PY) bench/bench_foundation.py

# assets/vendor/plotly.min.js: plotly.js with only the trace types the app draws (less than half the script to
# load on every page); rebuilt with node and npm when the plotly package's plotly.js version moves.
plotly:
	cd deploy/plotly && npm install --no-audit --no-fund && node build.js
