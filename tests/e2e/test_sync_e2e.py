"""End to end: sync integration_project's tests to the emulator, load a bad row into the
DuckDB warehouse, let the emulator check the rules, and see the gate block on validity."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from project_copy import DbtProject
from shop import serving

from dbt_armor.api import ArmorClient
from dbt_armor.cli.main import main
from dbt_armor.emulator import EmulatorServer
from dbt_armor.emulator.config import DEFAULT_READWRITE_KEY
from dbt_armor.gate.public import gate
from dbt_armor.sync.keys import parse_marker

pytestmark = pytest.mark.e2e


@pytest.fixture()
def broken(dbt_project: DbtProject, tmp_path: Path) -> Iterator[tuple[DbtProject, EmulatorServer]]:
    """A clone of the built project with one order missing its customer_id, and an emulator
    reading that warehouse."""
    project = dbt_project.clone(tmp_path / "shop")
    with duckdb.connect(str(project.db_path)) as con:
        con.execute(
            "UPDATE raw.orders SET customer_id = NULL WHERE id = (SELECT min(id) FROM raw.orders)"
        )
    with serving(project, project.db_path, seed=3) as server:
        yield project, server


def test_synced_rules_catch_a_bad_row_and_the_gate_blocks(
    broken: tuple[DbtProject, EmulatorServer], monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    project, server = broken
    monkeypatch.setenv("ARMOR_API_KEY", DEFAULT_READWRITE_KEY)
    monkeypatch.setenv("ARMOR_API_URL", server.url + "/api/v1")
    with pytest.raises(SystemExit) as exc:
        main(["sync", "apply", "--project-dir", str(project.path), "--target", "dev"])
    out, err = capsys.readouterr()
    assert exc.value.code == 0, err
    assert "created" in out
    with ArmorClient(api_key=DEFAULT_READWRITE_KEY, base_url=server.url + "/api/v1") as client:
        rules = {}
        for rule in client.validity.iter("warehouse"):
            marker = parse_marker(rule.description)
            assert marker is not None
            rules[marker.key] = rule
        key = "source.armor_shop.shop.orders:customer_id:not_null"
        assert key in rules, sorted(rules)
        result = client.validity.check("warehouse", rules[key].uuid)
        assert result.status == "fail" and result.invalid_count == 1
        ok_key = "source.armor_shop.shop.orders:id:not_null"
        assert client.validity.check("warehouse", rules[ok_key].uuid).status == "pass"
        assert client.validity.get("warehouse", rules[key].uuid).latest_status == "fail"
        # The gate blocks stg_orders on the failing critical rule, freshness aside.
        outcome = gate(
            project.path, select="stg_orders", target="dev", client=client,
            profiles_dir=project.profiles_dir,
            policy={"stale": "off", "unknown": "off", "not_monitored": "off", "disabled": "off"},
        )  # fmt: skip
        assert outcome.label == "block" and outcome.exit_code == 3
        blocked = outcome.decision.blocked
        assert [s.info.unique_id for s in blocked] == ["source.armor_shop.shop.orders"]
        assert {r.key for r in blocked[0].reasons} == {"validity_critical"}
    # A second sync changes nothing.
    with pytest.raises(SystemExit) as exc:
        main(["sync", "plan", "--project-dir", str(project.path), "--fail-on-changes"])
    assert exc.value.code == 0, capsys.readouterr()
