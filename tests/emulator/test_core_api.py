"""Emulator API basics over real HTTP: auth and scopes, assets, freshness, validity and
referential CRUD, routing of literal segments and dotted ids, in the seed dialect."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from dbt_armor.emulator import EmulatorServer

QN = "duckdb.demo.raw.orders"


def call(emu: EmulatorServer, key: str | None, method: str, path: str, **kw: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.request(method, emu.url + "/api/v1" + path, headers=headers, timeout=10, **kw)


@pytest.fixture()
def seeded(emulator: EmulatorServer) -> EmulatorServer:
    emulator.state.add_table("duckdb", "demo", "raw", "orders", freshness_column="loaded_at")
    emulator.state.add_table("duckdb", "demo", "raw", "customers")
    emulator.state.add_table("other", "db", "main", "orders")
    return emulator


def test_missing_and_unknown_key_get_401_envelope(seeded: EmulatorServer) -> None:
    for key in (None, "aa_live_not_a_key"):
        r = call(seeded, key, "GET", "/sdk/freshness/summary")
        assert r.status_code == 401
        assert r.json()["error"]["code"] == "UNAUTHORIZED"
        assert "X-RateLimit-Limit" in r.headers
        assert "aa_live_not_a_key" not in r.text


def test_readonly_key_cannot_write_and_gets_documented_403(
    seeded: EmulatorServer, readonly_key: str
) -> None:
    r = call(seeded, readonly_key, "POST", f"/sdk/freshness/{QN}/refresh")
    assert r.status_code == 403
    assert r.json() == {
        "error": {
            "code": "FORBIDDEN",
            "message": "Insufficient permissions. Required scope: read-write",
            "details": {"current_scope": "read-only", "required_scope": "read-write"},
        }
    }
    assert call(seeded, readonly_key, "GET", f"/sdk/freshness/{QN}").status_code == 200


def test_key_usage_readable_by_any_scope(seeded: EmulatorServer, readonly_key: str) -> None:
    data = call(seeded, readonly_key, "GET", "/api-keys/usage").json()["data"]
    assert data["scope"] == "read-only"
    assert (data["rate_limit_per_min"], data["burst_limit"]) == (5000, 100)
    assert {"current_count", "max_keys", "can_create"} <= set(data)
    assert call(seeded, readonly_key, "GET", "/api-keys").status_code == 403


def test_assets_on_both_prefixes_with_pagination(seeded: EmulatorServer, api_key: str) -> None:
    for prefix in ("/assets", "/sdk/assets"):
        body = call(seeded, api_key, "GET", prefix, params={"limit": 2}).json()
        assert [a["qualified_name"] for a in body["data"]] == [
            "duckdb.demo.raw.customers",
            QN,
        ]
        assert body["pagination"] == {"total": 3, "limit": 2, "offset": 0, "has_more": True}
    only = call(seeded, api_key, "GET", "/assets", params={"source": "other"}).json()
    assert [a["qualified_name"] for a in only["data"]] == ["other.db.main.orders"]


def test_asset_by_name_uuid_and_data_source(seeded: EmulatorServer, api_key: str) -> None:
    by_name = call(seeded, api_key, "GET", f"/assets/{QN.upper()}").json()["data"]
    by_id = call(seeded, api_key, "GET", f"/sdk/assets/{by_name['id']}").json()["data"]
    assert by_id["qualified_name"] == QN
    ds = call(seeded, api_key, "GET", "/sdk/assets/duckdb").json()["data"]
    assert ds["asset_type"] == "data_source" and ds["table_count"] == 2
    missing = call(seeded, api_key, "GET", "/assets/duckdb.demo.raw.nope")
    assert missing.status_code == 404
    details = missing.json()["error"]["details"]
    assert details["asset_id"] == "duckdb.demo.raw.nope" and "suggestion" in details


def test_freshness_from_override_and_threshold(seeded: EmulatorServer, api_key: str) -> None:
    last = datetime.now(timezone.utc) - timedelta(hours=30)
    r = httpx.post(
        seeded.url + "/_emulator/freshness",
        json={"qualified_name": QN, "last_updated": last.isoformat()},
    )
    assert r.status_code == 200
    data = call(seeded, api_key, "GET", f"/sdk/freshness/{QN}").json()["data"]
    assert data["status"] == "stale" and data["is_fresh"] is False and data["is_stale"] is True
    assert data["threshold_hours"] == 24 and 29.9 < data["hours_since_update"] < 30.1
    httpx.post(
        seeded.url + "/_emulator/freshness",
        json={"qualified_name": QN, "threshold_hours": 48, "hours_since_update": 30},
    )
    assert call(seeded, api_key, "GET", f"/sdk/freshness/{QN}").json()["data"]["status"] == "fresh"


def test_freshness_list_filters_summary_and_literal_routes(
    seeded: EmulatorServer, api_key: str
) -> None:
    seeded.state.overrides[seeded.state.resolve(QN)[1]["id"]] = {"status": "stale"}  # type: ignore[index]
    summary = call(seeded, api_key, "GET", "/sdk/freshness/summary").json()["data"]
    assert (summary["total_assets"], summary["stale"], summary["unknown"]) == (3, 1, 2)
    stale = call(seeded, api_key, "GET", "/sdk/freshness", params={"status": "stale"}).json()
    assert [f["qualified_name"] for f in stale["data"]] == [QN]
    by_src = call(seeded, api_key, "GET", "/sdk/freshness", params={"source": "other"}).json()
    assert by_src["pagination"]["total"] == 1
    by_ds = call(seeded, api_key, "GET", "/sdk/freshness", params={"asset_id": "duckdb"}).json()
    assert by_ds["pagination"]["total"] == 2
    assert call(seeded, api_key, "GET", "/sdk/freshness", params={"status": "x"}).status_code == 400
    assert call(seeded, api_key, "GET", "/sdk/freshness", params={"limit": "a"}).status_code == 400
    assert call(seeded, api_key, "GET", "/sdk/freshness/schedules").status_code == 200


def test_refresh_wait_and_job_polling(seeded: EmulatorServer, api_key: str) -> None:
    done = call(seeded, api_key, "POST", f"/sdk/freshness/{QN}/refresh?wait=true").json()["data"]
    assert done["status"] == "completed" and "is_fresh" in done["result"]
    queued = call(seeded, api_key, "POST", f"/sdk/freshness/{QN}/refresh").json()["data"]
    assert queued["status"] == "pending" and queued["asset_id"] == QN
    seen = [
        call(seeded, api_key, "GET", f"/sdk/jobs/{queued['job_id']}").json()["data"]["status"]
        for _ in range(3)
    ]
    assert seen == ["running", "completed", "completed"]
    history = call(seeded, api_key, "GET", f"/sdk/freshness/{QN}").json()["data"]["history"]
    assert len(history) == 2
    assert call(seeded, api_key, "GET", "/sdk/jobs/job_nope").status_code == 404


def test_validity_crud_aliases_and_table_scoping(seeded: EmulatorServer, api_key: str) -> None:
    body = {
        "rule_type": "allowed_values",
        "table_path": "raw.orders",
        "column_name": "status",
        "rule_config": {"values": ["a", "b"]},
        "severity": "error",
    }
    created = call(seeded, api_key, "POST", "/sdk/validity/duckdb", json=body)
    assert created.status_code == 201
    rule = created.json()["data"]
    assert isinstance(rule["id"], int) and isinstance(rule["uuid"], str)
    assert rule["rule_type"] == "allowed_values" and rule["rule_config"] == {"values": ["a", "b"]}
    assert rule["latest_status"] is None
    other = {"rule_type": "NOT_NULL", "table_path": "DEMO.RAW.CUSTOMERS", "column_name": "id"}
    call(seeded, api_key, "POST", "/sdk/validity/duckdb", json=other)
    assert call(seeded, api_key, "GET", "/sdk/validity/duckdb").json()["pagination"]["total"] == 2
    scoped = call(seeded, api_key, "GET", f"/sdk/validity/{QN}").json()["data"]
    assert [r["uuid"] for r in scoped] == [rule["uuid"]]
    by_type = call(seeded, api_key, "GET", "/sdk/validity/duckdb", params={"rule_type": "ENUM"})
    assert [r["uuid"] for r in by_type.json()["data"]] == [rule["uuid"]]
    path = f"/sdk/validity/duckdb/{rule['uuid']}"
    patched = call(seeded, api_key, "PATCH", path, json={"is_active": False}).json()["data"]
    assert patched["is_active"] is False
    assert call(seeded, api_key, "GET", f"/sdk/validity/duckdb/{rule['id']}").status_code == 200
    checked = call(seeded, api_key, "POST", path + "/check", json={"sample_limit": 5})
    assert checked.json()["data"]["status"] == "pass"
    results = call(seeded, api_key, "GET", path + "/results").json()["data"]
    assert len(results) == 1
    assert call(seeded, api_key, "GET", path).json()["data"]["latest_status"] == "pass"
    summary = call(seeded, api_key, "GET", "/sdk/validity/duckdb/summary").json()["data"]
    assert (summary["total_rules"], summary["passing"]) == (2, 1)
    assert call(seeded, api_key, "DELETE", path).status_code == 200
    assert call(seeded, api_key, "GET", path).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"rule_type": "BOGUS", "table_path": "raw.orders", "column_name": "x"},
        {"rule_type": "ENUM", "table_path": "raw.orders", "column_name": "x"},
        {"rule_type": "RANGE", "table_path": "raw.orders", "column_name": "x", "rule_config": {}},
        {"rule_type": "NOT_NULL", "table_path": "raw.orders"},
        {"rule_type": "NOT_NULL", "column_name": "x"},
        {"rule_type": "UNIQUE", "table_path": "t", "column_name": "x", "severity": "huge"},
    ],
)
def test_invalid_validity_rules_get_400(
    seeded: EmulatorServer, api_key: str, body: dict[str, Any]
) -> None:
    r = call(seeded, api_key, "POST", "/sdk/validity/duckdb", json=body)
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "VALIDATION_ERROR"


def test_validity_on_unknown_asset_is_404(seeded: EmulatorServer, api_key: str) -> None:
    r = call(seeded, api_key, "GET", "/sdk/validity/nosuch")
    assert r.status_code == 404 and r.json()["error"]["code"] == "ASSET_NOT_FOUND"


def test_referential_crud_and_forced_outcome(seeded: EmulatorServer, api_key: str) -> None:
    body = {
        "source_table": "raw.orders",
        "source_column": "customer_id",
        "target_table": "raw.customers",
        "target_column": "id",
        "severity": "error",
    }
    chk = call(seeded, api_key, "POST", "/sdk/referential/duckdb", json=body).json()["data"]
    assert chk["child_table_path"] == "raw.orders" and chk["severity"] == "error"
    assert isinstance(chk["internal_id"], int) and chk["latest_status"] is None
    path = f"/sdk/referential/duckdb/{chk['id']}"
    r = httpx.post(
        seeded.url + "/_emulator/outcome",
        json={"id": chk["id"], "status": "fail", "invalid_count": 3, "total_rows": 10},
    )
    assert r.status_code == 200
    res = call(seeded, api_key, "POST", path + "/execute").json()["data"]
    assert (res["status"], res["orphan_count"], res["orphan_percent"]) == ("fail", 3, 30.0)
    listed = call(seeded, api_key, "GET", f"/sdk/referential/{QN}").json()["data"]
    assert [c["latest_status"] for c in listed] == ["fail"]
    summ = call(seeded, api_key, "GET", "/sdk/referential/duckdb/summary").json()["data"]
    assert (summ["total_checks"], summ["failing_checks"]) == (1, 1)
    call(seeded, api_key, "PATCH", path, json={"is_active": False})
    assert call(seeded, api_key, "POST", path + "/execute").status_code == 400
    assert len(call(seeded, api_key, "GET", path + "/results").json()["data"]) == 1
    assert call(seeded, api_key, "DELETE", path).status_code == 200
    assert call(seeded, api_key, "GET", path).status_code == 404
    missing = call(seeded, api_key, "POST", "/sdk/referential/duckdb", json={"name": "x"})
    assert missing.status_code == 400


def test_unknown_route_and_method(seeded: EmulatorServer, api_key: str) -> None:
    assert call(seeded, api_key, "GET", "/sdk/nothing/here").status_code == 404
    assert call(seeded, api_key, "DELETE", "/sdk/freshness/summary").status_code == 405
    bad = call(seeded, api_key, "POST", "/sdk/validity/duckdb", content=b"{not json")
    assert bad.status_code == 400


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (
            "/sdk/validity/duckdb",
            {
                "rule_type": "NOT_NULL",
                "table_path": "raw.orders",
                "column_name": "id",
                "is_active": "false",
            },
        ),
        (
            "/sdk/validity/duckdb",
            {
                "rule_type": "ENUM",
                "table_path": "raw.orders",
                "column_name": "id",
                "rule_config": ["a"],
            },
        ),
        (
            "/sdk/referential/duckdb",
            {
                "child_table_path": "a",
                "child_column_name": "b",
                "parent_table_path": "c",
                "parent_column_name": "d",
                "max_orphan_percent": "5",
            },
        ),
        (
            "/sdk/freshness/schedules",
            {"asset_id": "duckdb", "table_path": "raw.orders", "expected_interval_hours": True},
        ),
    ],
)
def test_wrong_field_types_get_400(
    seeded: EmulatorServer, api_key: str, path: str, body: dict[str, Any]
) -> None:
    r = call(seeded, api_key, "POST", path, json=body)
    assert r.status_code == 400 and r.json()["error"]["code"] == "VALIDATION_ERROR"
    assert r.json()["error"]["details"]["field"]
