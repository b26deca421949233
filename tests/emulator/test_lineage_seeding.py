"""Manifest registration (control endpoint, YAML fixture) and lineage upload / graph reads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from emulator_helpers import small_manifest

from dbt_armor.emulator import EmulatorServer
from dbt_armor.emulator.seeding import load_fixture


def api(emu: EmulatorServer, key: str, method: str, path: str, **kw: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"}
    return httpx.request(method, emu.api_url + path, headers=headers, timeout=10, **kw)


def test_manifest_registration_maps_every_table(emulator: EmulatorServer, api_key: str) -> None:
    r = httpx.post(emulator.url + "/_emulator/manifest?data_source=duck", json=small_manifest())
    assert r.status_code == 200
    names = sorted(r.json()["data"]["ids"])
    assert names == [
        "duck.wh.main.country_codes",
        "duck.wh.main.orders_fact",
        "duck.wh.main.stg_orders",
        "duck.wh.raw.customers",
        "duck.wh.raw.orders",
    ]
    orders = api(emulator, api_key, "GET", "/sdk/freshness/duck.wh.raw.orders").json()["data"]
    assert orders["threshold_hours"] == 48 and orders["freshness_column"] == "loaded_at"
    view = api(emulator, api_key, "GET", "/assets/duck.wh.main.stg_orders").json()["data"]
    assert view["asset_type"] == "view" and view["dbt_unique_id"] == "model.shop.stg_orders"
    bad = httpx.post(emulator.url + "/_emulator/manifest", json=small_manifest())
    assert bad.status_code == 400


def test_yaml_fixture_registration(emulator: EmulatorServer, tmp_path: Path) -> None:
    path = tmp_path / "assets.yml"
    path.write_text(
        "data_sources:\n"
        "  - data_source: wh\n"
        "    tables:\n"
        "      - {database: db, schema: raw, name: events, freshness_column: ts,"
        " threshold_hours: 6}\n"
    )
    tables = load_fixture(emulator.state, path)
    assert [t["qualified_name"] for t in tables] == ["wh.db.raw.events"]
    assert emulator.state.resolve("WH.DB.RAW.EVENTS") is not None


def _upload(emu: EmulatorServer, key: str, asset: str, content: bytes, sync: str) -> httpx.Response:
    files = {"file": ("manifest.json", content, "application/json")}
    return api(
        emu,
        key,
        "POST",
        f"/assets/{asset}/lineage/upload",
        files=files,
        data={"sync_to_catalog": sync},
    )


def test_lineage_upload_counts_and_is_idempotent(emulator: EmulatorServer, api_key: str) -> None:
    emulator.state.add_data_source("duck")
    content = json.dumps(small_manifest()).encode()
    first = _upload(emulator, api_key, "duck", content, "true")
    assert first.status_code == 200, first.text
    data = first.json()["data"]
    # 2 sources + seed + 2 non-ephemeral models + ephemeral model + exposure
    assert data["sync_stats"]["nodes_created"] == 7
    assert data["sync_stats"]["edges_created"] == 6
    assert data["manifest_metadata"]["project_name"] == "shop"
    assert data["catalog_sync_job_id"].startswith("job_")
    job = api(emulator, api_key, "GET", f"/sdk/jobs/{data['catalog_sync_job_id']}")
    assert job.status_code == 200
    assert emulator.state.resolve("duck.wh.main.orders_fact") is not None  # catalog synced
    again = _upload(emulator, api_key, "duck", content, "false").json()["data"]
    assert again["sync_stats"]["nodes_created"] == 0 and again["sync_stats"]["edges_created"] == 0
    assert again["sync_stats"]["nodes_unchanged"] == 7 and again["catalog_sync_job_id"] is None


def test_lineage_upload_errors(emulator: EmulatorServer, api_key: str, readonly_key: str) -> None:
    emulator.state.add_data_source("duck")
    assert _upload(emulator, api_key, "nosuch", b"{}", "true").status_code == 404
    assert _upload(emulator, api_key, "duck", b"not json", "true").status_code == 400
    assert _upload(emulator, readonly_key, "duck", b"{}", "true").status_code == 403
    no_file = api(emulator, api_key, "POST", "/assets/duck/lineage/upload", data={"a": "b"})
    assert no_file.status_code == 400


def test_lineage_graph_directions_and_depth(emulator: EmulatorServer, api_key: str) -> None:
    emulator.state.add_data_source("duck")
    _upload(emulator, api_key, "duck", json.dumps(small_manifest()).encode(), "true")
    fct = "duck.wh.main.orders_fact"
    one = api(emulator, api_key, "GET", f"/sdk/lineage/{fct}").json()["data"]
    assert one["root"]["qualified_name"] == fct
    assert sorted(n["qualified_name"] for n in one["upstream"]) == [
        "duck.wh.main.country_codes",
        "duck.wh.main.stg_orders",
        "duck.wh.raw.customers",
    ]
    assert [n["qualified_name"] for n in one["downstream"]] == ["duck.exposures.dash"]
    deep = api(
        emulator,
        api_key,
        "GET",
        f"/sdk/lineage/{fct}",
        params={"direction": "upstream", "depth": 2},
    ).json()["data"]
    assert "duck.wh.raw.orders" in {n["qualified_name"] for n in deep["upstream"]}
    assert deep["downstream"] == []
    assert {"source", "target"} <= set(deep["edges"][0])
    bad = api(emulator, api_key, "GET", f"/sdk/lineage/{fct}", params={"depth": 9})
    assert bad.status_code == 400
    listing = api(emulator, api_key, "GET", "/sdk/lineage", params={"has_upstream": "false"})
    roots = {i["qualified_name"] for i in listing.json()["data"]}
    assert roots == {"duck.wh.raw.orders", "duck.wh.raw.customers", "duck.wh.main.country_codes"}


def test_manifest_names_follow_meta_armor_and_sources_win(emulator: EmulatorServer) -> None:
    manifest = small_manifest()
    cust = manifest["sources"]["source.shop.raw.customers"]
    cust["config"] = {"meta": {"armor": {"data_source": "crm"}}}
    seed = manifest["nodes"]["seed.shop.country_codes"]
    seed.update(schema="RAW", alias="ORDERS")  # a seed that loads the orders source's table
    r = httpx.post(emulator.url + "/_emulator/manifest?data_source=duck", json=manifest)
    names = set(r.json()["data"]["ids"])
    assert "crm.wh.raw.customers" in names and "duck.wh.raw.customers" not in names
    orders = emulator.state.resolve("duck.wh.raw.orders")
    assert orders is not None and orders[1]["unique_id"] == "source.shop.raw.orders"
    assert orders[1]["freshness_column"] == "loaded_at"


def test_lineage_uses_catalogue_names_and_dedupes_tables(
    emulator: EmulatorServer, api_key: str
) -> None:
    manifest = small_manifest()
    cust = manifest["sources"]["source.shop.raw.customers"]
    cust["config"] = {"meta": {"armor": {"data_source": "crm"}}}
    seed = manifest["nodes"]["seed.shop.country_codes"]
    seed.update(schema="RAW", alias="ORDERS")  # the seed writes the orders source's table
    emulator.state.add_data_source("duck")
    data = _upload(emulator, api_key, "duck", json.dumps(manifest).encode(), "false").json()
    assert data["data"]["sync_stats"]["nodes_created"] == 6  # seed folded into the source
    graph = api(emulator, api_key, "GET", "/sdk/lineage/duck.wh.main.orders_fact").json()["data"]
    ups = sorted(n["qualified_name"] for n in graph["upstream"])
    assert ups == ["crm.wh.raw.customers", "duck.wh.main.stg_orders", "duck.wh.raw.orders"]
