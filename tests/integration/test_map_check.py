"""``dbt-armor map --check`` against the emulator: which names resolve and why the rest do not."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from dbt_armor.cli.map import command
from dbt_armor.emulator import EmulatorServer
from dbt_armor.errors import process_exit_code

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "manifests"


def _project(tmp_path: Path, emulator: EmulatorServer) -> Path:
    (tmp_path / "target").mkdir()
    shutil.copy(FIXTURES / "v11_snowflake.json", tmp_path / "target" / "manifest.json")
    (tmp_path / "dbt_armor.yml").write_text(
        f"api_url: {emulator.url}/api/v1\ndata_sources:\n  '*': wh\n"
    )
    return tmp_path


def _check(project: Path, api_key: str, *extra: str) -> tuple[int | None, str, Any]:
    args = ["--project-dir", str(project), "--check", *extra]
    env = {"HOME": str(project), "ARMOR_API_KEY": api_key, "ARMOR_API_URL": None}
    result = CliRunner().invoke(command, args, standalone_mode=False, env=env)
    code = None if result.return_value is None else process_exit_code(result.return_value)
    return code, result.output, result.exception


def test_check_explains_each_unresolved_name(
    emulator: EmulatorServer, api_key: str, tmp_path: Path
) -> None:
    project = _project(tmp_path, emulator)
    st = emulator.state
    st.add_table("wh", "ANALYTICS", "RAW", "ORDERS")  # resolves
    st.add_table("wh", "ANALYTICS", "RAW", "CUSTOMERS")  # dbt quotes "Customers": case
    st.add_table("wh", "ANALYTICS", "ANALYTICS_STAGING", "STG_ORDERS")  # custom schema
    st.add_table("model_ds", "ANALYTICS", "ANALYTICS", "STG_CUSTOMERS")  # dbt name, not alias
    st.add_table("wh", "ANALYTICS", "MARTS", "RPT_LEGACY_V")  # near match
    st.add_table("wh", "ANALYTICS", "SEEDS", "COUNTRY_CODES")  # resolves
    code, out, exc = _check(project, api_key, "--format", "json")
    assert exc is None, exc
    assert code == 1
    rows = {r["unique_id"]: r for r in json.loads(out)["names"]}
    cause = {uid: r["cause"] for uid, r in rows.items()}
    assert rows["source.shop.raw.orders"]["resolved"] is True
    assert rows["seed.shop.country_codes"]["resolved"] is True
    assert cause["source.shop.raw.customers"] == "case"
    assert rows["source.shop.raw.customers"]["candidate"] == "wh.ANALYTICS.RAW.CUSTOMERS"
    assert cause["source.shop.raw.payments"] == "missing_data_source"  # pay_ds has nothing
    assert cause["source.shop.legacy.events"] == "missing_data_source"
    assert cause["model.shop.stg_orders"] == "custom_schema"
    assert cause["model.shop.stg_customers"] == "alias"
    assert cause["model.shop.rpt_legacy"] == "near_match"
    assert cause["snapshot.shop.orders_snapshot"] == "not_found"


def test_check_passes_when_every_name_resolves(
    emulator: EmulatorServer, api_key: str, tmp_path: Path
) -> None:
    project = _project(tmp_path, emulator)
    st = emulator.state
    st.add_table("wh", "ANALYTICS", "RAW", "ORDERS")
    st.add_table("wh", "ANALYTICS", "RAW", "Customers")
    st.add_table("pay_ds", "ANALYTICS", "RAW", "PAYMENTS_V2")
    st.add_table("legacy_ds", "LEGACY", "PUBLIC", "events")
    code, out, exc = _check(project, api_key, "--select-resource-type", "sources")
    assert exc is None, exc
    assert code == 0
    assert "all resolve" in out
    # one listing per data source, not one request per name
    log = [r for r in emulator.app.request_log() if "assets" in r["path"]]
    assert 3 <= len(log) <= 6


def test_check_without_key_is_a_config_error(emulator: EmulatorServer, tmp_path: Path) -> None:
    project = _project(tmp_path, emulator)
    code, _, exc = _check(project, "")
    assert code is None  # the command raised instead of returning
    assert exc is not None and "ARMOR_API_KEY" in str(exc)
    assert emulator.app.request_log() == []  # nothing was sent without a key
