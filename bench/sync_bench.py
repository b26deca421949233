"""Sync: planning CPU for 20,000 tests against 20,000 existing rules, and apply throughput
against the emulator under a client-side rate limit.

Planning baseline = decoding the same remote rules from JSON into models (the API-read side).
Apply baseline = the rate-limit bound, (changes - burst) / rate; goal: ratio <= 1.5.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from dbt_armor.api.models import ValidityRule
from dbt_armor.project import decode_manifest
from dbt_armor.sync.plan import build_plan
from dbt_armor.sync.remote import item_from_rule
from dbt_armor.sync.request_bodies import create_payload
from dbt_armor.sync.specs import RemoteState
from dbt_armor.sync.translate import translate

TESTS = ("not_null", "unique")


@dataclass(frozen=True)
class _QN:
    data_source: str
    table_path: str


def synth_manifest(n_tests: int, per_model: int = 10) -> bytes:
    """``n_tests`` generic tests spread over models, ``per_model`` per model."""
    nodes: dict[str, Any] = {}
    n_models = max(1, n_tests // per_model)
    for m in range(n_models):
        uid = f"model.big.m{m}"
        nodes[uid] = {"unique_id": uid, "resource_type": "model", "name": f"m{m}",
                      "package_name": "big", "database": "db", "schema": "main",
                      "alias": f"m{m}", "config": {"materialized": "table"}}  # fmt: skip
    for t in range(n_tests):
        m, c = divmod(t, per_model)
        model = f"model.big.m{m % n_models}"
        name = TESTS[c % 2]
        uid = f"test.big.{name}_m{m}_c{c}.h{t}"
        nodes[uid] = {
            "unique_id": uid, "resource_type": "test", "name": f"{name}_m{m}_c{c}",
            "package_name": "big", "attached_node": model, "column_name": f"c{c}",
            "depends_on": {"nodes": [model]},
            "config": {"severity": "ERROR", "warn_if": "!= 0", "error_if": "!= 0"},
            "test_metadata": {"name": name, "namespace": None,
                              "kwargs": {"column_name": f"c{c}", "model": "{{ ref('m') }}"}},
        }  # fmt: skip
    meta = {
        "adapter_type": "duckdb",
        "project_name": "big",
        "dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json",
    }
    doc = {"metadata": meta, "nodes": nodes,
           "sources": {}, "exposures": {}}  # fmt: skip
    return json.dumps(doc).encode()


def bench_plan(n: int) -> list[dict[str, Any]]:
    manifest = decode_manifest(synth_manifest(n))

    def resolve(uid: str) -> _QN:
        return _QN("warehouse", f"db.main.{uid.rsplit('.', 1)[-1]}")

    t0 = time.process_time()
    translation = translate(manifest, resolve)
    t_translate = time.process_time() - t0
    # The remote already holds every rule, as the API would list it (one JSON document).
    raw = json.dumps(
        [{**create_payload(s, "upper"), "uuid": f"r{i}"} for i, s in enumerate(translation.specs)]
    )
    t0 = time.process_time()
    rules = [ValidityRule.model_validate(r) for r in json.loads(raw)]
    t_read = time.process_time() - t0
    t0 = time.process_time()
    remote = RemoteState(tuple(item_from_rule(r, "warehouse") for r in rules), ("warehouse",))
    plan = build_plan(translation, remote, dialect="upper", now=_now())
    t_diff = time.process_time() - t0
    assert not plan.has_changes, "synthetic remote should already match"
    total = t_translate + t_diff
    row = {"benchmark": "sync", "unit": "s CPU", "baseline": round(t_read, 3)}
    return [
        {**row, "case": f"translate {n} tests", "value": round(t_translate, 3),
         "ratio": round(t_translate / t_read, 2)},
        {**row, "case": f"diff vs {n} rules", "value": round(t_diff, 3),
         "ratio": round(t_diff / t_read, 2)},
        {**row, "case": f"plan total (goal < 2 s) for {n}", "value": round(total, 3),
         "ratio": round(total / t_read, 2)},
    ]  # fmt: skip


def _now() -> Any:
    from datetime import datetime, timezone

    return datetime(2026, 1, 1, tzinfo=timezone.utc)


def bench_apply(n: int, rate: int, burst: int) -> list[dict[str, Any]]:
    """Create ``n`` rules through the real client (paced at ``rate``/min) on the emulator."""
    from dbt_armor.api import ArmorClient
    from dbt_armor.emulator import EmulatorConfig, EmulatorServer
    from dbt_armor.emulator.config import DEFAULT_READWRITE_KEY
    from dbt_armor.sync.service import apply_plan, make_plan

    manifest = decode_manifest(synth_manifest(n))
    server = EmulatorServer(EmulatorConfig(port=0, dialect="seed", seed=1)).start()
    try:
        server.app.state.add_data_source("warehouse")

        def resolve(uid: str) -> _QN:
            return _QN("warehouse", f"db.main.{uid.rsplit('.', 1)[-1]}")

        with ArmorClient(api_key=DEFAULT_READWRITE_KEY, base_url=server.url + "/api/v1",
                         rate_limit_per_min=rate, burst=burst) as client:  # fmt: skip
            plan = make_plan(client, manifest, resolve, dialect="upper", now=_now())
            before = client.stats.requests
            t0 = time.perf_counter()
            apply_plan(client, plan, prune=False, saved=False, workers=6)
            elapsed = time.perf_counter() - t0
            sent = client.stats.requests - before
            retries = client.stats.retries
    finally:
        server.stop()
    bound = max(0, sent - burst) / (rate / 60.0)
    return [
        {"benchmark": "sync", "case": f"apply {n} creates at {rate}/min (retries {retries})",
         "value": round(elapsed, 2), "unit": "s", "baseline": round(bound, 2),
         "ratio": round(elapsed / bound, 2) if bound else None},
    ]  # fmt: skip


def run(quick: bool = False) -> list[dict[str, Any]]:
    rows = bench_plan(2_000 if quick else 20_000)
    rows += bench_apply(300, 3_000, 50) if quick else bench_apply(5_000, 5_000, 100)
    return rows


if __name__ == "__main__":
    import sys

    for r in run(quick="--quick" in sys.argv):
        print(r)
