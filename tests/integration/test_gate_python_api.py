"""``dbt_armor.gate()`` for orchestrators: on a manifest without dbt, with the target,
``max_age`` and ``deadline`` of the call, against the emulator."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from gate_project import control

import dbt_armor
from dbt_armor.api import ArmorClient
from dbt_armor.emulator import EmulatorServer
from dbt_armor.errors import ConfigError

FIXTURE = Path(__file__).parents[1] / "fixtures" / "manifests" / "integration_v12.json"


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "target").mkdir()
    shutil.copy(FIXTURE, tmp_path / "target" / "manifest.json")
    (tmp_path / "dbt_armor.yml").write_text('data_sources:\n  prod: warehouse\n  "*": sandbox\n')
    for name in ("DBT_TARGET", "DBT_PROJECT_DIR", "DBT_PROFILES_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_gate_on_a_manifest_with_target_max_age_and_deadline(
    project: Path, emulator: EmulatorServer, client: ArmorClient
) -> None:
    emulator.state.add_table("warehouse", "warehouse", "raw", "orders")
    body = {"qualified_name": "warehouse.warehouse.raw.orders", "status": "fresh"}
    control(emulator, "freshness", {**body, "hours_since_update": 20.0, "threshold_hours": 24})
    manifest = project / "target" / "manifest.json"
    common = {"select": "stg_orders", "manifest": manifest, "client": client, "deadline": 10}
    fresh = dbt_armor.gate(project, target="prod", **common)  # type: ignore[arg-type]
    assert (fresh.outcome.value, fresh.exit_code) == ("pass", 0)
    assert fresh.checked["target"] == {"value": "prod", "from": "flag"}
    assert set(fresh.checked["data_sources"]) == {"warehouse"}
    old = dbt_armor.gate(project, target="prod", max_age=12, **common)  # type: ignore[arg-type]
    assert (old.outcome.value, old.exit_code) == ("block", 3)
    with pytest.raises(dbt_armor.GateBlocked) as raised:
        dbt_armor.gate(project, target="prod", max_age=12, raise_on_block=True, **common)  # type: ignore[arg-type]
    assert raised.value.result.exit_code == 3
    # "*" maps to a data source the platform does not know -> exit 2, not a pass
    unknown = dbt_armor.gate(project, target="dev", **common)  # type: ignore[arg-type]
    assert (unknown.outcome.value, unknown.exit_code) == ("not_configured", 2)
    assert unknown.blocked
    # no way to tell the target (no profile) while data_sources differ per target: refuse
    with pytest.raises(ConfigError, match="pass --target"):
        dbt_armor.gate(project, **common)  # type: ignore[arg-type]
