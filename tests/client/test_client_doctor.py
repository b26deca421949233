"""``dbt-armor doctor`` against a real loopback HTTP server: config, reachability, scope, exits."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from dbt_armor.cli.doctor import command, dbt_engine
from dbt_armor.errors import process_exit_code

KEY = "aa_test_doctordoctordoctordoctordoctor9876"


class _Handler(BaseHTTPRequestHandler):
    seen: list[tuple[str, str, str | None]] = []

    def do_GET(self) -> None:
        self.seen.append(("GET", self.path, self.headers.get("Authorization")))
        if self.headers.get("Authorization") != f"Bearer {KEY}":
            self._send(401, {"error": {"code": "UNAUTHORIZED", "message": "Invalid API key"}})
        elif self.path == "/api/v1/sdk/freshness/summary":
            self._send(200, {"data": {"total_assets": 4, "fresh": 4}})
        elif self.path == "/api/v1/api-keys/usage":
            self._send(
                200, {"data": {"rate_limit_per_min": 500, "burst_limit": 25, "scope": "read-only"}}
            )
        else:
            self._send(404, {"error": {"code": "NOT_FOUND", "message": "no route"}})

    def do_POST(self) -> None:
        self.seen.append(("POST", self.path, None))
        self._send(405, {})

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-RateLimit-Limit", "500")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _run(args: list[str], env: dict[str, str], home: Path) -> tuple[int, str]:
    runner = CliRunner()
    full_env = {
        "HOME": str(home),
        "ARMOR_API_KEY": None,
        "ARMOR_API_URL": None,
        "ARMOR_TIER": None,
        "ARMOR_TIMEOUT": None,
        **env,
    }
    result = runner.invoke(
        command, args, env=full_env, standalone_mode=False, catch_exceptions=False
    )
    return process_exit_code(result.return_value), result.output


def test_healthy_setup_reports_everything_and_only_reads(server: str, tmp_path: Path) -> None:
    _Handler.seen.clear()
    code, out = _run(
        ["--format", "json", "--project-dir", str(tmp_path)],
        {"ARMOR_API_KEY": KEY, "ARMOR_API_URL": server},
        tmp_path,
    )
    assert code == 0
    report = json.loads(out)
    rows = {r["name"]: r for r in report["config"]}
    assert (
        rows["api_key"]["value"] == "aa_test_…9876"
        and rows["api_key"]["source"] == "env ARMOR_API_KEY"
    )
    assert rows["api_url"]["value"] == server + "/api/v1"
    assert report["platform"]["reachable"] == "yes" and report["platform"]["assets"] == 4
    assert report["platform"]["scope"] == "read-only"
    assert report["platform"]["rate_limit"] == "500/min, burst 25/s"
    assert report["problems"] == []
    assert KEY not in out
    assert {m for m, _, _ in _Handler.seen} == {"GET"}


def test_text_output_has_table_and_masks_key(server: str, tmp_path: Path) -> None:
    code, out = _run(
        ["--project-dir", str(tmp_path), "--api-url", server], {"ARMOR_API_KEY": KEY}, tmp_path
    )
    assert code == 0
    assert "dbt-armor doctor" in out and "aa_test_…9876" in out and KEY not in out
    assert "flag" in out  # --api-url provenance


def test_wrong_key_exits_2(server: str, tmp_path: Path) -> None:
    code, out = _run(
        ["--format", "json"],
        {"ARMOR_API_KEY": "aa_test_wrongwrongwrongwrongwrong", "ARMOR_API_URL": server},
        tmp_path,
    )
    assert code == 2
    assert "ARMOR_API_KEY" in json.loads(out)["problems"][0]


def test_unreachable_exits_4(tmp_path: Path) -> None:
    code, out = _run(
        ["--format", "json"],
        {"ARMOR_API_KEY": KEY, "ARMOR_API_URL": "http://127.0.0.1:9"},
        tmp_path,
    )
    assert code == 4
    assert json.loads(out)["platform"]["reachable"] == "no"


def test_bad_project_file_exits_2_with_the_fix(tmp_path: Path) -> None:
    (tmp_path / "dbt_armor.yml").write_text("apiurl: x\n")
    code, out = _run(
        ["--format", "json", "--project-dir", str(tmp_path)], {"ARMOR_API_KEY": KEY}, tmp_path
    )
    assert code == 2
    problem = json.loads(out)["problems"][0]
    assert "'apiurl'" in problem and "allowed keys" in problem


def test_empty_key_env_exits_2(tmp_path: Path) -> None:
    code, out = _run(["--format", "json"], {"ARMOR_API_KEY": ""}, tmp_path)
    assert code == 2
    assert "set but empty" in json.loads(out)["problems"][0]


def test_dbt_engine_is_found_without_importing_dbt() -> None:
    import sys

    already = "dbt" in sys.modules
    info = dbt_engine()
    assert info["ok"] == "yes" and "dbt" in info["engine"]
    assert ("dbt" in sys.modules) == already
