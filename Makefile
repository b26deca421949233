# dbt-armor developer commands. Each target creates/uses the local virtualenv in .venv.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: venv demo test test-all lint bench report-screenshot clean test-integrations

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

test: lint
	$(PY) -m pytest -m "not slow" -q

test-all: lint
	$(PY) -m pytest -q

bench: venv
	$(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache integration_project/target

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
