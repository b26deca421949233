"""fetch_facts against an httpx.MockTransport platform: strategy, request counts, matching."""

from __future__ import annotations

import json
import math
from urllib.parse import unquote

import httpx
import pytest

from dbt_armor.api.client import ArmorClient
from dbt_armor.errors import ApiError
from dbt_armor.gate.fetch import FetchStats, FetchTarget, fetch_facts

KEY = "aa_live_fetchtest_0000000000000000000000000000"


class FakePlatform:
    """Freshness for ``monitored`` tables of data source ``wh``, rules and checks per source."""

    def __init__(
        self,
        monitored: int,
        rules: list[dict[str, object]] | None = None,
        checks: list[dict[str, object]] | None = None,
    ) -> None:
        self.names = [f"wh.db.raw.t{i:05d}" for i in range(monitored)]
        self.rules = rules or []
        self.checks = checks or []
        self.calls: list[str] = []

    def status(self, qn: str) -> dict[str, object]:
        stale = qn.endswith("7")
        return {
            "asset_id": qn,
            "qualified_name": qn,
            "status": "stale" if stale else "fresh",
            "hours_since_update": 30.0 if stale else 1.0,
            "threshold_hours": 24,
            "last_updated": "2026-11-25T12:00:00Z",
            "checked_at": "2026-11-25T12:59:00Z",
        }

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == f"Bearer {KEY}"
        path = unquote(request.url.path).removeprefix("/api/v1")
        self.calls.append(path)
        q = request.url.params
        if path == "/sdk/freshness":
            limit, offset = int(q.get("limit", 50)), int(q.get("offset", 0))
            rows = self.names[offset : offset + limit]
            body = {
                "data": [self.status(n) for n in rows],
                "pagination": {
                    "total": len(self.names),
                    "limit": limit,
                    "offset": offset,
                    "has_more": offset + limit < len(self.names),
                },
            }
            return httpx.Response(200, json=body)
        if path.startswith("/sdk/freshness/"):
            qn = path.rsplit("/", 1)[1]
            if qn in self.names:
                return httpx.Response(200, json={"data": self.status(qn)})
            return httpx.Response(
                404, json={"error": {"code": "ASSET_NOT_FOUND", "message": "Asset not found"}}
            )
        for prefix, items in (("/sdk/validity/", self.rules), ("/sdk/referential/", self.checks)):
            if path.startswith(prefix):
                return httpx.Response(
                    200,
                    json={
                        "data": items,
                        "pagination": {
                            "total": len(items),
                            "limit": 100,
                            "offset": 0,
                            "has_more": False,
                        },
                    },
                )
        return httpx.Response(500, text=json.dumps({"error": {"code": "INTERNAL_ERROR"}}))


def _client(platform: FakePlatform) -> ArmorClient:
    return ArmorClient(
        KEY,
        "https://armor.test/api/v1",
        transport=httpx.MockTransport(platform),
        sleep=lambda s: None,
    )


def _targets(n: int, start: int = 0) -> list[FetchTarget]:
    return [
        FetchTarget(f"source.p.raw.t{i:05d}", f"wh.db.raw.t{i:05d}", "wh", f"db.raw.t{i:05d}")
        for i in range(start, start + n)
    ]


def test_few_sources_use_gets_and_404_is_not_monitored() -> None:
    platform = FakePlatform(10)
    stats = FetchStats({})
    facts = fetch_facts(_client(platform), _targets(2, start=9), quality=False, stats=stats)
    assert stats.strategy == {"wh": "get"}
    assert facts["source.p.raw.t00009"].status == "fresh"
    assert facts["source.p.raw.t00010"].status == "not_monitored"
    assert len(platform.calls) == 2


def test_many_sources_use_the_list_within_budget() -> None:
    platform = FakePlatform(500)
    stats = FetchStats({})
    client = _client(platform)
    wanted = _targets(300, start=250)  # 250 monitored, 50 not
    facts = fetch_facts(client, wanted, stats=stats)
    assert stats.strategy == {"wh": "list"}
    freshness_calls = [c for c in platform.calls if c.startswith("/sdk/freshness")]
    assert len(freshness_calls) == math.ceil(500 / 100)
    assert client.stats.requests <= math.ceil(500 / 100) + 3
    assert facts["source.p.raw.t00257"].status == "stale"
    assert facts["source.p.raw.t00257"].hours_since_update == 30.0
    assert facts["source.p.raw.t00499"].status == "fresh"
    assert facts["source.p.raw.t00500"].status == "not_monitored"
    assert len(facts) == 300


def test_gets_win_when_the_source_is_huge() -> None:
    platform = FakePlatform(2000)
    stats = FetchStats({})
    facts = fetch_facts(_client(platform), _targets(5, start=1003), quality=False, stats=stats)
    assert stats.strategy == {"wh": "get"}
    assert len(platform.calls) == 1 + 5  # one probe page, then a GET each
    assert {f.status for f in facts.values()} == {"fresh", "stale"}


def test_failing_rules_match_by_table_path_suffix() -> None:
    rules = [
        {
            "uuid": "r1",
            "id": 1,
            "table_path": "RAW.T00001",
            "column_name": "id",
            "rule_type": "NOT_NULL",
            "severity": "critical",
            "latest_status": "fail",
            "name": "id not null",
        },
        {
            "uuid": "r2",
            "id": 2,
            "table_path": "db.raw.t00001",
            "rule_type": "UNIQUE",
            "severity": "error",
            "latest_status": "pass",
        },
        {
            "uuid": "r3",
            "id": 3,
            "table_path": "other.t00001",
            "rule_type": "UNIQUE",
            "severity": "error",
            "latest_status": "fail",
        },
        {
            "uuid": "r4",
            "id": 4,
            "table_path": "raw.t00001",
            "rule_type": "UNIQUE",
            "severity": "error",
            "latest_status": "fail",
            "is_active": False,
        },
    ]
    checks = [
        {
            "id": "c1",
            "internal_id": 1,
            "child_table_path": "raw.t00002",
            "child_column_name": "customer_id",
            "parent_table_path": "raw.t00001",
            "parent_column_name": "id",
            "latest_status": "fail",
            "name": "orders fk",
        }
    ]
    platform = FakePlatform(5, rules, checks)
    facts = fetch_facts(_client(platform), _targets(3))
    one = facts["source.p.raw.t00001"].failures
    assert [(f.kind, f.name, f.severity, f.column) for f in one] == [
        ("validity", "id not null", "critical", "id")
    ]
    two = facts["source.p.raw.t00002"].failures
    assert [(f.kind, f.name) for f in two] == [("referential", "orders fk")]
    assert facts["source.p.raw.t00000"].failures == ()


def test_server_errors_surface_as_api_error() -> None:
    def broken(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, json={"error": {"code": "INTERNAL_ERROR", "message": "down"}})

    client = ArmorClient(
        KEY,
        "https://armor.test/api/v1",
        transport=httpx.MockTransport(broken),
        sleep=lambda s: None,
        max_retries=1,
    )
    with pytest.raises(ApiError):
        fetch_facts(client, _targets(2), quality=False)
