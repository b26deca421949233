"""End-to-end tests of the dbt_armor macro package on real dbt + DuckDB.

One throwaway project (installed from a git-like checkout of the package) is shared by the
whole module; every test runs its own dbt invocation and reads back what that run did.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import macro_helpers as h
import pytest

from dbt_armor.emulator.config import DEFAULT_READWRITE_KEY
from dbt_armor.timestamps import parse_timestamp

pytestmark = pytest.mark.e2e

ORDERS_QN = f"duckdb.{h.DATABASE}.raw.orders"
CUSTOMERS_QN = f"duckdb.{h.DATABASE}.raw.customers"
NODE = f"model.{h.PROJECT}."


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("macros")
    checkout = h.make_git_checkout(root / "dbt_armor_checkout")
    proj = h.write_project(root / "project", checkout)
    deps = h.run_dbt(proj, ["deps"])
    assert deps.rc == 0, deps.output
    return proj


def fresh_results() -> dict[str, Any]:
    return h.gate_results(
        {
            h.ORDERS_SOURCE: h.entry(ORDERS_QN, "fresh", "pass", 1.5, reasons=["it's fine"]),
            h.CUSTOMERS_SOURCE: h.entry(CUSTOMERS_QN, "fresh", "pass", 2.25, threshold=12.0),
        }
    )


def stale_orders(mode: str, outcome: str | None) -> dict[str, Any]:
    results = fresh_results()
    results["decision"] = "block"
    results["mode"] = mode
    results["sources"][h.ORDERS_SOURCE] = h.entry(
        ORDERS_QN, "stale", outcome, 30.0, reasons=["stale: 30.0h > 24.0h"]
    )
    return results


def run_results(project: Path) -> tuple[str, dict[str, dict[str, Any]]]:
    data = json.loads((project / "target" / "run_results.json").read_text())
    by_id = {r["unique_id"]: r for r in data["results"]}
    return str(data["metadata"]["invocation_id"]), by_id


def persisted(project: Path, invocation_id: str) -> dict[str, tuple[Any, ...]]:
    rows = h.query(
        project,
        "select source_unique_id, decision, qualified_name, status, outcome, hours_since_update,"
        " threshold_hours, last_updated, reasons, generated_at from main.armor_gate_results"
        f" where invocation_id = '{invocation_id}'",
    )
    return {r[0]: (*r[1:8], json.loads(r[8]), r[9]) for r in rows}


def expected_rows(results: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    out = {}
    for uid, e in results["sources"].items():
        stamp = parse_timestamp(e["last_updated"]).replace(tzinfo=None)
        out[uid] = (
            results["decision"],
            e["qn"],
            e["status"],
            e.get("outcome"),
            e["hours"],
            e["threshold"],
            stamp,
            e["reasons"],
            datetime(2026, 11, 25, 13, 0),
        )
    return out


def test_fresh_chunked_results_build_everything_and_reach_models(project: Path) -> None:
    results = fresh_results()
    env = h.results_env(results, chunk_size=90)
    assert int(json.loads(env["DBT_ARMOR_RESULTS"])["chunks"]) >= 3

    run = h.run_dbt(project, ["run"], env)

    assert run.rc == 0, run.text()
    invocation, by_id = run_results(project)
    assert {r["status"] for r in by_id.values()} == {"success"}
    assert f"{NODE}fct_orders" in by_id
    probe = h.query(project, "select * from main.freshness_probe")
    assert len(probe) == 1
    row = list(probe[0])
    row[2:4] = [float(row[2]), float(row[3])]
    assert row == [
        "fresh",
        "pass",
        1.5,
        24.0,
        h.ORDERS_SOURCE,
        h.CUSTOMERS_SOURCE,
        True,
        True,
        datetime(2026, 11, 25, 11, 30),
        None,
        datetime(2000, 1, 1),
        2,
    ]
    # last_updated() bounds the incremental model: the 12:00 row is newer than the gate saw.
    assert h.query(project, "select id from main.inc_orders order by id") == [(1,), (2,), (3,)]
    assert persisted(project, invocation) == expected_rows(results)


def test_stale_source_fails_its_models_and_skips_children(project: Path) -> None:
    # No outcome in the entry: a stale status alone blocks. Skip mode: on-run-start only warns.
    results = stale_orders(mode="skip", outcome=None)

    run = h.run_dbt(project, ["run"], h.results_env(results))

    assert run.rc == 1, run.text()
    invocation, by_id = run_results(project)
    status = {uid.removeprefix(NODE): r["status"] for uid, r in by_id.items()}
    assert status["stg_orders"] == "error"
    assert status["orders_via_ephemeral"] == "error"  # reads orders through an ephemeral model
    assert status["fct_orders"] == "skipped"
    assert status["stg_customers"] == "success"
    assert status["customers_warned"] == "success"  # severity='warn' only logs
    message = by_id[f"{NODE}stg_orders"]["message"]
    assert "source 'raw.orders'" in message
    assert "30.0h since last update, threshold 24.0h" in message
    assert "stale: 30.0h > 24.0h" in message
    warned = [m for m in run.messages() if "customers_warned reads blocked" in m]
    assert warned, run.text()
    assert persisted(project, invocation) == expected_rows(results)
    total = h.query(project, "select count(distinct invocation_id) from main.armor_gate_results")
    assert total[0][0] >= 2  # appended, not replaced


def test_on_run_start_refuses_the_whole_run(project: Path) -> None:
    run = h.run_dbt(project, ["run"], h.results_env(stale_orders(mode="block", outcome="block")))

    assert run.rc == 2, run.text()
    text = run.text()
    assert "selected node(s) read blocked upstream data" in text
    for name in ("stg_orders", "orders_via_ephemeral", "fct_orders", "inc_orders"):
        assert f"{NODE}{name} <- source 'raw.orders'" in text
    assert f"{NODE}stg_customers <-" not in text
    assert not [m for m in run.messages() if "START sql" in m]


def test_on_run_start_only_considers_selected_nodes(project: Path) -> None:
    env = h.results_env(stale_orders(mode="block", outcome="block"))
    run = h.run_dbt(project, ["run", "--select", "stg_customers"], env)

    assert run.rc == 0, run.text()
    _, by_id = run_results(project)
    assert by_id[f"{NODE}stg_customers"]["status"] == "success"


def test_new_results_do_not_force_a_full_reparse(project: Path) -> None:
    args = ["--log-level", "debug", "run", "--select", "stg_customers"]
    first = h.run_dbt(project, args, h.results_env(fresh_results()))
    second = h.run_dbt(project, args, h.results_env(stale_orders("skip", "block")))

    assert first.rc == 0 and second.rc == 0, second.text()
    names = {e["info"]["name"] for e in second.events}
    assert "UnableToPartialParse" not in names
    assert names & {"PartialParsingSkipParsing", "PartialParsingEnabled"}
    # The second run saw its own results, not the first run's.
    assert any("gate block, 2 upstream table(s)" in m for m in second.messages())
    assert any("gate pass, 2 upstream table(s)" in m for m in first.messages())


def test_portable_persist_escapes_awkward_text(project: Path) -> None:
    results = h.gate_results(
        {
            "source.x.it's.here": h.entry(
                "ds.db.o'brien\\x.t", "stale", "block", 3.0, reasons=["it's", "a\\b", "two\nlines"]
            ),
            h.ORDERS_SOURCE: h.entry(ORDERS_QN, "unknown", "warn", 0.0, last_updated="bad"),
        },
        decision="block",
    )
    run = h.run_dbt(project, ["run-operation", "persist_portable"], h.results_env(results))

    assert run.rc == 0, run.text()
    rows = h.query(
        project,
        "select source_unique_id, qualified_name, reasons, last_updated"
        " from portable.armor_gate_results order by source_unique_id",
    )
    assert [(r[0], r[1], json.loads(r[2]), r[3]) for r in rows] == [
        (h.ORDERS_SOURCE, ORDERS_QN, [], None),  # a malformed timestamp becomes null
        (
            "source.x.it's.here",
            "ds.db.o'brien\\x.t",
            ["it's", "a\\b", "two\nlines"],
            datetime(2026, 11, 25, 11, 30),
        ),
    ]


def test_git_checkout_layout_installs(project: Path) -> None:
    installed = project / "dbt_packages" / "dbt_armor"
    if not (project / "target" / "manifest.json").exists():
        assert h.run_dbt(project, ["parse"]).rc == 0
    assert sorted(p.name for p in installed.iterdir()) == ["dbt_project.yml", "macros"]
    manifest = json.loads((project / "target" / "manifest.json").read_text())
    ours = [m for m in manifest["macros"].values() if m["package_name"] == "dbt_armor"]
    names = {m["name"] for m in ours}
    assert {"results", "freshness", "require_fresh", "persist_results"} <= names
    assert not [n for n in manifest["nodes"].values() if n["package_name"] == "dbt_armor"]


def test_repo_root_package_pulls_in_only_macros(tmp_path: Path) -> None:
    proj = tmp_path / "consumer"
    (proj / "models").mkdir(parents=True)
    (proj / "dbt_project.yml").write_text(
        f"name: consumer\nversion: '1.0.0'\nconfig-version: 2\nprofile: {h.PROJECT}\n"
    )
    (proj / "profiles.yml").write_text(
        f"{h.PROJECT}:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
        f"      path: '{tmp_path / 'c.duckdb'}'\n"
    )
    (proj / "packages.yml").write_text(f"packages:\n  - local: {h.REPO_ROOT}\n")
    (proj / "models" / "m.sql").write_text("select 1 as id\n")

    assert h.run_dbt(proj, ["deps"]).rc == 0
    parse = h.run_dbt(proj, ["parse"])

    assert parse.rc == 0, parse.text()
    manifest = json.loads((proj / "target" / "manifest.json").read_text())
    ours = [m for m in manifest["macros"].values() if m["package_name"] == "dbt_armor"]
    assert ours and all(m["original_file_path"].startswith("macros/") for m in ours)
    foreign = [
        uid
        for section in ("nodes", "sources", "exposures", "seeds")
        for uid, node in manifest.get(section, {}).items()
        if node.get("package_name") == "dbt_armor"
    ]
    assert foreign == []
    assert os.path.realpath(proj / "dbt_packages" / "dbt_armor") == str(h.REPO_ROOT)


def test_results_written_by_the_wrapper_reach_the_macros(project: Path, emulator: Any) -> None:
    tables = ("orders", "customers", "not_gated")
    httpx.post(
        f"{emulator.url}/_emulator/assets",
        json={
            "data_source": "duckdb",
            "tables": [{"database": h.DATABASE, "schema": "raw", "name": n} for n in tables],
        },
    ).raise_for_status()
    for name, status, hours in (("orders", "stale", 30.0), ("customers", "fresh", 2.0)):
        httpx.post(
            f"{emulator.url}/_emulator/freshness",
            json={
                "qualified_name": f"duckdb.{h.DATABASE}.raw.{name}",
                "status": status,
                "hours_since_update": hours,
                "threshold_hours": 24.0,
                "last_updated": "2026-11-25T11:30:00Z",
            },
        ).raise_for_status()
    (project / "dbt_armor.yml").write_text(
        'data_sources:\n  "*": duckdb\nnaming:\n  case: preserve\ngate:\n  stale: error\n'
    )

    run = h.run_wrapper(
        project,
        ["run", "--on-fail", "skip", "--profiles-dir", str(project)],
        {"ARMOR_API_URL": f"{emulator.url}/api/v1", "ARMOR_API_KEY": DEFAULT_READWRITE_KEY},
    )

    assert run.rc == 0, run.output
    invocation, by_id = run_results(project)
    models = {uid for uid in by_id if uid.startswith("model.")}
    assert models == {f"{NODE}stg_customers"}  # every other model reads the blocked orders
    rows = persisted(project, invocation)
    assert rows[h.ORDERS_SOURCE][:6] == ("block", ORDERS_QN, "stale", "block", 30.0, 24.0)
    assert rows[h.CUSTOMERS_SOURCE][:6] == ("block", CUSTOMERS_QN, "fresh", "pass", 2.0, 24.0)
    assert rows[h.ORDERS_SOURCE][6] == datetime(2026, 11, 25, 11, 30)
    assert DEFAULT_READWRITE_KEY not in run.output


# Last in the module: each --vars value makes dbt parse the project again in full, and the
# runs above share one partial parse (no vars).
@pytest.mark.parametrize("setting", ["ignore", "warn", "error"])
def test_missing_results_follow_the_var(project: Path, setting: str) -> None:
    args = ["run", "--select", "stg_customers", "--vars", f"dbt_armor_missing_results: {setting}"]
    run = h.run_dbt(project, args, {})

    said = [m for m in run.messages() if "no gate results" in m]
    if setting == "ignore":
        assert run.rc == 0 and not said, run.text()
    elif setting == "warn":
        assert run.rc == 0, run.text()
        levels = {e["info"]["level"] for e in run.events if "no gate results" in e["info"]["msg"]}
        assert "warn" in levels
    else:
        assert run.rc == 2, run.text()
        assert "no gate results for on-run-start" in run.text()
        assert not [m for m in run.messages() if "START sql" in m]
