"""The orchestrators' one gate adapter (``dbt_armor.integrations._gate``) against the emulator:
a manifest path or dict, a selection by unique_ids or select/exclude, and the CLI's verdict."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gate_project import NOW, manifest_doc, model_id, register, set_freshness, source_id

from dbt_armor.config import Settings
from dbt_armor.emulator import EmulatorServer
from dbt_armor.errors import ExitCode, UsageError
from dbt_armor.integrations._gate import gate_on_manifest

TABLES = ("orders", "payments")
SETTINGS = Settings(data_sources={"*": "warehouse"})


@pytest.fixture()
def doc(emulator: EmulatorServer) -> dict[str, object]:
    register(emulator, TABLES)
    set_freshness(emulator, "orders", "stale", 40)
    set_freshness(emulator, "payments", "fresh", 1)
    return manifest_doc(TABLES)


def test_a_dict_manifest_and_unique_ids_block_like_the_cli(
    doc: dict[str, object], client: object, tmp_path: Path
) -> None:
    result = gate_on_manifest(
        doc, nodes=[model_id("orders")], settings=SETTINGS, client=client,
        target_dir=tmp_path, now=lambda: NOW,
    )  # fmt: skip
    assert result.exit_code == ExitCode.BLOCKED and result.label == "block"
    assert [d.info.unique_id for d in result.decision.blocked] == [source_id("orders")]
    written = json.loads((tmp_path / "armor_gate.json").read_text())
    assert written["decision"] == "block" and written["exit_code"] == 3


def test_select_and_exclude_on_a_manifest_file(
    doc: dict[str, object], client: object, tmp_path: Path
) -> None:
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(doc))
    result = gate_on_manifest(
        path, select=["stg_payments"], settings=SETTINGS, client=client, now=lambda: NOW
    )
    assert result.exit_code == ExitCode.OK
    assert [d.info.unique_id for d in result.decision.sources] == [source_id("payments")]
    assert (tmp_path / "armor_gate.json").is_file()  # next to the manifest
    everything_but = gate_on_manifest(
        path, exclude=["stg_orders"], settings=SETTINGS, client=client, write=False
    )
    assert everything_but.selected == frozenset({model_id("payments")})


def test_skip_mode_leaves_out_only_what_a_blocked_source_feeds(
    doc: dict[str, object], client: object
) -> None:
    result = gate_on_manifest(
        doc, settings=SETTINGS, client=client, mode="skip", write=False, now=lambda: NOW
    )
    assert result.exit_code == ExitCode.OK
    assert result.skipped == [model_id("orders")]
    assert result.skipped_selectors == ["shop.staging.stg_orders"]


def test_a_selector_dbt_alone_can_evaluate_is_a_usage_error(
    doc: dict[str, object], client: object
) -> None:
    with pytest.raises(UsageError):
        gate_on_manifest(doc, select=["state:modified"], settings=SETTINGS, client=client)
