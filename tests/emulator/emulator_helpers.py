"""A small hand-built dbt manifest for emulator tests (two sources, a seed, two models, an
ephemeral model, an exposure)."""

from __future__ import annotations

from typing import Any


def small_manifest(database: str = "wh") -> dict[str, Any]:
    def node(kind: str, name: str, schema: str, **extra: Any) -> dict[str, Any]:
        uid = f"{kind}.shop.{name}"
        base = {
            "unique_id": uid,
            "resource_type": kind,
            "name": name,
            "database": database,
            "schema": schema,
            "alias": name,
            "config": {"materialized": "table"},
        }
        return {**base, **extra}

    def source(name: str, **extra: Any) -> dict[str, Any]:
        return {
            "unique_id": f"source.shop.raw.{name}",
            "resource_type": "source",
            "source_name": "raw",
            "name": name,
            "identifier": name.upper(),
            "database": database,
            "schema": "RAW",
            **extra,
        }

    nodes = [
        node("seed", "country_codes", "main"),
        node("model", "stg_orders", "main", config={"materialized": "view"}),
        node("model", "int_tmp", "main", config={"materialized": "ephemeral"}),
        node("model", "fct_orders", "main", alias="orders_fact"),
    ]
    sources = [
        source(
            "orders",
            loaded_at_field="loaded_at",
            freshness={"error_after": {"count": 2, "period": "day"}},
        ),
        source("customers"),
    ]
    exposure = {"unique_id": "exposure.shop.dash", "resource_type": "exposure", "name": "dash"}
    parent_map = {
        "model.shop.stg_orders": ["source.shop.raw.orders"],
        "model.shop.int_tmp": ["model.shop.stg_orders"],
        "model.shop.fct_orders": [
            "model.shop.stg_orders",
            "seed.shop.country_codes",
            "source.shop.raw.customers",
        ],
        "exposure.shop.dash": ["model.shop.fct_orders"],
    }
    return {
        "metadata": {
            "dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json",
            "dbt_version": "1.11.0",
            "adapter_type": "duckdb",
            "project_name": "shop",
            "generated_at": "2026-01-01T00:00:00Z",
        },
        "nodes": {n["unique_id"]: n for n in nodes},
        "sources": {s["unique_id"]: s for s in sources},
        "exposures": {exposure["unique_id"]: exposure},
        "parent_map": parent_map,
    }
