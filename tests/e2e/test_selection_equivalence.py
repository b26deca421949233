"""One selector engine: ``gate --manifest``, sync's scope and real ``dbt ls`` pick the same nodes.

Each project is parsed once by dbt in-process; every expression is then listed by dbt with that
parsed manifest and evaluated by dbt-armor on the manifest.json the parse wrote. Two projects:
integration_project, and a small one with a package that has its own models and sources.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from project_copy import DbtProject

from dbt_armor.dbt.invocation import resolve_invocation
from dbt_armor.gate.offline import prepare_from_manifest
from dbt_armor.project.manifest import load_manifest
from dbt_armor.project.select import select_scope

pytestmark = pytest.mark.e2e
GATE_TYPES = ("model", "seed", "snapshot")  # what `build` runs, as the gate selects it
SYNC_TYPES = ("model", "seed", "snapshot", "source")

# (select, exclude, selector): each is one dbt command line's selection
Case = tuple[tuple[str, ...], tuple[str, ...], str | None]
COMMON: list[Case] = [
    ((), (), None),
    (("tag:mart",), (), None),
    (("config.materialized:view",), (), None),
    (("resource_type:seed",), (), None),
]
SHOP: list[Case] = [
    (("fct_orders",), (), None),
    (("+fct_orders",), (), None),
    (("stg_orders+",), (), None),
    (("@stg_payments",), (), None),
    (("1+dim_customers",), (), None),
    (("2+fct_daily_revenue",), (), None),
    (("stg_payments+1",), (), None),
    (("tag:staging,tag:nightly",), (), None),
    (("tag:mart stg_orders",), (), None),
    (("tag:mart", "stg_orders"), (), None),
    (("path:models/staging",), (), None),
    (("path:models/marts/fct_orders.sql",), (), None),
    (("source:shop+",), (), None),
    (("source:crm.customers+",), (), None),
    (("package:armor_shop",), ("resource_type:seed",), None),
    (("armor_shop.staging.*",), (), None),
    (("tag:mart",), ("fct_daily_revenue",), None),
    (("+fct_orders",), ("source:shop.payments+",), None),
    ((), ("tag:mart",), None),
    ((), (), "nightly"),
    ((), (), "marts_without_revenue"),
    (("stg_orders",), (), "nightly"),  # --selector wins, as in dbt
]
PKG: list[Case] = [
    (("package:shared",), (), None),
    (("dim_users+",), (), None),
    (("+fct_events",), (), None),
    (("shared.*",), (), None),
    (("source:shared_src+",), (), None),
    (("source:app.events+,tag:mart",), (), None),
    (("config.materialized:incremental",), (), None),
    ((), (), "events_core"),
    (("fct_daily",), (), None),
]

PKG_FILES = {
    "dbt_project.yml": """name: pkgshop
version: "1.0.0"
profile: pkgshop
models:
  pkgshop:
    marts:
      +materialized: table
      +tags: [mart]
""",
    "packages.yml": "packages:\n  - local: shared_pkg\n",
    "selectors.yml": """selectors:
  - name: marts_default
    default: true
    definition:
      method: path
      value: models/marts
  - name: events_core
    definition:
      union:
        - method: fqn
          value: fct_events
          parents: true
        - exclude:
            - method: fqn
              value: dim_users
              parents: true
""",
    "models/staging/_sources.yml": """version: 2
sources:
  - name: app
    schema: main
    tables:
      - name: events
      - name: users
""",
    "models/staging/stg_events.sql": "select * from {{ source('app', 'events') }}\n",
    "models/staging/stg_app_users.sql": "select * from {{ source('app', 'users') }}\n",
    "models/marts/fct_events.sql": (
        "select e.* from {{ ref('stg_events') }} e join {{ ref('dim_users') }} u on true\n"
    ),
    "models/marts/fct_daily.sql": (
        "{{ config(materialized='incremental') }}\nselect * from {{ ref('fct_events') }}\n"
    ),
    "shared_pkg/dbt_project.yml": """name: shared
version: "1.0.0"
models:
  shared:
    +materialized: view
""",
    "shared_pkg/models/_shared.yml": """version: 2
sources:
  - name: shared_src
    schema: main
    tables:
      - name: users
