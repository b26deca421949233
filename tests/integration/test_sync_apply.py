"""sync plan/apply against the emulator: convergence, prune, stale plans, ownership, faults."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from dbt_armor.api import ArmorClient
from dbt_armor.api.models import ValidityRuleCreate
from dbt_armor.errors import PlanError
from dbt_armor.project import Manifest, NameResolver, load_manifest
from dbt_armor.sync import planio
from dbt_armor.sync.model import Action
from dbt_armor.sync.plan import Plan
from dbt_armor.sync.service import apply_plan, make_plan

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "manifests" / "sync_catalogue.json"
NOW = datetime(2026, 11, 25, 13, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def manifest() -> Manifest:
    return load_manifest(FIXTURE)


@pytest.fixture()
def registered(emulator: Any, manifest: Manifest) -> Any:
    raw = json.loads(FIXTURE.read_text())
    resp = httpx.post(emulator.url + "/_emulator/manifest?data_source=warehouse", json=raw)
    assert resp.status_code < 300, resp.text
    return emulator


def plan(client: ArmorClient, manifest: Manifest, **kw: Any) -> Plan:
    resolver = NameResolver(manifest, target="dev", data_sources={"*": "warehouse"})
    return make_plan(client, manifest, resolver.resolve, dialect="upper", now=NOW, **kw)


def writes(emulator: Any) -> int:
    log = httpx.get(emulator.url + "/_emulator/requests").json()
    entries = log.get("data", log) if isinstance(log, dict) else log
    if isinstance(entries, dict):
        entries = entries.get("items") or entries.get("requests") or []
    return sum(1 for e in entries if e.get("method") in ("POST", "PATCH", "DELETE")
               and "/_emulator" not in str(e.get("path")))  # fmt: skip


def test_plan_apply_plan_converges(
    registered: Any, client: ArmorClient, manifest: Manifest
) -> None:
    first = plan(client, manifest)
    assert first.counts()["create"] > 20
    result = apply_plan(client, first, prune=False, saved=False)
    assert not result.errors and result.done["create"] == first.counts()["create"]
    second = plan(client, manifest)
    assert not second.has_changes, [c for c in second.changes if c.action is not Action.UNCHANGED]
    before = client.stats.requests
    apply_plan(client, second, prune=False, saved=False)
    after = client.stats.requests
    assert after == before  # nothing to do: not a single request
    assert writes(registered) == first.counts()["create"]
