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
from dbt_armor.sync import plan_json
from dbt_armor.sync.plan import Plan
from dbt_armor.sync.service import apply_plan, make_plan
from dbt_armor.sync.specs import Action

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


def test_prune_deletes_only_managed_rules_and_only_with_prune(
    registered: Any, client: ArmorClient, manifest: Manifest
) -> None:
    apply_plan(client, plan(client, manifest), prune=False, saved=False)
    foreign = client.validity.create(
        "warehouse",
        ValidityRuleCreate(rule_type="NOT_NULL", table_path="warehouse.main.orders",
                           column_name="status", severity="warning", description="by hand"),
    )  # fmt: skip
    smaller = manifest.nodes.copy()
    smaller.pop("test.shop.unique_orders_order_id.2")
    fewer = Manifest(metadata=manifest.metadata, nodes=smaller, sources=manifest.sources)
    p = plan(client, fewer)
    deletes = [c for c in p.changes if c.action is Action.DELETE]
    assert [c.key for c in deletes] == ["model.shop.orders:order_id:unique"]
    assert deletes[0].needs_prune
    apply_plan(client, p, prune=False, saved=False)
    assert plan(client, fewer).counts()["delete"] == 1  # still there without --prune
    apply_plan(client, plan(client, fewer), prune=True, saved=False)
    final = plan(client, fewer)
    assert not final.has_changes
    remaining = {r.uuid for r in client.validity.iter("warehouse")}
    assert foreign.uuid in remaining  # unmarked: never touched


def test_saved_plan_is_refused_when_the_remote_changed(
    registered: Any, client: ArmorClient, manifest: Manifest, tmp_path: Path
) -> None:
    apply_plan(client, plan(client, manifest), prune=False, saved=False)
    rule = next(r for r in client.validity.iter("warehouse") if r.column_name == "order_id")
    client.validity.update("warehouse", rule.uuid, severity="info")
    saved = tmp_path / "plan.json"
    saved.write_text(plan_json.dumps(plan(client, manifest)))
    loaded = plan_json.load(saved)
    assert loaded.counts()["update"] == 1
    client.validity.update("warehouse", rule.uuid, severity="warning")  # someone else edits
    with pytest.raises(PlanError, match="remote changed since plan"):
        apply_plan(client, loaded, prune=False, saved=True)
    fresh = plan(client, manifest)
    apply_plan(client, plan_json.plan_from_dict(json.loads(plan_json.dumps(fresh))), prune=False,
               saved=True)  # fmt: skip
    assert not plan(client, manifest).has_changes


def test_scoped_plan_touches_only_selected_nodes(
    registered: Any, client: ArmorClient, manifest: Manifest
) -> None:
    p = plan(client, manifest, scope=frozenset({"model.shop.payments"}))
    assert p.changes and {c.node_id for c in p.changes} == {"model.shop.payments"}
    apply_plan(client, p, prune=True, saved=False)
    everything = plan(client, manifest)
    created = {c.node_id for c in everything.changes if c.action is Action.CREATE}
    assert "model.shop.payments" not in created and "model.shop.orders" in created


def fault(emulator: Any, **spec: Any) -> None:
    resp = httpx.post(emulator.url + "/_emulator/faults", json=spec)
    assert resp.status_code < 300, resp.text


def count_by_key(client: ArmorClient) -> dict[str, int]:
    from dbt_armor.sync.keys import parse_marker

    out: dict[str, int] = {}
    for rule in client.validity.iter("warehouse"):
        marker = parse_marker(rule.description)
        if marker:
            out[marker.key] = out.get(marker.key, 0) + 1
    return out


def test_dropped_connection_after_commit_creates_no_duplicate(
    registered: Any, client: ArmorClient, manifest: Manifest
) -> None:
    fault(registered, match="POST /api/v1/sdk/validity/*", drop_after_commit=True, count=3)
    p = plan(client, manifest)
    result = apply_plan(client, p, prune=False, saved=False)
    assert result.reconciled == 3
    counts = count_by_key(client)
    assert counts and set(counts.values()) == {1}
    assert not plan(client, manifest).has_changes


def test_server_error_burst_and_rate_limit_storm_converge(
    registered: Any, manifest: Manifest, emulator: Any, api_key: str
) -> None:
    fault(registered, match="POST /api/v1/sdk/*", status=503, count=6)
    fault(registered, match="* /api/v1/sdk/*", status=429, retry_after=0, count=8)
    with ArmorClient(api_key=api_key, base_url=emulator.url + "/api/v1",
                     retry_budget=20.0, max_retries=10) as c:  # fmt: skip
        p = plan(c, manifest)
        apply_plan(c, p, prune=False, saved=False)
        counts = count_by_key(c)
        assert set(counts.values()) == {1}
        assert not plan(c, manifest).has_changes


def test_crash_in_the_middle_then_rerun_converges(
    registered: Any, client: ArmorClient, manifest: Manifest
) -> None:
    p = plan(client, manifest)
    pending = p.pending(prune=False)
    half = Plan(p.generated_at, p.remote_fingerprint, p.dialect, p.data_sources,
                tuple(pending[: len(pending) // 2]), (), ())  # fmt: skip
    apply_plan(client, half, prune=False, saved=False)  # "crash": the rest never ran
    rerun = plan(client, manifest)
    assert rerun.counts()["create"] == len(pending) - len(pending) // 2
    apply_plan(client, rerun, prune=False, saved=False)
    assert set(count_by_key(client).values()) == {1}
    assert not plan(client, manifest).has_changes
