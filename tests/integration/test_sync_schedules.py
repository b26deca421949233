"""sync of freshness schedules against the emulator: copies of one table's schedule (made by
hand or by an earlier concurrent apply) all follow dbt, and plan -> apply -> plan is empty.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from dbt_armor.api import ArmorClient
from dbt_armor.api.models import FreshnessScheduleCreate
from dbt_armor.project import Manifest, NameResolver, load_manifest
from dbt_armor.sync.plan import Plan
from dbt_armor.sync.service import apply_plan, make_plan
from dbt_armor.sync.specs import Action, Change, Kind

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "manifests" / "sync_catalogue.json"
NOW = datetime(2026, 11, 25, 13, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def manifest() -> Manifest:
    return load_manifest(FIXTURE)


@pytest.fixture()
def registered(emulator: Any) -> Any:
    raw = json.loads(FIXTURE.read_text())
    resp = httpx.post(emulator.url + "/_emulator/manifest?data_source=warehouse", json=raw)
    assert resp.status_code < 300, resp.text
    return emulator


def plan(client: ArmorClient, manifest: Manifest) -> Plan:
    resolver = NameResolver(manifest, target="dev", data_sources={"*": "warehouse"})
    return make_plan(client, manifest, resolver.resolve, dialect="upper", now=NOW)


def customers_schedule(p: Plan) -> Change:
    """raw.customers has a freshness config without loaded_at_field: no freshness column."""
    found = [c for c in p.changes if c.kind is Kind.FRESHNESS and "customers" in c.table_path]
    assert len(found) == 1, found
    return found[0]


def test_duplicate_schedules_with_a_column_to_clear_converge(
    registered: Any, client: ArmorClient, manifest: Manifest
) -> None:
    wanted = customers_schedule(plan(client, manifest))
    assert wanted.action is Action.CREATE and wanted.payload is not None
    assert wanted.payload.get("freshness_column") is None
    copies = [
        client.freshness.create_schedule(
            FreshnessScheduleCreate(**{**wanted.payload, "freshness_column": "loaded_at"})
        )
        for _ in range(2)
    ]
    first = plan(client, manifest)
    replaces = [c for c in first.changes if c.kind is Kind.FRESHNESS and "customers" in c.key]
    assert {c.action for c in replaces} == {Action.REPLACE}
    assert {c.remote_id for c in replaces} == {s.id for s in copies}
    apply_plan(client, first, prune=True, saved=False)

    second = plan(client, manifest)
    assert not second.has_changes, [
        (c.action, c.key, c.diffs) for c in second.changes if c.action is not Action.UNCHANGED
    ]
    left = [s for s in client.freshness.iter_schedules(asset_id="warehouse")
            if s.table_path.lower() == wanted.table_path.lower()]  # fmt: skip
    # both replacements came out identical; apply keeps the oldest of identical copies it made
    assert len(left) == 1 and left[0].freshness_column is None
    assert not {s.id for s in left} & {s.id for s in copies}


def test_failed_create_of_a_replace_is_not_taken_for_the_schedule_it_replaces(
    registered: Any, manifest: Manifest, emulator: Any, api_key: str
) -> None:
    """The create of a replace fails before commit: the look-up after the unknown outcome must
    not mistake the old schedule on the same path for the new one (and then delete it)."""
    # no client retries, so apply sees the 503; a short timeout keeps its late-commit wait short
    url = emulator.url + "/api/v1"
    with ArmorClient(api_key=api_key, base_url=url, max_retries=0, timeout=1.0) as c:
        wanted = customers_schedule(plan(c, manifest))
        assert wanted.payload is not None
        old = c.freshness.create_schedule(
            FreshnessScheduleCreate(**{**wanted.payload, "freshness_column": "loaded_at"})
        )
        first = plan(c, manifest)
        assert customers_schedule(first).action is Action.REPLACE
        resp = httpx.post(
            emulator.url + "/_emulator/faults",
            json={"match": "POST /api/v1/sdk/freshness/schedules", "status": 503, "count": 1},
        )
        assert resp.status_code < 300, resp.text
        result = apply_plan(c, first, prune=False, saved=False)
        assert result.reconciled == 0
        left = [s for s in c.freshness.iter_schedules(asset_id="warehouse")
                if s.table_path.lower() == wanted.table_path.lower()]  # fmt: skip
        assert [s.freshness_column for s in left] == [None] and left[0].id != old.id
        assert not plan(c, manifest).has_changes
