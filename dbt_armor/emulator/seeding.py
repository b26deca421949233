"""Registering assets: from a dbt manifest, a YAML fixture or a control-endpoint body.

Writes through State only; never touches the warehouse or HTTP.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from dbt_armor.emulator.state import Record, State

_PERIOD_HOURS = {"minute": 1 / 60, "hour": 1.0, "day": 24.0}
TABLE_TYPES = ("seed", "model", "snapshot")


def _hours(rule: Any) -> float | None:
    if not isinstance(rule, dict) or rule.get("count") in (None, 0):
        return None
    per = _PERIOD_HOURS.get(str(rule.get("period")))
    return None if per is None else float(rule["count"]) * per


def register_manifest(state: State, manifest: dict[str, Any], data_source: str) -> list[Record]:
    """Every source, seed, model and snapshot becomes a table asset under ``data_source``."""
    if not isinstance(manifest, dict) or "nodes" not in manifest:
        raise ValueError("not a dbt manifest: expected a JSON object with 'nodes'")
    adapter = str((manifest.get("metadata") or {}).get("adapter_type") or "").lower()
    fold = adapter in ("duckdb", "postgres", "")

    def norm(value: Any) -> str:
        text = str(value or "")
        return text.lower() if fold else text

    out = []
    for src in (manifest.get("sources") or {}).values():
        config = src.get("config") or {}
        fresh = src.get("freshness") or config.get("freshness") or {}
        threshold = _hours(fresh.get("error_after")) if isinstance(fresh, dict) else None
        out.append(
            state.add_table(
                data_source,
                norm(src.get("database")),
                norm(src.get("schema")),
                norm(src.get("identifier") or src.get("name")),
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
        out.append(
            state.add_table(
                data_source,
                norm(node.get("database")),
                norm(node.get("schema")),
                norm(node.get("alias") or node.get("name")),
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
    doc = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    if not isinstance(doc, dict):
        raise ValueError(f"{path}: expected a mapping at the top level")
    bodies = doc.get("data_sources") if "data_sources" in doc else [doc]
    out: list[Record] = []
    for body in bodies or []:
        out.extend(register_tables(state, body))
    return out
