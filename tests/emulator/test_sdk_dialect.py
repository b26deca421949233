"""The official SDK (anomalyarmor-cli 0.6) works against the emulator in the sdk dialect, and
both dialects give the documented list shapes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from anomalyarmor import Client  # type: ignore[import-untyped]
from anomalyarmor.exceptions import NotFoundError, StalenessError  # type: ignore[import-untyped]

from dbt_armor.emulator import EmulatorServer

QN = "wh.db.raw.orders"


@pytest.fixture()
def sdk_emulator(emulator: EmulatorServer) -> Iterator[EmulatorServer]:
    emulator.app.dialect = "sdk"
    st = emulator.state
    st.add_table("wh", "db", "raw", "orders")
    st.add_table("wh", "db", "raw", "customers")
    old = datetime.now(timezone.utc) - timedelta(hours=40)
    found = st.resolve(QN)
    assert found is not None
    st.overrides[found[1]["id"]] = {
        "last_updated": old.isoformat(),
        "threshold_hours": 1.5,
    }
    yield emulator


def test_official_sdk_reads_and_writes(sdk_emulator: EmulatorServer, api_key: str) -> None:
    c = Client(api_key=api_key, api_url=sdk_emulator.api_url)
    assert [a.qualified_name for a in c.assets.list()] == ["wh.db.raw.customers", QN]
    assert c.assets.get(QN).name == "orders"
    status = c.freshness.get(QN)
    assert status.is_stale and status.staleness_threshold_hours == 2
    summary = c.freshness.summary()
    assert (summary.total_assets, summary.stale_count, summary.unknown_count) == (2, 1, 1)
    assert [s.qualified_name for s in c.freshness.list(status="stale")] == [QN]
    with pytest.raises(StalenessError):
        c.freshness.require_fresh(QN)
    with pytest.raises(NotFoundError):
        c.freshness.get("wh.db.raw.nope")
    assert c.freshness.refresh(QN)["status"] == "pending"

    rule = c.validity.create("wh", rule_type="NOT_NULL", table_path="raw.orders", column_name="id")
    assert rule.uuid and isinstance(rule.id, int)
    result = c.validity.check("wh", rule.uuid)
    assert result.status == "pass"
    assert [r.uuid for r in c.validity.list("wh")] == [rule.uuid]
    assert c.validity.get("wh", rule.uuid).latest_status == "pass"
    assert c.validity.summary("wh").total_rules == 1
    assert len(c.validity.results("wh", rule.uuid)) == 1
    assert c.validity.update("wh", rule.uuid, is_active=False).is_active is False
    c.validity.delete("wh", rule.uuid)
    assert c.validity.list("wh") == []

    chk = c.referential.create(
        "wh",
        child_table_path="raw.orders",
        child_column_name="cid",
        parent_table_path="raw.customers",
        parent_column_name="id",
    )
    assert c.referential.execute("wh", chk.id).status == "pass"
    assert [x.id for x in c.referential.list("wh")] == [chk.id]
    assert c.referential.get("wh", chk.id).child_column_name == "cid"
    assert c.referential.summary("wh").total_checks == 1
    assert len(c.referential.results("wh", chk.id)) == 1
    c.referential.delete("wh", chk.id)
    sched = c.freshness.create_schedule(asset_id="wh", table_path="raw.orders", check_interval="1h")
    assert [s.id for s in c.freshness.list_schedules(asset_id="wh")] == [sched.id]


@pytest.mark.parametrize("dialect", ["seed", "sdk"])
def test_list_envelopes_per_dialect(
    sdk_emulator: EmulatorServer, api_key: str, dialect: str
) -> None:
    sdk_emulator.app.dialect = dialect
    h = {"Authorization": f"Bearer {api_key}"}
    for path, key in (
        ("/sdk/freshness", "data"),
        ("/sdk/assets", "data"),
        ("/sdk/validity/wh", "items"),
        ("/sdk/referential/wh", "items"),
        ("/sdk/freshness/schedules", "data"),
        ("/sdk/lineage", "data"),
    ):
        body = httpx.get(sdk_emulator.api_url + path, headers=h, params={"limit": 1}).json()
        if dialect == "seed":
            assert isinstance(body["data"], list) and body["pagination"]["limit"] == 1, path
        else:
            assert isinstance(body["data"][key], list) and body["data"]["limit"] == 1, path
            assert "total" in body["data"]["pagination"]


def test_status_objects_carry_both_spellings(sdk_emulator: EmulatorServer, api_key: str) -> None:
    h = {"Authorization": f"Bearer {api_key}"}
    for dialect, threshold in (("seed", 1.5), ("sdk", 2)):
        sdk_emulator.app.dialect = dialect
        data = httpx.get(f"{sdk_emulator.api_url}/sdk/freshness/{QN}", headers=h).json()["data"]
        assert data["is_fresh"] is False and data["is_stale"] is True
        assert data["last_updated"] == data["last_update_time"]
        assert data["threshold_hours"] == 1.5
        assert data["staleness_threshold_hours"] == threshold
        summary = httpx.get(f"{sdk_emulator.api_url}/sdk/freshness/summary", headers=h).json()
        assert summary["data"]["stale"] == summary["data"]["stale_count"] == 1
