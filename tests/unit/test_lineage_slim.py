"""The slim lineage document, the full-upload splice, the content hash and the state file."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from dbt_armor.errors import ManifestError
from dbt_armor.lineage.slim import (
    SlimManifest,
    append_armor_block,
    build_slim,
    edges,
    encode_slim,
    lineage_hash,
)
from dbt_armor.lineage.state import (
    STATE_FILE,
    PublishRecord,
    iso,
    load_record,
    save_record,
    state_key,
)
from dbt_armor.project.manifest import decode_manifest


def _node(uid: str, rtype: str, deps: list[str], **extra: Any) -> dict[str, Any]:
    name = uid.rsplit(".", 1)[-1]
    return {
        "unique_id": uid,
        "resource_type": rtype,
        "name": name,
        "package_name": "shop",
        "database": "demo",
        "schema": "main",
        "alias": name,
        "relation_name": f'"demo"."main"."{name}"',
        "fqn": ["shop", name],
        "original_file_path": f"models/{name}.sql",
        "config": {"materialized": "table", "enabled": True, "tags": [], "meta": {}},
        "depends_on": {"nodes": deps, "macros": ["macro.dbt.x"]},
        "raw_code": "select 1 " * 50,
        "columns": {"id": {"name": "id", "description": "the id"}},
        **extra,
    }


def make_manifest() -> dict[str, Any]:
    src = "source.shop.raw.orders"
    nodes = {
        "seed.shop.countries": _node("seed.shop.countries", "seed", []),
        "model.shop.stg_orders": _node("model.shop.stg_orders", "model", [src]),
        "model.shop.fct_orders": _node(
            "model.shop.fct_orders", "model", ["model.shop.stg_orders", "seed.shop.countries"]
        ),
        "snapshot.shop.orders_snap": _node("snapshot.shop.orders_snap", "snapshot", [src]),
        "test.shop.not_null_fct_orders_id.abc": _node(
            "test.shop.not_null_fct_orders_id.abc", "test", ["model.shop.fct_orders"]
        ),
        "analysis.shop.adhoc": _node("analysis.shop.adhoc", "analysis", ["model.shop.fct_orders"]),
    }
    sources = {
        src: {
            "unique_id": src,
            "resource_type": "source",
            "source_name": "raw",
            "name": "orders",
            "package_name": "shop",
            "database": "demo",
            "schema": "raw",
            "identifier": "orders",
            "relation_name": '"demo"."raw"."orders"',
            "fqn": ["shop", "raw", "orders"],
            "loaded_at_field": "loaded_at",
            "freshness": {"warn_after": {"count": None, "period": None}},
            "columns": {},
        }
    }
    exposures = {
        "exposure.shop.dashboard": {
            "unique_id": "exposure.shop.dashboard",
            "resource_type": "exposure",
            "name": "dashboard",
            "type": "dashboard",
            "owner": {"email": "a@example.com"},
            "depends_on": {"nodes": ["model.shop.fct_orders"], "macros": []},
            "fqn": ["shop", "dashboard"],
        }
    }
    parent_map = {uid: sorted(n["depends_on"]["nodes"]) for uid, n in nodes.items()}
    parent_map[src] = []
    parent_map["exposure.shop.dashboard"] = ["model.shop.fct_orders"]
    return {
        "metadata": {
            "dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json",
            "dbt_version": "1.11.16",
            "generated_at": "2026-01-01T00:00:00Z",
            "invocation_id": "inv-1",
            "project_name": "shop",
        },
        "nodes": nodes,
        "sources": sources,
        "exposures": exposures,
        "macros": {f"macro.dbt.m{i}": {"macro_sql": "x" * 200} for i in range(50)},
        "parent_map": parent_map,
        "child_map": {},
    }


def _bytes(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc).encode()


def slim_of(raw: bytes) -> SlimManifest:
    """The slim document of manifest bytes, decoded by the one manifest reader."""
    return build_slim(decode_manifest(raw))


def test_slim_keeps_lineage_assets_and_drops_tests_analyses_and_macros() -> None:
    slim = slim_of(_bytes(make_manifest()))
    assert set(slim.nodes) == {
        "seed.shop.countries",
        "model.shop.stg_orders",
        "model.shop.fct_orders",
        "snapshot.shop.orders_snap",
    }
    assert set(slim.sources) == {"source.shop.raw.orders"}
    assert set(slim.exposures) == {"exposure.shop.dashboard"}
    assert "test.shop.not_null_fct_orders_id.abc" not in slim.parent_map
    assert edges(slim) == {
        ("source.shop.raw.orders", "model.shop.stg_orders"),
        ("source.shop.raw.orders", "snapshot.shop.orders_snap"),
        ("model.shop.stg_orders", "model.shop.fct_orders"),
        ("seed.shop.countries", "model.shop.fct_orders"),
        ("model.shop.fct_orders", "exposure.shop.dashboard"),
    }


def test_slim_encoding_is_a_smaller_manifest_with_identity_and_relation() -> None:
    raw = _bytes(make_manifest())
    out = json.loads(encode_slim(slim_of(raw)))
    assert len(encode_slim(slim_of(raw))) < len(raw) / 3
    fct = out["nodes"]["model.shop.fct_orders"]
    assert fct["relation_name"] == '"demo"."main"."fct_orders"'
    assert fct["schema"] == "main" and fct["database"] == "demo"
    assert fct["depends_on"] == {"nodes": ["model.shop.stg_orders", "seed.shop.countries"]}
    assert "raw_code" not in fct and "columns" not in fct
    assert "macros" not in out
    assert out["sources"]["source.shop.raw.orders"]["identifier"] == "orders"
    assert out["metadata"]["project_name"] == "shop"


def test_slim_keeps_only_the_armor_part_of_meta_for_naming() -> None:
    doc = make_manifest()
    src = doc["sources"]["source.shop.raw.orders"]
    src["config"] = {"enabled": True, "meta": {"armor": {"data_source": "crm"}, "owner": "x"}}
    src["meta"] = {"armor": {"data_source": "crm"}, "pii": True}
    src["quoting"] = {"identifier": True}
    fct = doc["nodes"]["model.shop.fct_orders"]
    fct["config"]["meta"] = {"armor": {"qualified_name": "a.b.c.d"}, "team": "finance"}
    out = json.loads(encode_slim(slim_of(_bytes(doc))))
    slim_src = out["sources"]["source.shop.raw.orders"]
    assert slim_src["config"]["meta"] == {"armor": {"data_source": "crm"}}
    assert slim_src["meta"] == {"armor": {"data_source": "crm"}}
    assert slim_src["quoting"] == {"identifier": True}
    assert out["nodes"]["model.shop.fct_orders"]["config"]["meta"] == {
        "armor": {"qualified_name": "a.b.c.d"}
    }
    assert "meta" not in out["nodes"]["model.shop.stg_orders"]["config"]


def test_hash_ignores_volatile_metadata_but_sees_a_new_edge() -> None:
    base = make_manifest()
    h0 = lineage_hash(slim_of(_bytes(base)))
    again = copy.deepcopy(base)
    again["metadata"]["generated_at"] = "2027-05-05T00:00:00Z"
    again["metadata"]["invocation_id"] = "inv-2"
    again["metadata"]["run_started_at"] = "2027-05-05T00:00:01+00:00"  # each dbt call's own
    again["nodes"]["model.shop.fct_orders"]["raw_code"] = "select 2"  # not lineage
    assert lineage_hash(slim_of(_bytes(again))) == h0

    changed = copy.deepcopy(base)  # a new edge, written as dbt writes it: in both places
    changed["nodes"]["model.shop.fct_orders"]["depends_on"]["nodes"].append(
        "source.shop.raw.orders"
    )
    changed["parent_map"]["model.shop.fct_orders"].append("source.shop.raw.orders")
    assert lineage_hash(slim_of(_bytes(changed))) != h0


def test_hash_changes_with_the_armor_block_but_not_its_generator() -> None:
    slim = slim_of(_bytes(make_manifest()))
    slim.armor = {"data_source": "wh", "qualified_names": {"a": "wh.demo.main.a"}}
    h1 = lineage_hash(slim)
    slim.armor = {**slim.armor, "generator": "dbt-armor 9.9"}
    assert lineage_hash(slim) == h1
    slim.armor = {"data_source": "other", "qualified_names": {"a": "wh.demo.main.a"}}
    assert lineage_hash(slim) != h1


def test_append_armor_block_keeps_the_manifest_and_adds_the_key() -> None:
    doc = make_manifest()
    raw = json.dumps(doc, indent=2).encode() + b"\n"
    out = json.loads(append_armor_block(raw, {"data_source": "wh"}))
    assert out.pop("armor") == {"data_source": "wh"}
    assert out == doc
    assert json.loads(append_armor_block(b"{}", {"v": 1})) == {"armor": {"v": 1}}


@pytest.mark.parametrize("bad", [b"", b"not json", b"[1, 2]", b'{"nodes": 3}'])
def test_corrupt_input_is_a_manifest_error(bad: bytes) -> None:
    with pytest.raises(ManifestError):
        slim_of(bad)
    if not bad.rstrip().endswith(b"}"):
        with pytest.raises(ManifestError):
            append_armor_block(bad, {})


def test_state_round_trip_keeps_other_keys_and_tolerates_garbage(tmp_path: Path) -> None:
    k1 = state_key("http://127.0.0.1:1/api/v1/", "wh")
    k2 = state_key("http://127.0.0.1:1/api/v1", "other")
    assert k1 == "http://127.0.0.1:1/api/v1#wh"
    assert load_record(tmp_path, k1) is None
    rec = PublishRecord("h1", "2026-01-01T00:00:00Z", "uuid-1", True, {"nodes_created": 3})
    save_record(tmp_path, k1, rec)
    save_record(tmp_path, k2, PublishRecord("h2", "t", "uuid-2", False))
    assert load_record(tmp_path, k1) == rec
    assert load_record(tmp_path, k2) is not None
    (tmp_path / STATE_FILE).write_text("{not json")
    assert load_record(tmp_path, k1) is None
    save_record(tmp_path, k1, rec)  # a corrupt file is replaced, not fatal
    assert load_record(tmp_path, k1) == rec


def test_iso_is_utc_seconds_with_z() -> None:
    assert iso(datetime(2026, 3, 1, 12, 30, 5, 999, tzinfo=timezone.utc)) == "2026-03-01T12:30:05Z"


@pytest.mark.parametrize(
    "name", ["integration_v12.json", "v11_snowflake.json", "v10_postgres.json"]
)
def test_slim_edges_are_the_manifests_parent_map_restricted_to_kept_entries(name: str) -> None:
    """The upload builds its parent_map from depends_on (never decoding dbt's whole map): it
    must equal dbt's own parent_map restricted to the nodes, sources and exposures it keeps."""
    fixture = Path(__file__).resolve().parents[1] / "fixtures" / "manifests" / name
    manifest = decode_manifest(fixture.read_bytes(), name)
    slim = build_slim(manifest)
    kept = slim.nodes.keys() | slim.sources.keys() | slim.exposures.keys()
    assert manifest.parsed_parent_map is None, "building the upload decoded parent_map"
    expected = {
        child: [p for p in parents if p in kept]
        for child, parents in manifest.parent_map.items()
        if child in kept
    }
    assert expected and any(expected.values())
    assert slim.parent_map == expected


def test_each_slim_node_field_comes_from_the_same_named_manifest_field() -> None:
    """The slim node is built positionally (no dict per node): each field must still hold the
    manifest node's value of the same name."""
    fixture = Path(__file__).resolve().parents[1] / "fixtures" / "manifests" / "v11_snowflake.json"
    manifest = decode_manifest(fixture.read_bytes(), "v11")
    slim = build_slim(manifest)
    assert slim.nodes
    for uid, out in slim.nodes.items():
        node = manifest.nodes[uid]
        for field in ("unique_id", "resource_type", "name", "package_name", "database",
                      "alias", "identifier", "relation_name", "fqn"):  # fmt: skip
            assert getattr(out, field) == getattr(node, field), (uid, field)
        assert out.schema == node.schema_ and out.depends_on.nodes == node.depends_on.nodes
        assert out.original_file_path == (node.original_file_path or None)
        assert out.config.materialized == node.config.materialized
        assert out.meta == (
            {"armor": node.raw_meta["armor"]} if "armor" in (node.raw_meta or {}) else {}
        )
