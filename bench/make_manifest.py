"""Generate a deterministic synthetic dbt manifest.json of realistic size and shape.

Streams the file entry by entry (never builds the whole document in memory). Usage:
``python -m bench.make_manifest --nodes 50000 --out bench/data/manifest_50k.json``.
"""

from __future__ import annotations

import argparse
import json
import random
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SCHEMA = "https://schemas.getdbt.com/dbt/manifest/v12.json"
PKG = "bigshop"
WORDS = "order customer payment invoice product store region refund event session".split()  # noqa: SIM905
GENERIC = ["not_null", "unique", "accepted_values", "relationships"]
UTILS = [
    ("dbt_utils", "expression_is_true"),
    ("dbt_utils", "not_null_proportion"),
    ("dbt_expectations", "expect_column_values_to_be_between"),
]
# Static parts of dbt's entries, as dbt-core 1.11 writes them (compact JSON to stay readable).
_COLUMN = json.loads(
    '{"meta": {}, "data_type": "varchar", "constraints": [], "quote": null, "config": {"meta": '
    '{}, "tags": []}, "tags": [], "granularity": null, "doc_blocks": []}'
)
_MODEL_CONFIG = json.loads(
    '{"enabled": true, "alias": null, "schema": null, "database": null, "tags": [], "meta": {}, '
    '"group": null, "incremental_strategy": null, "persist_docs": {}, "post-hook": [], '
    '"pre-hook": [], "quoting": {}, "column_types": {}, "full_refresh": null, "unique_key": '
    'null, "on_schema_change": "ignore", "on_configuration_change": "apply", "grants": {}, '
    '"packages": [], "docs": {"show": true, "node_color": null}, "contract": {"enforced": '
    'false, "alias_types": true}, "access": "protected"}'
)
_TEST_CONFIG = json.loads(
    '{"enabled": true, "alias": null, "schema": "dbt_test__audit", "database": null, "tags": '
    '[], "meta": {}, "group": null, "materialized": "test", "severity": "ERROR", '
    '"store_failures": null, "store_failures_as": null, "where": null, "limit": null, '
    '"fail_calc": "count(*)", "warn_if": "!= 0", "error_if": "!= 0"}'
)
_NODE_STATIC = json.loads(
    '{"tags": [], "meta": {}, "group": null, "docs": {"show": true, "node_color": null}, '
    '"build_path": null, "doc_blocks": [], "language": "sql", "refs": [], "sources": [], '
    '"metrics": [], "contract": {"enforced": false, "alias_types": true, "checksum": null}, '
    '"access": "protected", "constraints": [], "version": null, "latest_version": null}'
)
_SOURCE_STATIC = json.loads(
    '{"resource_type": "source", "package_name": "bigshop", "path": "models/sources.yml", '
    '"original_file_path": "models/sources.yml", "source_description": "Loaded by the '
    'ingestion tool.", "loader": "fivetran", "quoting": {"database": null, "schema": null, '
    '"identifier": null, "column": null}, "loaded_at_field": "_loaded_at", "loaded_at_query": '
    'null, "external": null, "columns": {}, "source_meta": {}, "tags": [], "patch_path": null, '
    '"unrendered_config": {}, "created_at": 1795614599.0, "doc_blocks": []}'
)


def _columns(rng: random.Random, n: int) -> dict[str, Any]:
    cols: dict[str, Any] = {}
    for i in range(n):
        name = f"{rng.choice(WORDS)}_{i}"
        text = f"The {name.replace('_', ' ')} of the row, as delivered by the upstream system."
        cols[name] = {"name": name, "description": text, **_COLUMN}
    return cols


def _config(materialized: str) -> dict[str, Any]:
    return {**_MODEL_CONFIG, "materialized": materialized}


