"""Two `sync apply` runs at once (each with its own client) against one emulator converge:
no duplicate rules, checks or schedules, a fresh plan has nothing left to do, and the counts
the two runs print add up to what is on the platform."""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from dbt_armor.api import ArmorClient
from dbt_armor.errors import ArmorError
from dbt_armor.project import Manifest, NameResolver, load_manifest
from dbt_armor.sync.keys import parse_marker
from dbt_armor.sync.plan import Plan
from dbt_armor.sync.render import result_line
from dbt_armor.sync.service import apply_plan, make_plan
from dbt_armor.sync.specs import Action

SUMMARY = re.compile(r"Applied: (\d+) created, .*, (\d+) reconciled, (\d+) cleaned up")
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "manifests" / "sync_catalogue.json"
NOW = datetime(2026, 11, 25, 13, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def manifest() -> Manifest:
    return load_manifest(FIXTURE)


def _plan(client: ArmorClient, manifest: Manifest) -> Plan:
    resolver = NameResolver(manifest, target="dev", data_sources={"*": "warehouse"})
    return make_plan(client, manifest, resolver.resolve, dialect="upper", now=NOW)


def _client(emulator: Any, api_key: str) -> ArmorClient:
    return ArmorClient(api_key, emulator.api_url, timeout=10, retry_budget=30)


def _remote_keys(client: ArmorClient) -> Counter[str]:
    keys: Counter[str] = Counter()
    for rule in client.validity.iter("warehouse"):
        marker = parse_marker(rule.description)
        if marker is not None:
            keys[marker.key] += 1
    for check in client.referential.iter("warehouse"):
        marker = parse_marker(check.description)
        if marker is not None:
            keys[marker.key] += 1
    for sched in client.freshness.iter_schedules(asset_id="warehouse"):
        keys["schedule:" + sched.table_path.lower()] += 1
    return keys


def _race(
    clients: list[ArmorClient], plans: list[Plan], printed: list[str] | None = None
) -> list[BaseException]:
    """Apply both plans at the same moment from two threads; return their errors. ``printed``
    collects each run's summary line as the CLI prints it."""
    barrier = threading.Barrier(len(clients))
    errors: list[BaseException] = []

    def run(client: ArmorClient, plan: Plan) -> None:
        barrier.wait()
        try:
            result = apply_plan(client, plan, prune=False, saved=False)
        except ArmorError as exc:
            errors.append(exc)
            return
        if printed is not None:
            printed.append(result_line(result, 0.0, client.stats.requests))

    threads = [threading.Thread(target=run, args=p) for p in zip(clients, plans, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return errors


@pytest.mark.parametrize("round_", range(3))
def test_two_concurrent_applies_converge_without_duplicates(
    emulator: Any, api_key: str, manifest: Manifest, round_: int
) -> None:
    raw = json.loads(FIXTURE.read_text())
    resp = httpx.post(emulator.url + "/_emulator/manifest?data_source=warehouse", json=raw)
    assert resp.status_code < 300, resp.text
    clients = [_client(emulator, api_key) for _ in range(2)]
    plans = [_plan(c, manifest) for c in clients]  # both see the empty platform
    wanted = plans[0].counts()["create"]
    assert wanted > 20 and plans[1].counts()["create"] == wanted
    # Both runs check the live state before writing; delaying each run's first write a little
    # lets both checks see the empty platform, so the two really create the same rules.
    delay = {"match": "POST /api/v1/*", "latency_ms": 300, "count": 2}
    assert httpx.post(emulator.url + "/_emulator/faults", json=delay).status_code < 300
    printed: list[str] = []
    assert not _race(clients, plans, printed)
    counts = [re.search(SUMMARY, line) for line in printed]
    assert all(counts), printed
    created = sum(int(m.group(1)) + int(m.group(2)) for m in counts if m)
    cleaned = sum(int(m.group(3)) for m in counts if m)
    assert created > wanted  # both runs made copies: a real race
    with _client(emulator, api_key) as checker:
        keys = _remote_keys(checker)
        assert {k: n for k, n in keys.items() if n > 1} == {}
        assert len(keys) == wanted
        assert created - cleaned == sum(keys.values()), printed  # the summaries add up
        after = _plan(checker, manifest)
        pending = [c.key for c in after.changes if c.action is not Action.UNCHANGED]
        assert pending == []
    for c in clients:
        c.close()
