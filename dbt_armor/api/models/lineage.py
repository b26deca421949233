"""Lineage models: the graph around one asset, list items, and the manifest-upload answer.

Accepts the nested web-docs tree and the SDK's root/upstream/downstream/edges (armor-api.md D-18).
"""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, Field, field_validator, model_validator

from dbt_armor.api.models.base import Tolerant, int_to_str


class LineageNode(Tolerant):
    id: str | None = Field(None, validation_alias=AliasChoices("id", "asset_id"))
    qualified_name: str = ""
    name: str | None = None
    asset_type: str | None = None
    source_type: str | None = None
    relationship: str | None = None
    depth: int | None = None
    upstream: list[LineageNode] = Field(default_factory=list)
    downstream: list[LineageNode] = Field(default_factory=list)

    _coerce_id = field_validator("id", mode="before")(int_to_str)


class LineageEdge(Tolerant):
    source: str = Field(
        "", validation_alias=AliasChoices("source", "upstream_qualified_name", "from")
    )
    target: str = Field(
        "", validation_alias=AliasChoices("target", "downstream_qualified_name", "to")
    )
    edge_type: str | None = Field(None, validation_alias=AliasChoices("edge_type", "relationship"))


class LineageGraph(Tolerant):
    root: LineageNode | None = None
    upstream: list[LineageNode] = Field(default_factory=list)
    downstream: list[LineageNode] = Field(default_factory=list)
    edges: list[LineageEdge] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _root(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("root") is None and data.get("qualified_name"):
            data = dict(data)
            data["root"] = {
                "asset_id": data.get("asset_id"),
                "qualified_name": data["qualified_name"],
            }
        return data

    @model_validator(mode="after")
    def _edges(self) -> LineageGraph:
        if self.edges or self.root is None:
            return self
        edges: list[LineageEdge] = []

        def walk(node: LineageNode, child: str, up: bool) -> None:
            src, dst = (node.qualified_name, child) if up else (child, node.qualified_name)
            edges.append(LineageEdge(source=src, target=dst, edge_type=node.relationship))
            for nxt in node.upstream if up else node.downstream:
                walk(nxt, node.qualified_name, up)

        for node in self.upstream:
            walk(node, self.root.qualified_name, True)
        for node in self.downstream:
            walk(node, self.root.qualified_name, False)
        object.__setattr__(self, "edges", edges)
        return self


class LineageListItem(Tolerant):
    asset_id: str | None = Field(None, validation_alias=AliasChoices("asset_id", "id"))
    qualified_name: str = ""
    name: str | None = None
    upstream_count: int | None = None
    downstream_count: int | None = None


class LineageUploadResult(Tolerant):
    asset_id: str | None = None
    sync_stats: dict[str, Any] = Field(default_factory=dict)
    manifest_metadata: dict[str, Any] = Field(default_factory=dict)
    catalog_sync_job_id: str | None = None
