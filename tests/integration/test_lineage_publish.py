"""`dbt-armor lineage publish` against the emulator: counts, skip/force, slim vs full, --wait."""

from __future__ import annotations

import io
import json
import shutil
import socket
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from rich.console import Console

from dbt_armor.api import ArmorClient
from dbt_armor.cli.main import main
from dbt_armor.config import Settings, resolve_settings
from dbt_armor.emulator import EmulatorServer
from dbt_armor.lineage import publish, publish_best_effort
from dbt_armor.lineage.state import STATE_FILE
from dbt_armor.project.manifest import load_manifest

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "manifests" / "integration_v12.json"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
UPLOAD = "/api/v1/assets/{}/lineage/upload"


def _settings(project: Path, url: str, key: str) -> Settings:
    return resolve_settings({}, {"ARMOR_API_KEY": key, "ARMOR_API_URL": url}, project, project)


@pytest.fixture()
def project(emulator: EmulatorServer, tmp_path: Path) -> Path:
    """A project dir holding integration_project's manifest, registered on the emulator."""
    (tmp_path / "target").mkdir()
    shutil.copy(FIXTURE, tmp_path / "target" / "manifest.json")
    (tmp_path / "dbt_armor.yml").write_text(
        'allow_http: true\ndata_sources:\n  "*": warehouse\nnaming:\n  case: preserve\n'
    )
    raw = json.loads(FIXTURE.read_text())
    r = httpx.post(emulator.url + "/_emulator/manifest?data_source=warehouse", json=raw)
    assert r.status_code == 200, r.text
    return tmp_path


@pytest.fixture()
def settings(project: Path, emulator: EmulatorServer, api_key: str) -> Settings:
    return _settings(project, emulator.api_url, api_key)


def _uploads(emulator: EmulatorServer) -> list[dict[str, Any]]:
    return [
        e
        for e in emulator.app.request_log()
        if e["method"] == "POST" and e["path"].endswith("/lineage/upload")
    ]


def _all_edges(client: ArmorClient, names: list[str]) -> set[tuple[str, str]]:
    """Every edge the platform reports around the given assets."""
    found: set[tuple[str, str]] = set()
    for qn in names:
        graph = client.lineage.get(qn, direction="both", depth=1)
        found.update((e.source, e.target) for e in graph.edges)
    return found


def test_publish_counts_skip_force_and_change(
    settings: Settings, project: Path, emulator: EmulatorServer, client: ArmorClient, api_key: str
) -> None:
    manifest = project / "target" / "manifest.json"
    first = publish(settings, manifest, now=NOW)
    assert first.action == "uploaded" and first.slim and first.data_source == "warehouse"
    listed = list(client.lineage.list(limit=500).items)
    stats = first.sync_stats
    assert stats["nodes_created"] == len(listed) > 10
    assert stats["edges_created"] >= first.edges - 5 and stats["edges_created"] > 10
    assert stats["nodes_updated"] == stats["edges_updated"] == 0
    assert len(_uploads(emulator)) == 1
    saved = (project / "target" / STATE_FILE).read_text()
    assert first.content_hash in saved and api_key not in saved

    second = publish(settings, manifest, now=NOW)
    assert second.action == "skipped" and second.bytes_sent == 0
    assert "upload skipped" in second.summary() and second.content_hash == first.content_hash
    assert len(_uploads(emulator)) == 1  # no request at all for the upload

    forced = publish(settings, manifest, force=True, now=NOW)
    assert forced.action == "uploaded" and len(_uploads(emulator)) == 2
    assert forced.sync_stats["nodes_unchanged"] == len(listed)
    assert forced.sync_stats["nodes_created"] == forced.sync_stats["edges_created"] == 0

    doc = json.loads(manifest.read_text())
    doc["metadata"]["generated_at"] = "2030-01-01T00:00:00Z"  # volatile: still unchanged
    manifest.write_text(json.dumps(doc))
    assert publish(settings, manifest, now=NOW).action == "skipped"
    model = dict(doc["nodes"]["model.armor_shop.dim_countries"])
    model.update(unique_id="model.armor_shop.dim_regions", name="dim_regions", alias="dim_regions")
    model["relation_name"] = model["relation_name"].replace("dim_countries", "dim_regions")
    model["depends_on"] = {"nodes": ["model.armor_shop.dim_countries"], "macros": []}
    doc["nodes"][model["unique_id"]] = model
    doc["parent_map"][model["unique_id"]] = ["model.armor_shop.dim_countries"]
    manifest.write_text(json.dumps(doc))
    changed = publish(settings, manifest, now=NOW)
    assert changed.action == "uploaded" and changed.content_hash != first.content_hash
    assert changed.sync_stats["nodes_created"] == 1 and changed.sync_stats["edges_created"] == 1
    assert len(_uploads(emulator)) == 3


