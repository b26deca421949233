"""DAG walks: upstream sources through ephemeral/unselected nodes, descendants, tested nodes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dbt_armor.project import (
    Manifest,
    decode_manifest,
    descendants,
    graph,
    load_manifest,
    relationship_parent_id,
    upstream_nodes,
    upstream_sources,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "manifests"
S = "source.shop."


def _without_maps(name: str) -> Manifest:
    doc: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    del doc["parent_map"]
    del doc["child_map"]
    return decode_manifest(json.dumps(doc).encode())


@pytest.fixture(
    params=["v11_snowflake.json", "v2_preview_duckdb.json", "v10_postgres.json", "no-maps"]
)
def manifest(request: pytest.FixtureRequest) -> Manifest:
    if request.param == "no-maps":
        return _without_maps("v11_snowflake.json")
    return load_manifest(FIXTURES / request.param)


def test_upstream_through_ephemeral(manifest: Manifest) -> None:
    got = upstream_sources(manifest, ["model.shop.fct_orders"])
    assert got == {
        S + "raw.orders": frozenset({"model.shop.fct_orders"}),
        S + "raw.customers": frozenset({"model.shop.fct_orders"}),
        S + "raw.payments": frozenset({"model.shop.fct_orders"}),
    }


def test_upstream_of_several_selected_nodes(manifest: Manifest) -> None:
    sel = ["model.shop.stg_orders", "model.shop.fct_orders", "model.shop.rpt_legacy"]
    got = upstream_sources(manifest, sel)
    assert got[S + "raw.orders"] == {"model.shop.stg_orders", "model.shop.fct_orders"}
    assert got[S + "legacy.events"] == {"model.shop.rpt_legacy"}
    assert list(got) == sorted(got)
    assert upstream_sources(manifest, ["seed.shop.country_codes"]) == {}
    assert upstream_sources(manifest, [S + "raw.orders"]) == {
        S + "raw.orders": frozenset({S + "raw.orders"})
    }


def test_upstream_nodes_and_descendants(manifest: Manifest) -> None:
    assert upstream_nodes(manifest, ["model.shop.fct_orders"]) == {
        "model.shop.int_joined",
        "model.shop.stg_orders",
        "model.shop.stg_customers",
        "seed.shop.country_codes",
        S + "raw.orders",
        S + "raw.customers",
        S + "raw.payments",
    }
    down = descendants(manifest, [S + "raw.customers"])
    assert down == {
        "model.shop.stg_customers",
        "model.shop.int_joined",
        "model.shop.fct_orders",
        "exposure.shop.weekly",
    }
    with_tests = descendants(manifest, [S + "raw.customers"], include_tests=True)
    assert "test.shop.source_relationships_raw_orders_customer_id.0a1b2c3d4e" in with_tests
    assert "test.shop.assert_positive_totals.0a1b2c3d4e" in with_tests


def _chain(depth: int) -> Manifest:
    nodes = {
        f"model.p.m{i}": {
            "unique_id": f"model.p.m{i}",
            "resource_type": "model",
            "name": f"m{i}",
            "depends_on": {"nodes": [f"model.p.m{i - 1}" if i else "source.p.s.t"]},
            "config": {"materialized": "ephemeral" if i % 2 else "view"},
        }
        for i in range(depth)
    }
    doc = {
        "metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json"},
        "nodes": nodes,
        "sources": {"source.p.s.t": {"unique_id": "source.p.s.t", "name": "t"}},
    }
    return decode_manifest(json.dumps(doc).encode())


def test_deep_chain_does_not_recurse() -> None:
    m = _chain(20_000)
    last = "model.p.m19999"
    assert upstream_sources(m, [last]) == {"source.p.s.t": frozenset({last})}
    assert len(upstream_nodes(m, [last])) == 20_000
    assert len(descendants(m, ["source.p.s.t"])) == 20_000


def test_cycle_does_not_hang() -> None:
    doc = {
        "metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json"},
        "nodes": {
            "model.p.a": {"unique_id": "model.p.a", "resource_type": "model",
                          "depends_on": {"nodes": ["model.p.b", "source.p.s.t"]}},
            "model.p.b": {"unique_id": "model.p.b", "resource_type": "model",
                          "depends_on": {"nodes": ["model.p.a"]}},
        },
        "sources": {"source.p.s.t": {"unique_id": "source.p.s.t"}},
    }  # fmt: skip
    m = decode_manifest(json.dumps(doc).encode())
    assert upstream_sources(m, ["model.p.a"]) == {"source.p.s.t": frozenset({"model.p.a"})}


def _test(m: Manifest, name: str) -> Any:
    return next(n for n in m.nodes.values() if n.name == name)


def test_tested_node_for_model_and_source_tests(manifest: Manifest) -> None:
    t = _test(manifest, "not_null_stg_orders_id")
    assert graph.tested_node_id(t, manifest) == "model.shop.stg_orders"
    # attached_node is null for tests on sources: resolved from depends_on + file_key_name
    src_test = _test(manifest, "source_not_null_raw_orders_id")
    assert src_test.attached_node is None
    assert graph.tested_node_id(src_test, manifest) == S + "raw.orders"
    rel = _test(manifest, "source_relationships_raw_orders_customer_id")
    assert graph.tested_node_id(rel, manifest) == S + "raw.orders"
    assert relationship_parent_id(rel, manifest) == S + "raw.customers"


def test_relationship_parent_ignores_dependency_order(manifest: Manifest) -> None:
    rel = _test(manifest, "relationships_stg_orders_customer_id")
    assert rel.depends_on.nodes[0] == "model.shop.stg_customers"
    assert graph.tested_node_id(rel, manifest) == "model.shop.stg_orders"
    assert relationship_parent_id(rel, manifest) == "model.shop.stg_customers"
    rel.depends_on.nodes.reverse()
    assert relationship_parent_id(rel, manifest) == "model.shop.stg_customers"


def test_relationship_parent_without_matching_to_text() -> None:
    m = load_manifest(FIXTURES / "v11_snowflake.json")
    rel = _test(m, "relationships_stg_orders_customer_id")
    assert rel.test_metadata is not None
    rel.test_metadata.kwargs["to"] = "{{ ref('renamed_upstream') }}"
    assert relationship_parent_id(rel, m) == "model.shop.stg_customers"
