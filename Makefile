# The two commands: `make run` (the demo, on a fresh machine) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
EMBED := $(PY) -m controlplane.embedded --

.PHONY: run test venv migrate lint bench-provisioning bench-measurement clean

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

run: venv
	$(PY) -m controlplane.devstack

test: venv
	TANDEM_EMBEDDED_NAME=test $(EMBED) $(PY) -m pytest -n 2 -q $(PYTEST_ARGS)

migrate: venv
	$(EMBED) $(PY) manage.py migrate_platform

lint: venv
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports

bench-provisioning: venv
	TANDEM_EMBEDDED_NAME=bench $(EMBED) $(PY) bench/provisioning.py $(BENCH_ARGS)

bench-measurement: venv
	TANDEM_EMBEDDED_NAME=bench $(EMBED) $(PY) bench/measurement.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .tandem
