"""Listings that change while they are paged (issue 13, item 8), against the real emulator:
a listing that repeats ids plans no delete, and a rule deleted during a 2-page listing does not
hide a managed rule (which a plan would then "create" again)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from dbt_armor.api import ArmorClient
from dbt_armor.api.models import ValidityRuleCreate
from dbt_armor.project import Manifest, NameResolver, load_manifest
from dbt_armor.sync.plan import Plan
from dbt_armor.sync.service import apply_plan, make_plan
from dbt_armor.sync.specs import Action

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "manifests" / "sync_catalogue.json"
NOW = datetime(2026, 11, 25, 13, 0, tzinfo=timezone.utc)
Hook = Callable[[httpx.Request, dict[str, Any]], dict[str, Any]]


class Meddling(httpx.BaseTransport):
    """The real transport to the emulator; each validity listing page goes through ``hook``."""

    def __init__(self, hook: Hook) -> None:
        self.inner = httpx.HTTPTransport()
        self.hook = hook

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        listing = request.method == "GET" and request.url.path.endswith("/sdk/validity/warehouse")
        if not listing or response.status_code != 200:
            return response
        body = self.hook(request, json.loads(response.read()))
        skip = {"content-length", "content-encoding", "transfer-encoding"}
        headers = [(k, v) for k, v in response.headers.items() if k.lower() not in skip]
        return httpx.Response(response.status_code, headers=headers, json=body)


@pytest.fixture(scope="module")
def manifest() -> Manifest:
    return load_manifest(FIXTURE)


def plan(client: ArmorClient, manifest: Manifest) -> Plan:
    resolver = NameResolver(manifest, target="dev", data_sources={"*": "warehouse"})
    return make_plan(client, manifest, resolver.resolve, dialect="upper", now=NOW)


def meddled(emulator: Any, api_key: str, hook: Hook) -> ArmorClient:
    return ArmorClient(api_key, emulator.api_url, transport=Meddling(hook), allow_http=True)


@pytest.fixture()
def registered(emulator: Any) -> Any:
    raw = json.loads(FIXTURE.read_text())
    httpx.post(emulator.url + "/_emulator/manifest?data_source=warehouse", json=raw)
    return emulator


def hand_made(client: ArmorClient, n: int) -> list[str]:
    ids = []
    for i in range(n):
        rule = client.validity.create(
            "warehouse",
            ValidityRuleCreate(rule_type="NOT_NULL", table_path="warehouse.main.orders",
                               column_name="status", name=f"by hand {i}"),
        )  # fmt: skip
        ids.append(rule.uuid or str(rule.id))
    return ids


def test_a_listing_that_repeats_ids_plans_no_delete(
    registered: Any, client: ArmorClient, manifest: Manifest, api_key: str
) -> None:
    apply_plan(client, plan(client, manifest), prune=False, saved=False)

    def repeat(_: httpx.Request, body: dict[str, Any]) -> dict[str, Any]:
        body["data"] = body["data"] + body["data"][:5]  # five rules listed twice
        return body

    with meddled(registered, api_key, repeat) as noisy:
        again = plan(noisy, manifest)
        assert again.counts()["delete"] == 0 and not again.has_changes
        before = {r.uuid for r in client.validity.iter("warehouse")}
        apply_plan(noisy, again, prune=True, saved=False)
    assert {r.uuid for r in client.validity.iter("warehouse")} == before


def test_a_delete_during_a_two_page_listing_hides_no_rule(
    registered: Any, client: ArmorClient, manifest: Manifest, api_key: str
) -> None:
    """90 hand-made rules, then the managed ones (listed 91st onwards, across the page
    boundary at 100); one hand-made rule is deleted right after page 1 was read."""
    foreign = hand_made(client, 90)
    apply_plan(client, plan(client, manifest), prune=False, saved=False)
    deleted: list[str] = []

    def delete_once(request: httpx.Request, body: dict[str, Any]) -> dict[str, Any]:
        if not deleted and request.url.params.get("offset", "0") == "0":
            deleted.append(foreign.pop(0))
            client.validity.delete("warehouse", deleted[0])
        return body

    with meddled(registered, api_key, delete_once) as shifting:
        again = plan(shifting, manifest)
    assert deleted
    assert [c.key for c in again.changes if c.action is not Action.UNCHANGED] == []
