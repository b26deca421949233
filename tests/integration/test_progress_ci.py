"""Progress when stdout is not a terminal: a real `dbt-armor sync apply` of a few hundred rules
against the emulator prints plain done/total lines on stderr (JSON alone on stdout)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

N_TESTS = 300
LINE = re.compile(r"^applying: (\d+)/(\d+) \((\d+)%\), [\d.]+/s(, ETA \S+( \S+)?|, done in .+)?$")


def _manifest(n_tests: int, per_model: int = 10) -> dict[str, Any]:
    """``n_tests`` not_null/unique tests over models of one DuckDB project."""
    nodes: dict[str, Any] = {}
    for m in range(n_tests // per_model):
        uid = f"model.big.m{m}"
        nodes[uid] = {"unique_id": uid, "resource_type": "model", "name": f"m{m}",
                      "package_name": "big", "database": "db", "schema": "main",
                      "alias": f"m{m}", "config": {"materialized": "table"}}  # fmt: skip
    for t in range(n_tests):
        m, c = divmod(t, per_model)
        name = ("not_null", "unique")[c % 2]
        uid = f"test.big.{name}_m{m}_c{c}.h{t}"
        nodes[uid] = {
            "unique_id": uid, "resource_type": "test", "name": f"{name}_m{m}_c{c}",
            "package_name": "big", "attached_node": f"model.big.m{m}", "column_name": f"c{c}",
            "depends_on": {"nodes": [f"model.big.m{m}"]},
            "config": {"severity": "ERROR", "warn_if": "!= 0", "error_if": "!= 0"},
            "test_metadata": {"name": name, "namespace": None,
                              "kwargs": {"column_name": f"c{c}", "model": "{{ ref('m') }}"}},
        }  # fmt: skip
    metadata = {
        "adapter_type": "duckdb",
        "project_name": "big",
        "dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json",
    }
    return {"metadata": metadata, "nodes": nodes, "sources": {}, "exposures": {}}


def test_sync_apply_prints_progress_lines_when_not_a_terminal(
    emulator: Any, tmp_path: Path, api_key: str
) -> None:
    emulator.app.state.add_data_source("warehouse")
    (tmp_path / "target").mkdir()
    (tmp_path / "target" / "manifest.json").write_text(json.dumps(_manifest(N_TESTS)))
    (tmp_path / "dbt_armor.yml").write_text(
        f"api_url: {emulator.url}/api/v1\nallow_http: true\ntier: enterprise\n"
        'data_sources:\n  "*": warehouse\n'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARMOR_")}
    env.update(ARMOR_API_KEY=api_key, ARMOR_PROGRESS_INTERVAL="0.05", HOME=str(tmp_path))
    dbt_armor = Path(sys.executable).with_name("dbt-armor")
    done = subprocess.run(
        [str(dbt_armor), "sync", "apply", "--project-dir", str(tmp_path), "--format", "json"],
        env=env, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)  # nothing but the document on stdout
    assert result["command"] == "sync apply" and result["created"] == N_TESTS
    lines = [line for line in done.stderr.splitlines() if line.startswith("applying")]
    assert len(lines) >= 3, done.stderr
    assert all(LINE.match(line) for line in lines), lines
    counts = [int(LINE.match(line).group(1)) for line in lines]  # type: ignore[union-attr]
    assert counts[0] == 0 and counts == sorted(counts)
    assert any(0 < c < N_TESTS for c in counts), lines
    assert lines[-1].startswith(f"applying: {N_TESTS}/{N_TESTS} (100%)")
    assert "done in" in lines[-1]
    assert api_key not in done.stdout + done.stderr
