"""Each command decodes each manifest once: gate --manifest, sync plan, map, lineage publish.

(``ci``, two manifests, is in test_ci_pr.py.) Counts go through the one reader's decoder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from gate_project import cli, manifest_project

from dbt_armor.emulator import EmulatorServer


@pytest.fixture()
def project(
    emulator: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, api_key: str
) -> Path:
    monkeypatch.setenv("ARMOR_API_KEY", api_key)
    return manifest_project(tmp_path, emulator, config="naming:\n  case: preserve\n")


@pytest.mark.parametrize(
    "argv",
    [
        ["gate", "--manifest", "{m}", "--project-dir", "{p}", "--selector", "nightly"],
        ["gate", "--manifest", "{m}", "--project-dir", "{p}", "-s", "+fct_orders"],
        ["sync", "plan", "--project-dir", "{p}", "--select", "tag:staging"],
        ["map", "--project-dir", "{p}", "--format", "json"],
        ["lineage", "publish", "--project-dir", "{p}"],
    ],
    ids=lambda argv: " ".join(argv[:2]),
)
def test_one_decode_per_command(
    project: Path,
    argv: list[str],
    manifest_decodes: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    manifest = project / "target" / "manifest.json"
    args = [a.format(m=manifest, p=project) for a in argv]
    code, _, err = cli(capsys, *args)
    assert code == 0, err
    assert manifest_decodes.calls == 1
