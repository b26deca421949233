"""Each resource sends the documented method, path, query and body, with ids encoded safely."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from client_helpers import FakeClock, Recorder, error, make_client

from dbt_armor.api.models import FreshnessScheduleCreate, ReferentialCheckCreate, ValidityRuleCreate
from dbt_armor.api.paths import join, segment
from dbt_armor.errors import NotFoundError, PlatformTimeout, UsageError

OBJ = httpx.Response(
    200, json={"data": {"id": "x", "uuid": "x", "job_id": "j1", "status": "completed"}}
)
LIST = httpx.Response(200, json={"data": {"items": []}})


def _path(req: httpx.Request) -> str:
    return req.url.raw_path.decode().split("?")[0].removeprefix("/api/v1")


@pytest.mark.parametrize(
    ("hostile", "encoded"),
    [
        ("a/b", "a%2Fb"),
        ("q?x=1", "q%3Fx%3D1"),
        ("frag#1", "frag%231"),
        ("100%", "100%25"),
        ("..", "%2E%2E"),
        (".", "%2E"),
        ("../../api-keys", "..%2F..%2Fapi-keys"),
        ("duckdb.db.raw.orders", "duckdb.db.raw.orders"),
        ("with space", "with%20space"),
    ],
)
def test_hostile_identifiers_stay_in_one_segment(hostile: str, encoded: str) -> None:
    assert segment(hostile) == encoded
    rec = Recorder(httpx.Response(200, json={"data": {"status": "fresh"}}))
    make_client(rec).freshness.get(hostile)
    assert _path(rec.requests[0]) == f"/sdk/freshness/{encoded}"


def test_empty_identifier_is_refused() -> None:
    with pytest.raises(ValueError):
        join("sdk", "")


def _calls(client_call: Any, *responses: httpx.Response) -> list[httpx.Request]:
    rec = Recorder(*(responses or (OBJ,)))
    client_call(make_client(rec))
    return rec.requests


def test_validity_endpoints() -> None:
    spec = ValidityRuleCreate(rule_type="NOT_NULL", table_path="db.raw.orders", column_name="id")
    cases = [
        (lambda c: c.validity.summary("ds"), "GET", "/sdk/validity/ds/summary"),
        (
            lambda c: c.validity.list("ds", rule_type="UNIQUE", is_active=True),
            "GET",
            "/sdk/validity/ds",
        ),
        (lambda c: c.validity.get("ds", "r1"), "GET", "/sdk/validity/ds/r1"),
        (lambda c: c.validity.create("ds", spec), "POST", "/sdk/validity/ds"),
        (lambda c: c.validity.update("ds", "r1", is_active=False), "PATCH", "/sdk/validity/ds/r1"),
        (lambda c: c.validity.delete("ds", "r1"), "DELETE", "/sdk/validity/ds/r1"),
        (
            lambda c: c.validity.check("ds", "r1", sample_limit=3),
            "POST",
            "/sdk/validity/ds/r1/check",
        ),
        (lambda c: c.validity.results("ds", "r1"), "GET", "/sdk/validity/ds/r1/results"),
    ]
    for call, method, path in cases:
        resp = LIST if path.endswith(("/ds", "/results")) and method == "GET" else OBJ
        (req,) = _calls(call, resp)
        assert (req.method, _path(req)) == (method, path)
    (req,) = _calls(lambda c: c.validity.create("ds", spec))
    assert json.loads(req.content) == {
        "rule_type": "NOT_NULL",
        "table_path": "db.raw.orders",
        "column_name": "id",
    }
    (req,) = _calls(lambda c: c.validity.list("ds", rule_type="UNIQUE", is_active=True), LIST)
    assert dict(req.url.params) == {
        "rule_type": "UNIQUE",
        "is_active": "true",
        "limit": "100",
        "offset": "0",
    }
    (req,) = _calls(lambda c: c.validity.check("ds", "r1", sample_limit=3))
    assert json.loads(req.content) == {"sample_limit": 3}
    (req,) = _calls(lambda c: c.validity.update("ds", "r1", is_active=False))
    assert json.loads(req.content) == {"is_active": False}


def test_update_with_unknown_field_is_usage_error_without_request() -> None:
    rec = Recorder(OBJ)
    with pytest.raises(UsageError, match="colour"):
        make_client(rec).validity.update("ds", "r1", colour="red")
    assert rec.requests == []


def test_referential_endpoints() -> None:
    spec = ReferentialCheckCreate(
        child_table_path="db.s.orders",
        child_column_name="customer_id",
        parent_table_path="db.s.customers",
        parent_column_name="id",
    )
    cases = [
        (lambda c: c.referential.summary("ds"), "GET", "/sdk/referential/ds/summary", OBJ),
        (lambda c: c.referential.list("ds", is_active=False), "GET", "/sdk/referential/ds", LIST),
        (lambda c: c.referential.get("ds", "c1"), "GET", "/sdk/referential/ds/c1", OBJ),
        (lambda c: c.referential.create("ds", spec), "POST", "/sdk/referential/ds", OBJ),
        (
            lambda c: c.referential.update("ds", "c1", name="n"),
            "PATCH",
            "/sdk/referential/ds/c1",
            OBJ,
        ),
        (lambda c: c.referential.delete("ds", "c1"), "DELETE", "/sdk/referential/ds/c1", OBJ),
        (
            lambda c: c.referential.execute("ds", "c1"),
            "POST",
            "/sdk/referential/ds/c1/execute",
            OBJ,
        ),
        (
            lambda c: c.referential.results("ds", "c1"),
            "GET",
            "/sdk/referential/ds/c1/results",
            LIST,
        ),
    ]
    for call, method, path, resp in cases:
        (req,) = _calls(call, resp)
        assert (req.method, _path(req)) == (method, path)
    (req,) = _calls(lambda c: c.referential.execute("ds", "c1"))
    assert req.content == b""


def test_freshness_schedules() -> None:
    spec = FreshnessScheduleCreate(
        asset_id="ds",
        table_path="raw.orders",
        check_interval="1h",
        expected_interval_hours=24.0,
        monitoring_mode="explicit",
    )
    (req,) = _calls(lambda c: c.freshness.create_schedule(spec))
    assert (req.method, _path(req)) == ("POST", "/sdk/freshness/schedules")
    assert json.loads(req.content)["expected_interval_hours"] == 24.0
    (req,) = _calls(lambda c: c.freshness.list_schedules(asset_id="ds", active_only=True), LIST)
    assert req.url.params["active_only"] == "true" and req.url.params["asset_id"] == "ds"
    (req,) = _calls(lambda c: c.freshness.update_schedule("s1", is_active=False))
    assert (req.method, _path(req)) == ("PATCH", "/sdk/freshness/schedules/s1")
    (req,) = _calls(lambda c: c.freshness.delete_schedule("s1"))
    assert (req.method, _path(req)) == ("DELETE", "/sdk/freshness/schedules/s1")


def test_freshness_list_filters() -> None:
    (req,) = _calls(
        lambda c: c.freshness.list(status="stale", source="snowflake", asset_id="a", limit=500),
        LIST,
    )
    assert dict(req.url.params) == {
        "status": "stale",
        "source": "snowflake",
        "asset_id": "a",
        "limit": "100",
        "offset": "0",
    }


def test_refresh_without_wait_returns_pending_job() -> None:
    pending = httpx.Response(
        200, json={"data": {"job_id": "j1", "status": "pending", "asset_id": "a.b"}}
    )
    (req,) = _calls(lambda c: c.freshness.refresh("a.b"), pending)
    assert (req.method, _path(req)) == ("POST", "/sdk/freshness/a.b/refresh")
    assert "wait" not in req.url.params and req.content == b""


def test_refresh_wait_served_by_server() -> None:
    done = httpx.Response(
        200, json={"data": {"job_id": "j1", "status": "completed", "result": {"is_fresh": True}}}
    )
    rec = Recorder(done)
    job = make_client(rec).freshness.refresh("a.b", wait=True)
    assert job.succeeded and job.result == {"is_fresh": True}
    assert rec.requests[0].url.params["wait"] == "true" and len(rec.requests) == 1


def test_refresh_wait_polls_jobs_when_server_does_not_block() -> None:
    clock = FakeClock()
    rec = Recorder(
        httpx.Response(200, json={"data": {"job_id": "j1", "status": "pending"}}),
        httpx.Response(200, json={"data": {"job_id": "j1", "status": "running", "progress": 50}}),
        httpx.Response(200, json={"data": {"job_id": "j1", "status": "completed"}}),
    )
    job = make_client(rec, clock=clock).freshness.refresh("a.b", wait=True)
    assert job.succeeded
    assert [_path(r) for r in rec.requests] == [
        "/sdk/freshness/a.b/refresh",
        "/sdk/jobs/j1",
        "/sdk/jobs/j1",
    ]


def test_job_wait_times_out() -> None:
    clock = FakeClock()
    rec = Recorder(httpx.Response(200, json={"data": {"job_id": "j1", "status": "running"}}))
    with pytest.raises(PlatformTimeout, match="still 'running'"):
        make_client(rec, clock=clock).jobs.wait("j1", timeout=10)
    assert sum(clock.sleeps) <= 10


def test_assets_fall_back_to_plain_path_and_remember() -> None:
    rec = Recorder(
        error(404, "NOT_FOUND", "no such route"),
        httpx.Response(200, json={"data": [{"id": "u", "qualified_name": "a.b.c.d"}]}),
        httpx.Response(200, json={"data": {"id": "u", "qualified_name": "a.b.c.d"}}),
    )
    client = make_client(rec)
    assert [a.id for a in client.assets.list(source="a")] == ["u"]
    assert client.assets.get("a.b.c.d").qualified_name == "a.b.c.d"
    assert [_path(r) for r in rec.requests] == ["/sdk/assets", "/assets", "/assets/a.b.c.d"]


def test_asset_not_found_does_not_fall_back() -> None:
    rec = Recorder(error(404, "ASSET_NOT_FOUND", "Asset not found"))
    client = make_client(rec)
    with pytest.raises(NotFoundError):
        client.assets.get("nope")
    assert [_path(r) for r in rec.requests] == ["/sdk/assets/nope"]
    assert client.assets.prefix == ("sdk", "assets")


def test_lineage_get_list_and_upload() -> None:
    (req,) = _calls(lambda c: c.lineage.get("a.b", direction="upstream", depth=9), OBJ)
    assert _path(req) == "/sdk/lineage/a.b" and dict(req.url.params) == {
        "direction": "upstream",
        "depth": "5",
    }
    (req,) = _calls(
        lambda c: c.lineage.list(),
        httpx.Response(200, json={"data": [{"asset_id": "u", "upstream_count": 2}]}),
    )
    assert _path(req) == "/sdk/lineage"
    answer = httpx.Response(
        200,
        json={
            "data": {
                "asset_id": "ds",
                "sync_stats": {"nodes_created": 2},
                "catalog_sync_job_id": "job-1",
            }
        },
    )
    rec = Recorder(answer)
    result = make_client(rec).lineage.upload("ds-uuid", b'{"nodes": {}}')
    req = rec.requests[0]
    assert (req.method, _path(req)) == ("POST", "/assets/ds-uuid/lineage/upload")
    assert req.headers["Content-Type"].startswith("multipart/form-data")
    assert b'name="file"; filename="manifest.json"' in req.content
    assert b'{"nodes": {}}' in req.content and b'name="sync_to_catalog"' in req.content
    assert result.sync_stats == {"nodes_created": 2} and result.catalog_sync_job_id == "job-1"


def test_upload_is_not_retried_on_5xx() -> None:
    rec = Recorder(error(502, "X", "y"))
    with pytest.raises(Exception, match="HTTP 502"):
        make_client(rec).lineage.upload("ds", b"{}")
    assert len(rec.requests) == 1
