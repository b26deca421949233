# dbt-armor developer commands. Each target creates/uses the local virtualenv in .venv.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: venv demo demo-postgres test test-all test-matrix test-postgres test-integrations lint bench report-screenshot clean dist

venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt --config-settings editable_mode=compat \
		-e '.[core,duckdb,dev]' dbt-duckdb
	touch $(STAMP)

demo: venv
	$(PY) scripts/demo.py

lint: venv
	$(VENV)/bin/ruff check dbt_armor tests bench scripts
	$(VENV)/bin/ruff format --check dbt_armor tests bench scripts
	$(VENV)/bin/mypy

# Two workers, one test file each at a time (loadfile): a module's shared fixtures and its
# tests that run in file order stay in one process; session fixtures build once per worker.
test: lint
	$(PY) -m pytest -m "not slow" -q --durations=15 -n 2 --dist loadfile

# The PostgreSQL e2e: a private cluster from Debian's binaries (scripts/pg_cluster.py) on a
# loopback port; needs the `postgres` extra (dbt-postgres), installed here.
PG_STAMP := $(VENV)/.installed-postgres

$(PG_STAMP): $(STAMP)
	$(PY) -m pip install -q -c constraints.txt --config-settings editable_mode=compat -e '.[postgres]'
	touch $(PG_STAMP)

test-postgres: $(PG_STAMP)
	$(PY) scripts/pg_cluster.py check
	$(PY) -m pytest -m postgres tests/postgres -q

demo-postgres: $(PG_STAMP)
	$(PY) scripts/demo.py --warehouse postgres

test-all: lint
	ARMOR_TEST_EXAMPLES=full $(PY) -m pytest -q

# The support matrix (Python 3.10-3.13 x dbt-core 1.8-1.11, dbt outside our environment): one
# virtualenv per cell under .matrix/, installed from the registries (scripts/matrix.py --list).
test-matrix:
	$(PYTHON) scripts/matrix.py

bench: venv
	$(PY) -m bench

# Wheel + sdist into dist/ and `twine check` (what the release workflow publishes).
dist: venv
	rm -rf dist
	$(PY) -m build --no-isolation --outdir dist .
	$(PY) -m twine check --strict dist/*

clean:
	rm -rf $(VENV) .matrix .pytest_cache .mypy_cache .ruff_cache integration_project/target

# Render the CI Markdown report to HTML and screenshot it in headless Chromium
# (needs Debian's chromium: apt-get install -y chromium).
report-screenshot: venv
	$(PY) scripts/render_ci_report.py tests/fixtures/ci/render_unit.md --png docs/ci-report.png --size 1200,1250

# Dagster and Airflow integrations: one virtualenv per orchestrator (the real packages from
# PyPI, pinned in tests/integrations/constraints-*.txt), each running its own real-run tests.
INTEG := .venv-integrations
INTEG_TESTS := tests/unit/test_integrations_lazy.py
EXTRAS_dagster := dagster
EXTRAS_airflow := airflow,cosmos

test-integrations: $(INTEG)/dagster/.installed $(INTEG)/airflow/.installed
	$(INTEG)/dagster/bin/python -m pytest -q -p no:cacheprovider tests/integrations/test_dagster.py $(INTEG_TESTS)
	$(INTEG)/airflow/bin/python -m pytest -q -p no:cacheprovider tests/integrations/test_airflow.py $(INTEG_TESTS)

$(INTEG)/%/.installed: pyproject.toml constraints.txt tests/integrations/constraints-%.txt
	rm -rf $(INTEG)/$*
	$(PYTHON) -m venv $(INTEG)/$*
	$(INTEG)/$*/bin/python -m pip install -q --upgrade pip
	$(INTEG)/$*/bin/python -m pip install -q -c constraints.txt -c tests/integrations/constraints-$*.txt \
		--config-settings editable_mode=compat -e '.[$(EXTRAS_$*),core,duckdb]' dbt-duckdb pytest pytest-timeout
	touch $@
