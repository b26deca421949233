"""The manifest real dbt-core 1.11 writes for integration_project (macros stripped)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dbt_armor.project import Manifest, NameResolver, graph, load_manifest, upstream_sources

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "manifests" / "integration_v12.json"


@pytest.fixture(scope="module")
def manifest() -> Manifest:
    return load_manifest(FIXTURE)


def test_reads_real_dbt_output(manifest: Manifest) -> None:
    assert manifest.metadata.schema_version == 12 and manifest.warning is None
    assert manifest.adapter_type == "duckdb"
    crm = manifest.sources["source.armor_shop.crm.customers"]
    assert crm.armor_meta["data_source"] == "crm"
    assert crm.freshness is not None and crm.freshness.error_after is not None
    assert manifest.nodes["model.armor_shop.int_order_payments"].is_ephemeral


def test_source_tests_resolve_to_their_source(manifest: Manifest) -> None:
    on_sources = [t for t in manifest.generic_tests() if t.file_key_name == "sources.shop"]
    assert on_sources and all(t.attached_node is None for t in on_sources)
    assert {graph.tested_node_id(t, manifest) for t in on_sources} == {
        "source.armor_shop.shop.orders",
        "source.armor_shop.shop.payments",
    }
    warn = [t for t in on_sources if t.severity == "warn"]
    assert [t.test_metadata.name for t in warn if t.test_metadata] == ["relationships"]
    assert graph.relationship_parent_id(warn[0], manifest) == "source.armor_shop.shop.orders"


def test_upstream_through_the_ephemeral_model(manifest: Manifest) -> None:
    got = upstream_sources(manifest, ["model.armor_shop.fct_daily_revenue"])
    assert set(got) == {"source.armor_shop.shop.orders", "source.armor_shop.shop.payments"}


def test_names_with_the_project_settings(manifest: Manifest) -> None:
    r = NameResolver(manifest, "dev", {"dev": "warehouse", "*": "warehouse"}, "preserve")
    assert r.resolve("source.armor_shop.crm.customers").full == "crm.warehouse.raw.customers"
    assert r.resolve("model.armor_shop.fct_orders").full == "warehouse.warehouse.main.fct_orders"
    assert r.try_resolve("model.armor_shop.int_order_payments") is None
