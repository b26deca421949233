"""Walks every emulator endpoint in both dialects: status codes and the shape each dialect
promises (single objects under ``data``; lists per dialect)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from emulator_helpers import small_manifest

from dbt_armor.emulator import EmulatorServer

TABLE = "duck.wh.raw.orders"


class Api:
    def __init__(self, emu: EmulatorServer, key: str) -> None:
        self.emu = emu
        self.h = {"Authorization": f"Bearer {key}"}

    def __call__(self, method: str, path: str, status: int = 200, **kw: Any) -> Any:
        r = httpx.request(method, self.emu.api_url + path, headers=self.h, timeout=10, **kw)
        assert r.status_code == status, (method, path, r.text)
        return r.json()

    def items(self, body: dict[str, Any], key: str) -> list[Any]:
        if self.emu.app.dialect == "seed":
            assert set(body) == {"data", "pagination"}
            return body["data"]  # type: ignore[no-any-return]
        return body["data"][key]  # type: ignore[no-any-return]


@pytest.fixture(params=["seed", "sdk"])
def api(request: pytest.FixtureRequest, emulator: EmulatorServer, api_key: str) -> Api:
    emulator.app.dialect = request.param
    files = {"file": ("manifest.json", json.dumps(small_manifest()).encode())}
    emulator.state.add_data_source("duck")
    a = Api(emulator, api_key)
    a("POST", "/assets/duck/lineage/upload", files=files)
    return a


def test_assets_and_keys(api: Api) -> None:
    assert len(api.items(api("GET", "/assets"), "data")) == 5
    assert len(api.items(api("GET", "/sdk/assets", params={"search": "orders"}), "data")) == 3
    ds = api.items(api("GET", "/sdk/assets", params={"asset_type": "data_source"}), "data")
    assert [d["name"] for d in ds] == ["duck"]
    assert api("GET", f"/sdk/assets/{TABLE}")["data"]["qualified_name"] == TABLE
    made = api(
        "POST",
        "/sdk/assets",
        201,
        json={"name": "pg", "source_type": "postgresql", "connection_config": {}},
    )
    assert made["data"]["source_type"] == "postgresql"
    assert api("GET", "/api-keys/usage")["data"]["rate_limit_per_min"] == 5000


def test_freshness_family(api: Api) -> None:
    assert api("GET", "/sdk/freshness/summary")["data"]["total_assets"] == 5
    page = api("GET", "/sdk/freshness", params={"limit": 2, "offset": 4})
    assert len(api.items(page, "data")) == 1
    assert "history" in api("GET", f"/sdk/freshness/{TABLE}")["data"]
    job = api("POST", f"/sdk/freshness/{TABLE}/refresh", params={"wait": "false"})["data"]
    assert api("GET", f"/sdk/jobs/{job['job_id']}")["data"]["job_id"] == job["job_id"]
    sched = api(
        "POST",
        "/sdk/freshness/schedules",
        201,
        json={
            "asset_id": "duck",
            "table_path": "raw.orders",
            "check_interval": "6h",
            "monitoring_mode": "explicit",
            "expected_interval_hours": 12,
            "freshness_column": "loaded_at",
        },
    )["data"]
    assert api("GET", f"/sdk/freshness/{TABLE}")["data"]["threshold_hours"] == 12
    bulk = api(
        "POST",
        "/sdk/freshness/schedules/bulk",
        201,
        json={
            "asset_id": "duck",
            "schedules": [
                {"table_path": "raw.customers"},
                {"table_path": "x", "check_interval": "9y"},
            ],
        },
    )
    assert (bulk["data"]["created"], bulk["data"]["failed"], bulk["data"]["total"]) == (1, 1, 2)
    listed = api("GET", "/sdk/freshness/schedules", params={"asset_id": TABLE})
    assert [s["id"] for s in api.items(listed, "data")] == [sched["id"]]
    patched = api("PATCH", f"/sdk/freshness/schedules/{sched['id']}", json={"is_active": False})
    assert patched["data"]["is_active"] is False
    active = api("GET", "/sdk/freshness/schedules", params={"active_only": "true"})
    assert len(api.items(active, "data")) == 1
    api("DELETE", f"/sdk/freshness/schedules/{sched['id']}")
    api("DELETE", f"/sdk/freshness/schedules/{sched['id']}", 404)
    api(
        "POST",
        "/sdk/freshness/schedules",
        400,
        json={"asset_id": "duck", "table_path": "t", "monitoring_mode": "explicit"},
    )
    dry = api(
        "POST",
        "/sdk/freshness/dry-run",
        json={"asset_id": "duck", "table_path": "raw.orders", "expected_interval_hours": 1},
    )
    assert dry["data"]["threshold_hours"] == 1.0


def test_quality_families_by_table_and_source(api: Api) -> None:
    rule = api(
        "POST",
        f"/sdk/validity/{TABLE}",
        201,
        json={"rule_type": "regex_match", "column_name": "id", "rule_config": {"pattern": "x"}},
    )["data"]
    assert rule["table_path"] == "wh.raw.orders" and rule["rule_type"] == "regex_match"
    for asset in ("duck", TABLE, rule["asset_id"]):
        assert len(api.items(api("GET", f"/sdk/validity/{asset}"), "items")) == 1
    assert api.items(api("GET", "/sdk/validity/duck.wh.raw.customers"), "items") == []
    inactive = api("GET", "/sdk/validity/duck", params={"is_active": "false"})
    assert api.items(inactive, "items") == []
    api("POST", f"/sdk/validity/duck/{rule['uuid']}/check", json={"sample_limit": -1}, status=400)
    chk = api(
        "POST",
        "/sdk/referential/duck",
        201,
        json={
            "child_table_path": "raw.orders",
            "child_column_name": "cid",
            "parent_table_path": "raw.customers",
            "parent_column_name": "id",
        },
    )["data"]
    assert "severity" not in chk
    assert len(api.items(api("GET", f"/sdk/referential/{TABLE}"), "items")) == 1
    assert api.items(api("GET", "/sdk/referential/duck.wh.raw.customers"), "items") == []
    got = api("GET", f"/sdk/referential/duck/{chk['internal_id']}")["data"]
    assert got["id"] == chk["id"] and got["latest_result"] is None


def test_lineage_family(api: Api) -> None:
    graph = api("GET", f"/sdk/lineage/{TABLE}")["data"]
    assert graph["root"]["qualified_name"] == TABLE and graph["upstream"] == []
    assert [n["name"] for n in graph["downstream"]] == ["stg_orders"]
    listed = api.items(api("GET", "/sdk/lineage", params={"limit": 100}), "data")
    assert len(listed) == 7 and all({"id", "name", "qualified_name"} <= set(n) for n in listed)
    api("GET", "/sdk/lineage/duck.wh.raw.nothing", 404)
