# Two entry points: `make run` (the app on the demo, or LOGDIR=...) and `make test` (the whole suite).
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
LOGDIR ?=
HOST ?= 127.0.0.1
PORT ?= 8050

.PHONY: run test install install-test chromium bench

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV) 2>/dev/null || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test]"
	touch $@

install: $(VENV)/.installed

chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; }

run: install
	$(PY) app.py $(if $(LOGDIR),--logdir $(LOGDIR)) --host $(HOST) --port $(PORT)

test: install chromium
	$(PY) -m pytest $(PYTEST_ARGS)

bench: install
	$(PY) bench/bench_foundation.py
