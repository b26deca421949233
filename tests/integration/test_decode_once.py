"""Each command decodes each manifest once: gate --manifest, sync plan, map, lineage publish.

(``ci``, two manifests, is in test_ci_pr.py.) Counts go through the one reader's decoder.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from dbt_armor.cli.main import main
from dbt_armor.emulator import EmulatorServer

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "manifests" / "integration_v12.json"


@pytest.fixture()
def project(
    emulator: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, api_key: str
) -> Path:
    (tmp_path / "target").mkdir()
    shutil.copy(FIXTURE, tmp_path / "target" / "manifest.json")
    (tmp_path / "dbt_armor.yml").write_text(
        f"api_url: {emulator.api_url}\nallow_http: true\n"
        'data_sources:\n  "*": warehouse\nnaming:\n  case: preserve\n'
    )
    raw = json.loads(FIXTURE.read_text())
    r = httpx.post(emulator.url + "/_emulator/manifest?data_source=warehouse", json=raw)
    assert r.status_code == 200, r.text
    monkeypatch.setenv("ARMOR_API_KEY", api_key)
    return tmp_path


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
    with pytest.raises(SystemExit) as exc:
        main(args)
    err = capsys.readouterr().err
    assert exc.value.code in (0, None), err
    assert manifest_decodes.calls == 1