def _node(
    rtype: str,
    name: str,
    deps: list[str],
    cfg: dict[str, Any],
    code: str,
    cols: dict[str, Any],
    schema: str = "analytics",
) -> dict[str, Any]:
    uid = f"{rtype}.{PKG}.{name}"
    return {
        **_NODE_STATIC,
        "database": "warehouse",
        "schema": schema,
        "name": name,
        "resource_type": rtype,
        "package_name": PKG,
        "path": f"{name}.sql",
        "original_file_path": f"models/{name}.sql",
        "unique_id": uid,
        "fqn": [PKG, "marts", name],
        "alias": name,
        "checksum": {"name": "sha256", "checksum": f"{zlib.crc32(name.encode()):064d}"},
        "config": cfg,
        "description": f"Model {name}: one row per business key.",
        "columns": cols,
        "patch_path": f"{PKG}://models/schema.yml",
        "unrendered_config": {"materialized": cfg.get("materialized")},
        "created_at": 1795614599.0,
        "relation_name": f'"warehouse"."{schema}"."{name}"',
        "raw_code": code,
        "compiled_code": code.replace("{{ ref(", "(").replace(") }}", ")"),
        "depends_on": {"macros": ["macro.dbt.is_incremental"], "nodes": deps},
        "compiled_path": f"target/compiled/{PKG}/models/{name}.sql",
    }


def _source(i: int) -> dict[str, Any]:
    name = f"{WORDS[i % len(WORDS)]}s_{i}"
    nulls = {"count": None, "period": None}
    fresh = {
        "warn_after": {"count": 12, "period": "hour"} if i % 3 else nulls,
        "error_after": nulls,
        "filter": None,
    }
    return {
        **_SOURCE_STATIC,
        "database": "raw",
        "schema": f"src_{i % 20}",
        "name": name,
        "unique_id": f"source.{PKG}.src_{i % 20}.{name}",
        "fqn": [PKG, f"src_{i % 20}", name],
        "source_name": f"src_{i % 20}",
        "identifier": name,
        "freshness": fresh,
        "description": f"Raw {name} as delivered.",
        "meta": {"armor": {"stale": "error"}} if i % 4 == 0 else {},
        "config": {
            "enabled": True,
            "event_time": None,
            "freshness": fresh,
            "loaded_at_field": "_loaded_at",
            "meta": {},
            "tags": [],
        },
        "relation_name": f'"raw"."src_{i % 20}"."{name}"',
    }


def _test(rng: random.Random, i: int, target: str, other: str) -> dict[str, Any]:
    kind = GENERIC[i % 4]
    namespace = None
    if i % 10 == 9:
        namespace, kind = UTILS[i % len(UTILS)]
    column = f"{rng.choice(WORDS)}_{i % 5}"
    kwargs: dict[str, Any] = {"column_name": column, "model": "{{ get_where_subquery(ref('x')) }}"}
    deps = [target]
    if kind == "accepted_values":
        kwargs["values"] = ["placed", "shipped", "completed", "returned"]
    if kind == "relationships":
        kwargs.update({"to": f"ref('{other.rsplit('.', 1)[-1]}')", "field": "id"})
        deps = [other, target]
    name = f"{kind}_{target.rsplit('.', 1)[-1]}_{column}_{i}"
    cfg = dict(_TEST_CONFIG)
    code = ("select " + column + " from {{ ref('x') }} where " + column + " is null\n") * 14
    node = _node("test", name, deps, cfg, code, {}, schema="analytics_dbt_test__audit")
    node["unique_id"] = f"test.{PKG}.{name}.{i:010x}"
    node.update(
        {
            "column_name": column,
            "file_key_name": f"models.{target.rsplit('.', 1)[-1]}",
            "attached_node": None if target.startswith("source.") else target,
            "test_metadata": {"name": kind, "kwargs": kwargs, "namespace": namespace},
        }
    )
    return node