def test_slim_and_full_uploads_give_the_same_lineage(
    settings: Settings, project: Path, emulator: EmulatorServer, client: ArmorClient
) -> None:
    manifest = project / "target" / "manifest.json"
    slim = publish(settings, manifest, now=NOW)
    names = sorted(i.qualified_name for i in client.lineage.list(limit=500).items)
    slim_edges = _all_edges(client, names)
    assert len(slim_edges) > 10

    emulator.app.reset()
    raw = json.loads(manifest.read_text())
    httpx.post(emulator.url + "/_emulator/manifest?data_source=warehouse", json=raw)
    full = publish(settings, manifest, slim=False, force=True, now=NOW)
    assert sorted(i.qualified_name for i in client.lineage.list(limit=500).items) == names
    assert _all_edges(client, names) == slim_edges
    assert full.sync_stats == slim.sync_stats
    assert slim.bytes_sent < full.bytes_sent and full.bytes_sent > full.manifest_bytes
    assert slim.content_hash == full.content_hash


def test_wait_polls_the_catalog_sync_job(
    settings: Settings, project: Path, emulator: EmulatorServer
) -> None:
    outcome = publish(settings, project / "target" / "manifest.json", wait=True, now=NOW)
    assert outcome.job_id and outcome.job_status == "completed"
    polls = [e for e in emulator.app.request_log() if e["path"].endswith(outcome.job_id)]
    assert len(polls) >= 2  # the emulator answers "running" first
    assert f"catalog sync job {outcome.job_id} completed" in outcome.summary()

    no_sync = publish(
        settings, project / "target" / "manifest.json", force=True, sync_to_catalog=False
    )
    assert no_sync.job_id is None and no_sync.job_status is None


def test_best_effort_with_the_platform_down_is_one_warning(project: Path, api_key: str) -> None:
    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = _settings(project, f"http://127.0.0.1:{port}/api/v1", api_key)
    out = io.StringIO()
    console = Console(file=out, width=200, color_system=None)
    started = datetime.now(timezone.utc)
    publish_best_effort(settings, project / "target" / "manifest.json", None, console)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dbt-armor: warning: lineage not published")
    assert api_key not in out.getvalue() and "Traceback" not in out.getvalue()
    assert (datetime.now(timezone.utc) - started).total_seconds() < 10
    assert not (project / "target" / STATE_FILE).exists()


def test_best_effort_missing_manifest_is_one_warning(settings: Settings, tmp_path: Path) -> None:
    out = io.StringIO()
    publish_best_effort(settings, tmp_path / "nope.json", None, Console(file=out, width=200))
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 1 and "manifest not found" in lines[0] and "dbt parse" in lines[0]


def test_cli_publish_json_then_skip(
    project: Path,
    emulator: EmulatorServer,
    api_key: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("ARMOR_API_KEY", api_key)
    args = ["lineage", "publish", "--project-dir", str(project), "--api-url", emulator.api_url]
    with pytest.raises(SystemExit) as exc:
        main([*args, "--json", "--full"])
    out, err = capsys.readouterr()
    assert exc.value.code in (0, None), err
    doc = json.loads(out)
    assert doc["action"] == "uploaded" and doc["slim"] is False and doc["sync_stats"]
    with pytest.raises(SystemExit) as exc:
        main(args)
    out, err = capsys.readouterr()
    assert exc.value.code in (0, None) and "upload skipped" in out
    assert api_key not in out + err
    with pytest.raises(SystemExit) as exc:
        main([*args, "--data-source", "no_such_source", "--force"])
    out, err = capsys.readouterr()
    assert exc.value.code == 2 and "no_such_source" in err and "Traceback" not in err


def test_each_cli_publish_decodes_the_manifest_once(
    project: Path,
    emulator: EmulatorServer,
    api_key: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    manifest_decodes: Any,
) -> None:
    monkeypatch.setenv("ARMOR_API_KEY", api_key)
    args = ["lineage", "publish", "--project-dir", str(project), "--api-url", emulator.api_url]
    for extra in (["--force"], ["--full", "--force"], []):
        before = manifest_decodes.calls
        with pytest.raises(SystemExit) as exc:
            main([*args, *extra])
        assert exc.value.code in (0, None), capsys.readouterr().err
        assert manifest_decodes.calls - before == 1, extra


def test_publish_reuses_an_already_decoded_manifest(
    settings: Settings, project: Path, manifest_decodes: Any
) -> None:
    path = project / "target" / "manifest.json"
    decoded = load_manifest(path)  # what the wrapper's gate already holds
    fresh = publish(settings, path, now=NOW)
    assert manifest_decodes.calls == 2
    for slim in (True, False):
        again = publish(settings, path, now=NOW, manifest=decoded, slim=slim, force=True)
        assert again.action == "uploaded" and again.content_hash == fresh.content_hash
        assert again.manifest_bytes == fresh.manifest_bytes == path.stat().st_size
    out = io.StringIO()
    publish_best_effort(settings, path, None, Console(file=out, width=200), manifest=decoded)
    assert "upload skipped" in out.getvalue()
    assert manifest_decodes.calls == 2  # no decode after the two above
