"""Registering assets: from a dbt manifest, a YAML fixture or a control-endpoint body.

Writes through State only; never touches the warehouse or HTTP.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dbt_armor.emulator.state import Record, State
from dbt_armor.project.periods import threshold_hours
from dbt_armor.yamlload import safe_load

TABLE_TYPES = ("seed", "model", "snapshot")


def _hours(rule: Any) -> float | None:
    if not isinstance(rule, dict) or rule.get("count") in (None, 0):
        return None
    return threshold_hours(rule["count"], rule.get("period"))


def project_names(manifest: dict[str, Any], data_source: str) -> dict[str, Any] | None:
    """Qualified names exactly as dbt-armor's own resolver spells them (meta.armor overrides,
    adapter case), or None when the project loader cannot read this manifest."""
    try:
        from dbt_armor.project.manifest import decode_manifest
        from dbt_armor.project.naming import NameResolver

        decoded = decode_manifest(json.dumps(manifest).encode(), "<emulator manifest>")
        names = NameResolver(decoded, data_sources={"*": data_source}).resolve_all()
        return {
            uid: (q.data_source, q.database, q.schema, q.identifier) for uid, q in names.items()
        }
    except Exception:  # any loader/naming refusal: fall back to plain folding below
        return None


def register_manifest(state: State, manifest: dict[str, Any], data_source: str) -> list[Record]:
    """Every source, seed, model and snapshot becomes a table asset, named as the gate names
    it (``data_source`` unless ``meta.armor`` says otherwise)."""
    if not isinstance(manifest, dict) or "nodes" not in manifest:
        raise ValueError("not a dbt manifest: expected a JSON object with 'nodes'")
    adapter = str((manifest.get("metadata") or {}).get("adapter_type") or "").lower()
    fold = adapter in ("duckdb", "postgres", "")
    resolved = project_names(manifest, data_source)

    def norm(value: Any) -> str:
        text = str(value or "")
        return text.lower() if fold else text

    def name(item: dict[str, Any], ident: Any) -> tuple[str, str, str, str] | None:
        if resolved is not None:
            return resolved.get(str(item.get("unique_id")))
        return data_source, norm(item.get("database")), norm(item.get("schema")), norm(ident)

    out = []
    for src in (manifest.get("sources") or {}).values():
        config = src.get("config") or {}
        fresh = src.get("freshness") or config.get("freshness") or {}
        threshold = _hours(fresh.get("error_after")) if isinstance(fresh, dict) else None
        qn = name(src, src.get("identifier") or src.get("name"))
        if qn is None:
            continue
        out.append(
            state.add_table(
                *qn,
                freshness_column=src.get("loaded_at_field") or config.get("loaded_at_field"),
                threshold_hours=threshold,
                unique_id=src.get("unique_id"),
                resource_type="source",
                description=src.get("description") or None,
            )
        )
    for node in (manifest.get("nodes") or {}).values():
        if node.get("resource_type") not in TABLE_TYPES:
            continue
        if (node.get("config") or {}).get("materialized") == "ephemeral":
            continue
        qn = name(node, node.get("alias") or node.get("name"))
        known = state.resolve(".".join(qn)) if qn is not None else None
        if qn is None or (known is not None and known[1].get("resource_type") == "source"):
            continue  # e.g. a seed standing in for a source's loader: keep the source's record
        out.append(
            state.add_table(
                *qn,
                unique_id=node.get("unique_id"),
                resource_type=node.get("resource_type"),
                asset_type="view"
                if (node.get("config") or {}).get("materialized") == "view"
                else "table",
                description=node.get("description") or None,
            )
        )
    return out


def register_tables(state: State, body: dict[str, Any]) -> list[Record]:
    """``{data_source, source_type?, tables: [{database, schema, name, freshness_column?,
    threshold_hours?}]}``."""
    name = body.get("data_source")
    tables = body.get("tables")
    if not name or not isinstance(tables, list):
        raise ValueError("expected {data_source: str, tables: [...]}")
    state.add_data_source(str(name), str(body.get("source_type") or "duckdb"))
    out = []
    for t in tables:
        if not isinstance(t, dict) or not all(t.get(k) for k in ("database", "schema", "name")):
            raise ValueError("each table needs database, schema and name")
        extra = {k: v for k, v in t.items() if k not in ("database", "schema", "name")}
        out.append(
            state.add_table(
                str(name), str(t["database"]), str(t["schema"]), str(t["name"]), **extra
            )
        )
    return out


def load_fixture(state: State, path: Path) -> list[Record]:
    """A YAML (or JSON) file holding one ``register_tables`` body or a list of them under
    ``data_sources``; a ``.json`` file with ``nodes`` is read as a manifest (needs a name)."""
    text = Path(path).read_text()
    doc = json.loads(text) if path.suffix == ".json" else safe_load(text)
    if not isinstance(doc, dict):
        raise ValueError(f"{path}: expected a mapping at the top level")
    bodies = doc.get("data_sources") if "data_sources" in doc else [doc]
    out: list[Record] = []
    for body in bodies or []:
        out.extend(register_tables(state, body))
    return out
