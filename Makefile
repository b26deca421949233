# dbt-armor developer commands. Each target creates/uses the local virtualenv in .venv.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: venv demo test test-all lint bench report-screenshot clean dist

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

# Wheel + sdist into dist/ and `twine check` (what the release workflow publishes).
dist: venv
	rm -rf dist
	$(PY) -m build --no-isolation --outdir dist .
	$(PY) -m twine check --strict dist/*

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache integration_project/target

# Render the CI Markdown report to HTML and screenshot it in headless Chromium
# (needs Debian's chromium: apt-get install -y chromium).
report-screenshot: venv
	$(PY) scripts/render_ci_report.py tests/fixtures/ci/render_unit.md --png docs/ci-report.png --size 1200,1250