def generate(n_nodes: int, seed: int = 7) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Yield (section, unique_id, body) for a project of ``n_nodes`` nodes + sources."""
    rng = random.Random(seed)
    n_sources = max(1, n_nodes // 10)
    n_models = max(1, n_nodes * 35 // 100)
    n_seeds = n_snaps = max(1, n_nodes // 50)
    n_tests = max(1, n_nodes - n_sources - n_models - n_seeds - n_snaps)
    sources = [_source(i) for i in range(n_sources)]
    for s in sources:
        yield "sources", s["unique_id"], s
    tables: list[str] = []
    for i in range(n_seeds):
        seed_node = _node("seed", f"seed_{i}", [], _config("seed"), "", _columns(rng, 3), "seeds")
        tables.append(seed_node["unique_id"])
        yield "nodes", seed_node["unique_id"], seed_node
    for i in range(n_models):
        if i < len(sources) or not tables:
            deps = [sources[i % len(sources)]["unique_id"]]
        else:
            deps = rng.sample(tables[-2000:], k=min(len(tables), rng.randint(1, 3)))
        mat = "ephemeral" if i % 10 == 5 else rng.choice(["view", "table", "incremental"])
        body = "\n".join(f"    {c}," for c in WORDS) + "\n"
        code = "with base as (\n  select\n" + body + "  from {{ ref('upstream') }}\n)\n"
        code += "select * from base where 1 = 1\n" * 30
        model = _node("model", f"model_{i}", deps, _config(mat), code, _columns(rng, 6))
        tables.append(model["unique_id"])
        yield "nodes", model["unique_id"], model
    for i in range(n_snaps):
        snap = _node(
            "snapshot",
            f"snap_{i}",
            [sources[i % len(sources)]["unique_id"]],
            _config("snapshot"),
            "select 1",
            _columns(rng, 3),
            "snapshots",
        )
        yield "nodes", snap["unique_id"], snap
    testable = tables + [s["unique_id"] for s in sources]
    for i in range(n_tests):
        test = _test(rng, i, rng.choice(testable), rng.choice(tables))
        yield "nodes", test["unique_id"], test
    for i in range(max(1, n_nodes // 500)):
        uid = f"exposure.{PKG}.dash_{i}"
        yield (
            "exposures",
            uid,
            {
                "unique_id": uid,
                "name": f"dash_{i}",
                "type": "dashboard",
                "owner": {"name": "BI", "email": "bi@example.com"},
                "depends_on": {"nodes": rng.sample(tables, k=2)},
                "maturity": "high",
                "meta": {},
            },
        )
    for i in range(300):
        uid = f"macro.{PKG}.macro_{i}"
        sql = "{% macro m" + str(i) + "(x) %}\n  coalesce({{ x }}, 0)\n{% endmacro %}\n" * 5
        yield "macros", uid, {"name": f"macro_{i}", "unique_id": uid, "macro_sql": sql}


def write_manifest(path: Path, n_nodes: int, seed: int = 7) -> Path:
    """Write the manifest to ``path`` (parents created) and return it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    parents: dict[str, list[str]] = {}
    sections: dict[str, list[str]] = {"nodes": [], "sources": [], "exposures": [], "macros": []}
    tmp = path.with_suffix(".parts")
    with tmp.open("w") as parts:
        for section, uid, body in generate(n_nodes, seed):
            sections[section].append(uid)
            if section != "macros":
                parents[uid] = sorted(body.get("depends_on", {}).get("nodes", []))
            parts.write(f"{section}\t{json.dumps(uid)}: {json.dumps(body)}\n")
    children: dict[str, list[str]] = {uid: [] for uid in parents}
    for uid, ps in parents.items():
        for p in ps:
            children.setdefault(p, []).append(uid)
    meta = {
        "dbt_schema_version": SCHEMA,
        "dbt_version": "1.11.16",
        "project_name": PKG,
        "adapter_type": "postgres",
        "generated_at": "2026-11-25T00:00:00Z",
        "invocation_id": f"bench-{seed}",
    }
    with path.open("w") as out:
        out.write('{"metadata": ' + json.dumps(meta))
        for section in ("nodes", "sources", "exposures", "macros"):
            out.write(f', "{section}": {{')
            first = True
            with tmp.open() as parts:
                for line in parts:
                    name, _, entry = line.partition("\t")
                    if name == section:
                        out.write(("" if first else ", ") + entry.rstrip("\n"))
                        first = False
            out.write("}")
        out.write(', "parent_map": ' + json.dumps(parents))
        out.write(', "child_map": ' + json.dumps({k: sorted(v) for k, v in children.items()}))
        out.write(', "disabled": {}, "docs": {}, "metrics": {}, "groups": {}}\n')
    tmp.unlink()
    return path


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.make_manifest")
    parser.add_argument("--nodes", type=int, default=50_000)
    parser.add_argument("--out", type=Path, default=Path("bench/data/manifest_50k.json"))
    parser.add_argument("--seed", type=int, default=7)
    opts = parser.parse_args()
    path = write_manifest(opts.out, opts.nodes, opts.seed)
    print(f"{path}: {path.stat().st_size / 1e6:.1f} MB, {opts.nodes} nodes")


if __name__ == "__main__":
    main()