""",
    "shared_pkg/models/dim_users.sql": "select * from {{ source('shared_src', 'users') }}\n",
    "shared_pkg/seeds/user_types.csv": "id,name\n1,admin\n",
}


@dataclass
class Parsed:
    project: Path
    profiles: Path
    manifest: Any  # dbt's own Manifest object, reused by every ls

    @property
    def manifest_path(self) -> Path:
        return self.project / "target" / "manifest.json"


@pytest.fixture(scope="module")
def dbt_env() -> Iterator[None]:
    keep = dict(os.environ)
    os.environ.update(DBT_SEND_ANONYMOUS_USAGE_STATS="false", DO_NOT_TRACK="1")
    for key in ("DBT_TARGET_PATH", "DBT_PROFILES_DIR", "DBT_PROJECT_DIR"):
        os.environ.pop(key, None)
    yield
    os.environ.clear()
    os.environ.update(keep)


def _dbt(argv: list[str], manifest: Any = None) -> Any:
    from dbt.cli.main import dbtRunner

    result = dbtRunner(manifest=manifest).invoke(argv)
    assert result.success, f"dbt {' '.join(argv)}: {result.exception}"
    return result.result


def _parse(project: Path, profiles: Path, *, deps: bool = True) -> Parsed:
    flags = ["--project-dir", str(project), "--profiles-dir", str(profiles), "--log-level", "none"]
    if deps:
        _dbt(["deps", *flags])
    return Parsed(project, profiles, _dbt(["parse", *flags]))


@pytest.fixture(scope="module")
def shop(
    dbt_project: DbtProject, tmp_path_factory: pytest.TempPathFactory, dbt_env: None
) -> Parsed:
    """The session's built integration_project, cloned (packages kept) and parsed in-process."""
    copy = dbt_project.clone(tmp_path_factory.mktemp("eq_shop") / "armor_shop")
    os.environ["ARMOR_DUCKDB_PATH"] = str(copy.db_path)
    return _parse(copy.path, copy.profiles_dir, deps=False)


@pytest.fixture(scope="module")
def pkg(tmp_path_factory: pytest.TempPathFactory, dbt_env: None) -> Parsed:
    root = tmp_path_factory.mktemp("eq_pkg")
    for name, text in PKG_FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    db = root / "pkg.duckdb"
    (root / "profiles.yml").write_text(
        f"pkgshop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
        f'      path: "{db}"\n      schema: main\n'
    )
    return _parse(root, root)


def dbt_ls(parsed: Parsed, case: Case, types: tuple[str, ...]) -> set[str]:
    select, exclude, selector = case
    argv = ["ls", "--project-dir", str(parsed.project), "--profiles-dir", str(parsed.profiles)]
    argv += ["--log-level", "none", "--output", "json", "--output-keys", "unique_id"]
    argv += ["--resource-type", *types]
    if select:
        argv += ["--select", *select]
    if exclude:
        argv += ["--exclude", *exclude]
    if selector:
        argv += ["--selector", selector]
    return {json.loads(line)["unique_id"] for line in _dbt(argv, parsed.manifest)}


def gate_args(case: Case) -> list[str]:
    select, exclude, selector = case
    argv = ["--select", *select] if select else []
    argv += ["--exclude", *exclude] if exclude else []
    return argv + (["--selector", selector] if selector else [])


def _check(parsed: Parsed, case: Case) -> None:
    invocation = resolve_invocation("build", gate_args(case), {}, parsed.project)
    gate = prepare_from_manifest(parsed.manifest_path, invocation)
    listed = dbt_ls(parsed, case, GATE_TYPES)
    assert listed, f"{case} selects nothing: the case proves nothing"
    assert set(gate.selected) == listed, case
    select, exclude, selector = case
    scope = select_scope(load_manifest(parsed.manifest_path), select, exclude, selector)
    expected = dbt_ls(parsed, case, SYNC_TYPES)
    if scope is None:  # nothing limits sync: it covers every node and source, as dbt lists
        manifest = load_manifest(parsed.manifest_path)
        every = {u for u, n in manifest.nodes.items() if n.resource_type in SYNC_TYPES}
        assert not (select or exclude or selector) and expected == every | set(manifest.sources)
    else:
        assert set(scope) == expected, case


@pytest.mark.parametrize("case", COMMON + SHOP, ids=repr)
def test_integration_project_selects_like_dbt_ls(shop: Parsed, case: Case) -> None:
    _check(shop, case)


@pytest.mark.parametrize("case", COMMON + PKG, ids=repr)
def test_a_project_with_a_package_and_a_default_selector_selects_like_dbt_ls(
    pkg: Parsed, case: Case
) -> None:
    _check(pkg, case)
