"""``dbt-armor map`` without the platform: table and JSON output, errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from dbt_armor.cli.map import command
from dbt_armor.errors import ManifestError, process_exit_code
from dbt_armor.project import manifest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "manifests"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "target").mkdir()
    shutil.copy(FIXTURES / "v11_snowflake.json", tmp_path / "target" / "manifest.json")
    (tmp_path / "dbt_armor.yml").write_text('data_sources:\n  prod: wh_prod\n  "*": wh\n')
    return tmp_path


def _run(args: list[str], home: Path) -> tuple[int, str, BaseException | None]:
    runner = CliRunner()
    env = {"HOME": str(home), "ARMOR_API_KEY": None, "ARMOR_API_URL": None}
    result = runner.invoke(command, args, standalone_mode=False, env=env)
    return process_exit_code(result.return_value), result.output, result.exception


def test_json_output_is_a_stable_sorted_list(project: Path) -> None:
    code, out, exc = _run(["--project-dir", str(project), "--format", "json"], project)
    assert exc is None and code == 0
    rows = json.loads(out)["names"]
    assert [r["unique_id"] for r in rows] == sorted(r["unique_id"] for r in rows)
    by_id = {r["unique_id"]: r for r in rows}
    assert by_id["source.shop.raw.orders"]["qualified_name"] == "wh.ANALYTICS.RAW.ORDERS"
    assert by_id["source.shop.raw.orders"]["kind"] == "source"
    assert by_id["model.shop.stg_customers"]["identifier"] == "CUSTOMERS_CLEAN"
    assert "model.shop.int_joined" not in by_id  # ephemeral
    assert not any(uid.startswith("test.") for uid in by_id)
    assert set(rows[0]) == {
        "unique_id", "kind", "qualified_name", "data_source", "database", "schema", "identifier"
    }  # fmt: skip


def test_target_sources_only_and_case(project: Path) -> None:
    args = ["--project-dir", str(project), "--format", "json", "--target", "prod"]
    args += ["--select-resource-type", "sources", "--case", "lower"]
    code, out, _ = _run(args, project)
    rows = json.loads(out)["names"]
    assert code == 0 and {r["kind"] for r in rows} == {"source"}
    names = {r["unique_id"]: r["qualified_name"] for r in rows}
    assert names["source.shop.raw.orders"] == "wh_prod.analytics.raw.orders"


def test_naming_case_from_project_file(project: Path) -> None:
    (project / "dbt_armor.yml").write_text("naming:\n  case: preserve\n")
    code, out, _ = _run(["--project-dir", str(project), "--format", "json"], project)
    names = {r["unique_id"]: r["qualified_name"] for r in json.loads(out)["names"]}
    assert code == 0 and names["source.shop.raw.orders"] == "snowflake.analytics.raw.orders"


def test_table_output(project: Path) -> None:
    code, out, _ = _run(["--project-dir", str(project)], project)
    assert code == 0
    assert "wh.ANALYTICS.MARTS.Fct_Orders" in out
    assert "legacy_ds.LEGACY.PUBLIC.events" in out
    assert "10 names" in out


def test_manifest_option_and_missing_manifest(project: Path, tmp_path: Path) -> None:
    code, out, _ = _run(
        ["--manifest", str(FIXTURES / "v10_postgres.json"), "--format", "json"], tmp_path
    )
    assert code == 0 and "postgresql.analytics.raw.orders" in out
    code, _, exc = _run(["--project-dir", str(tmp_path / "none")], tmp_path)
    assert isinstance(exc, ManifestError) and "dbt parse" in str(exc)


def test_future_manifest_warns_on_stderr(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the warning is said once per process: another test may have read a v13 manifest already
    monkeypatch.setattr(manifest, "_SAID", set())
    args = ["--manifest", str(FIXTURES / "future_v13.json"), "--format", "json"]
    runner = CliRunner()
    result = runner.invoke(command, args, standalone_mode=False, env={"HOME": str(project)})
    assert process_exit_code(result.return_value) == 0
    assert "v13" in result.stderr
    json.loads(result.stdout)
