# The two commands: `make run` (the demo, on a fresh machine) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
EMBED := $(PY) -m config.embedded --

.PHONY: run test test-clock venv migrate lint translations bench-provisioning bench-measurement bench-engagement bench-notifications bench-export bench-load clean

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

run: venv
	$(PY) -m config.devstack

# The suite's own PostgreSQL runs without fsync (its data is made anew by every run). Work
# stealing: pytest-django puts the committed tests (browser, backup, workers: half the time)
# together, and --dist load sent them in one chunk to one worker while the other sat idle.
test: venv
	TANDEM_EMBEDDED_NAME=test TANDEM_EMBEDDED_FSYNC=off $(EMBED) \
		$(PY) -m pytest -n 2 --dist worksteal -q --durations=15 $(PYTEST_ARGS)

# The whole suite under libfaketime, once per moment of CLOCK_RUNS (UTC; a bare HH:MM is today):
# four hours of the day, then the daylight-saving changes in New York (07:00 UTC in March, 06:00
# in November) and London (01:00 UTC), each run starting just before the change. Every process
# (pytest, its workers, the embedded PostgreSQL and Redis; not Chromium) reads the real clock plus
# the same offset, so they agree with each other; the monotonic clock (sleeps, timeouts) stays
# real. libfaketime is PyPI's build (tests/faketime_library.py says why not Debian's). The
# in-process --clock-at guard is off. Slow (one suite per moment): `make test` runs the cheap
# guard instead (docs/testing.md).
CLOCK_RUNS ?= 03:00 09:00 15:00 21:00 2026-03-08T06:57 2026-11-01T05:57 2026-03-29T00:57 \
	2026-10-25T00:57
test-clock: venv
	@failed=""; for at in $(CLOCK_RUNS); do \
		offset=$$(( $$(date -u -d "$$at" +%s) - $$(date -u +%s) )); \
		case $$offset in -*) ;; *) offset="+$$offset";; esac; \
		echo "== make test-clock: $$at UTC (faketime $$offset s)"; start=$$(date +%s); \
		TANDEM_EMBEDDED_NAME=test TANDEM_EMBEDDED_FSYNC=off \
			LD_PRELOAD="$$($(PY) -m tests.faketime_library)" \
			FAKETIME="$$offset" FAKETIME_DONT_FAKE_MONOTONIC=1 $(EMBED) \
			$(PY) -m pytest -n 2 --dist worksteal -q --clock-at=wall $(PYTEST_ARGS) \
			|| failed="$$failed $$at"; \
		echo "== $$at UTC: $$(( $$(date +%s) - start )) s"; \
	done; \
	if [ -n "$$failed" ]; then echo "== make test-clock: failed at$$failed"; exit 1; fi

migrate: venv
	$(EMBED) $(PY) manage.py migrate_platform

# mypy's Django plugin loads the settings (config.settings.test): placeholder addresses keep them
# from starting the embedded PostgreSQL and Redis (nothing connects to them).
lint: venv
	$(PY) -m ruff check .
	DATABASE_URL=postgres://lint@localhost/lint REDIS_URL=redis://localhost:6379/0 $(PY) -m mypy
	$(VENV)/bin/lint-imports

# The Spanish catalogue (locale/es/LC_MESSAGES): collect every marked string, then compile.
# Translate the new or changed entries in django.po (no empty or fuzzy ones: the test
# tests/portal/test_spanish.py fails on them) and run it again; commit the .po and the .mo.
TRANSLATION_IGNORES := --ignore=tests --ignore=bench --ignore=infra --ignore=terraform \
	--ignore=docs --ignore='*.egg-info' --ignore=locale
translations: venv
	$(PY) manage.py makemessages -l es --no-obsolete $(TRANSLATION_IGNORES)
	$(PY) manage.py compilemessages -l es --ignore=.venv

bench-provisioning: venv
	TANDEM_EMBEDDED_NAME=bench $(EMBED) $(PY) bench/provisioning.py $(BENCH_ARGS)

bench-measurement: venv
	TANDEM_EMBEDDED_NAME=bench $(EMBED) $(PY) bench/measurement.py $(BENCH_ARGS)

bench-notifications: venv
	TANDEM_EMBEDDED_NAME=bench $(EMBED) $(PY) bench/notifications.py $(BENCH_ARGS)

bench-export: venv
	TANDEM_EMBEDDED_NAME=bench $(EMBED) $(PY) bench/export.py $(BENCH_ARGS)

# A practice day over real HTTP (locust) against gunicorn, a worker and the scheduler.
bench-load: venv
	TANDEM_EMBEDDED_NAME=bench $(EMBED) $(PY) bench/load.py $(BENCH_ARGS)

# Every alert rule at 200 and 2,000 clients per practice with a year of data, against a naive
# evaluation; a fleet of 1,000 practices (BENCH_ARGS=--quick: 3). See docs/benchmarks.md.
bench-engagement: venv
	TANDEM_EMBEDDED_NAME=bench $(EMBED) $(PY) bench/engagement.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .tandem

# --- Deployment (infra/, terraform/, docs/deployment.md). These use the DATABASE_URL and
# REDIS_URL of the environment they run in, never the embedded services.
MIGRATE_PARALLEL ?= 4
BASE_URL ?= http://localhost:8000

.PHONY: deploy-migrate deploy-collectstatic deploy-smoke deploy-image deploy-check

deploy-migrate: venv
	$(PY) manage.py migrate_platform --parallel $(MIGRATE_PARALLEL)

deploy-collectstatic: venv
	$(PY) manage.py collectstatic --noinput

deploy-smoke:
	infra/scripts/smoke_check.sh $(BASE_URL) $(SMOKE_URLS)

deploy-image:
	docker build -f infra/Dockerfile -t tandem:$$(git rev-parse --short HEAD) .

# Static checks of infra/ and terraform/ (no Docker, no AWS): parses and policy tests.
deploy-check: venv
	TANDEM_EMBEDDED_NAME=test $(EMBED) $(PY) -m pytest -q -p no:xdist \
		tests/deploy/test_infra.py tests/deploy/test_terraform.py
