"""``dbt-armor freshness --write-sources`` against the emulator on a hand-made manifest: what is
written, what is omitted, selection, and failing closed (nothing written) when the platform is
down. dbt is not run (``--manifest``); dbt's own artifact class reads the result.
"""

from __future__ import annotations

import json
import socket
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from gate_project import manifest_doc, register, set_freshness

from dbt_armor.cli.main import cli
from dbt_armor.emulator import EmulatorServer

TABLES = ["orders", "customers", "payments"]


@pytest.fixture()
def project(tmp_path: Path, emulator: EmulatorServer) -> Path:
    (tmp_path / "dbt_armor.yml").write_text("data_sources:\n  '*': warehouse\n")
    (tmp_path / "target").mkdir()
    doc = manifest_doc(TABLES)
    doc["sources"]["source.shop.raw.orders"]["freshness"] = {
        "warn_after": {"count": 1, "period": "hour"},
        "error_after": {"count": 3, "period": "hour"},
    }
    (tmp_path / "target" / "manifest.json").write_text(json.dumps(doc))
    register(emulator, ["orders", "customers"])  # payments is not monitored
    set_freshness(emulator, "orders", "fresh", 2.0)
    set_freshness(emulator, "customers", "stale", 30.0)
    return tmp_path


def _freshness(project: Path, url: str, key: str, *args: str) -> Result:
    argv = ["freshness", "--manifest", str(project / "target" / "manifest.json"), *args]
    argv += ["--project-dir", str(project)]
    return CliRunner().invoke(
        cli, argv, env={"ARMOR_API_KEY": key, "ARMOR_API_URL": url}, catch_exceptions=False
    )


def test_writes_what_the_platform_knows_and_dbt_reads_it(
    project: Path, emulator: EmulatorServer, api_key: str
) -> None:
    before = datetime.now(timezone.utc)
    done = _freshness(project, emulator.api_url, api_key, "--write-sources")
    assert done.exit_code == 0, done.output
    out = project / "target" / "sources.json"
    doc = json.loads(out.read_text())
    by_id = {r["unique_id"]: r for r in doc["results"]}
    assert set(by_id) == {"source.shop.raw.orders", "source.shop.raw.customers"}
    assert by_id["source.shop.raw.orders"]["status"] == "warn"  # 2 h: dbt's own 1 h / 3 h rule
    assert by_id["source.shop.raw.customers"]["status"] == "error"  # no dbt rule: platform stale
    loaded = datetime.fromisoformat(by_id["source.shop.raw.orders"]["max_loaded_at"])
    assert abs((before - loaded).total_seconds() - 7200) < 120
    assert "payments" in done.output and "0 warehouse queries" in " ".join(done.output.split())
    schemas = pytest.importorskip("dbt.artifacts.schemas.freshness")
    read = schemas.FreshnessExecutionResultArtifact.read_and_check_versions(str(out))
    assert len(read.results) == 2


def test_select_and_json_without_writing(
    project: Path, emulator: EmulatorServer, api_key: str
) -> None:
    done = _freshness(project, emulator.api_url, api_key, "--select", "source:raw.orders")
    assert done.exit_code == 0, done.output
    assert not (project / "target" / "sources.json").exists()
    done = _freshness(
        project, emulator.api_url, api_key, "-s", "source:raw.orders", "--format", "json"
    )
    payload = json.loads(done.output)
    assert [r["unique_id"] for r in payload["results"]] == ["source.shop.raw.orders"]
    assert payload["warehouse_queries"] == 0 and payload["written_to"] is None


def _main_exit(project: Path, monkeypatch: pytest.MonkeyPatch, **env: str) -> object:
    from dbt_armor.cli.main import main

    for name in ("ARMOR_API_KEY", "ARMOR_API_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    manifest = str(project / "target" / "manifest.json")
    with pytest.raises(SystemExit) as exc:
        main(["freshness", "--write-sources", "--manifest", manifest, "--deadline", "5",
              "--project-dir", str(project)])  # fmt: skip
    return exc.value.code


def test_platform_down_exits_4_and_writes_nothing(
    project: Path, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/api/v1"
    code = _main_exit(project, monkeypatch, ARMOR_API_KEY=api_key, ARMOR_API_URL=url,
                      ARMOR_TIMEOUT="1")  # fmt: skip
    assert code == 4
    assert not (project / "target" / "sources.json").exists()


def test_missing_key_is_a_usage_error(
    project: Path, emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(project))  # no ~/.armor/config.yaml with a key
    assert _main_exit(project, monkeypatch, ARMOR_API_URL=emulator.api_url) == 2
    assert not (project / "target" / "sources.json").exists()
