"""`dbt-armor emulator` as a real process: URL file, keys, manifest seeding, clean SIGTERM stop,
and one-line usage errors."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from emulator_helpers import small_manifest

KEY = "aa_live_cli_test_key_0000000000000000000"


def _start(tmp_path: Path, *args: str) -> tuple[subprocess.Popen[str], str]:
    url_file = tmp_path / "url.txt"
    proc = subprocess.Popen(
        [sys.executable, "-m", "dbt_armor", "emulator", "--url-file", str(url_file), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 20
    while not url_file.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "emulator did not start"
        time.sleep(0.05)
    return proc, url_file.read_text().strip()


def test_serves_seeded_manifest_and_stops_on_sigterm(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps(small_manifest()))
    proc, url = _start(
        tmp_path,
        "--manifest",
        str(manifest),
        "--data-source",
        "duck",
        "--key",
        f"{KEY}:read-only:growth",
        "--dialect",
        "sdk",
        "--check-interval",
        "0.2",
    )
    try:
        assert url.startswith("http://127.0.0.1:")
        h = {"Authorization": f"Bearer {KEY}"}
        r = httpx.get(url + "/api/v1/sdk/freshness/duck.wh.raw.orders", headers=h)
        assert r.status_code == 200 and r.headers["X-RateLimit-Limit"] == "500"
        assert r.json()["data"]["is_stale"] is False
        assert (
            httpx.post(
                url + "/api/v1/sdk/freshness/duck.wh.raw.orders/refresh", headers=h
            ).status_code
            == 403
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert KEY in out and "scope=read-only tier=growth" in out and "emulator stopped" in out
    assert "scheduled checks: every 0.2 s" in out and "Traceback" not in err
    assert not (tmp_path / "url.txt").exists()


def test_usage_errors_are_one_line(tmp_path: Path) -> None:
    for args in (
        ["--manifest", "x.json"],
        ["--key", "k:superuser"],
        ["--warehouse", str(tmp_path / "none.duckdb")],
        ["--warehouse", "mysql://u@127.0.0.1:1/db"],
        ["--warehouse", "postgresql://u:hunter2@127.0.0.1:1/db"],  # nothing listens on port 1
    ):
        res = subprocess.run(
            [sys.executable, "-m", "dbt_armor", "emulator", *args],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert res.returncode == 2, res.stderr
        assert "Traceback" not in res.stderr and len(res.stderr.strip().splitlines()) == 1
        assert "hunter2" not in res.stderr


def test_check_interval_must_be_positive() -> None:
    res = subprocess.run(
        [sys.executable, "-m", "dbt_armor", "emulator", "--check-interval", "0"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert "Invalid value for '--check-interval'" in res.stderr


def _start_json(tmp_path: Path, *args: str) -> tuple[subprocess.Popen[str], dict[str, object]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "dbt_armor", "emulator", "--format", "json", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    assert first, proc.communicate()
    return proc, json.loads(first)


def test_data_source_defaults_to_the_project_file_then_the_adapter(tmp_path: Path) -> None:
    from dbt_armor.project.naming import default_data_source

    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps(small_manifest()))
    project = tmp_path / "proj"
    project.mkdir()
    (project / "dbt_armor.yml").write_text("data_sources:\n  prod: duck_prod\n  '*': duck\n")
    cases = (
        (["--project-dir", str(project)], "duck"),
        (["--project-dir", str(project), "--target", "prod"], "duck_prod"),
        ([], default_data_source("duckdb")),  # no dbt_armor.yml in the working directory
    )
    for extra, expected in cases:
        proc, banner = _start_json(tmp_path, "--manifest", str(manifest), *extra)
        try:
            assert banner["schema_version"] == 1 and banner["command"] == "emulator"
            key = banner["keys"][0]["key"]  # type: ignore[index]
            h = {"Authorization": f"Bearer {key}"}
            api = str(banner["api_url"])
            r = httpx.get(f"{api}/sdk/freshness/{expected}.wh.raw.orders", headers=h)
            assert r.status_code == 200, (extra, r.text)
        finally:
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=20)
        assert proc.returncode == 0, err
        assert out == "" and "emulator stopped" in err  # JSON mode: one line on stdout
