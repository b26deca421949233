"""Map dbt sources, seeds, models and snapshots to platform qualified names.

Pure: takes a Manifest and settings values, returns names. The rules (overrides, data-source
choice, case folding per adapter, quoting) are documented in docs/naming.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from dbt_armor.errors import ManifestError
from dbt_armor.project.manifest import Manifest, Node, Quoting, Source

CaseMode = Literal["auto", "upper", "lower", "preserve"]
Fold = Literal["upper", "lower", "preserve"]
CASE_MODES: tuple[str, ...] = ("auto", "upper", "lower", "preserve")

# How each warehouse stores an identifier that was written without quotes.
ADAPTER_CASE: dict[str, Fold] = {
    "snowflake": "upper",
    "oracle": "upper",
    "db2": "upper",
    "postgres": "lower",
    "redshift": "lower",
    "duckdb": "lower",
    "materialize": "lower",
    "trino": "lower",
    "athena": "lower",
    "bigquery": "preserve",
    "databricks": "preserve",
    "spark": "preserve",
    "sqlserver": "preserve",
    "fabric": "preserve",
    "synapse": "preserve",
    "clickhouse": "preserve",
    "mysql": "preserve",
}

# The platform's data-source type for an adapter, used when nothing else names the data source.
ADAPTER_DATA_SOURCE: dict[str, str] = {
    "postgres": "postgresql",
    "spark": "databricks",
    "fabric": "sqlserver",
    "synapse": "sqlserver",
}

MAPPABLE_TYPES = frozenset({"source", "seed", "model", "snapshot"})


class NamingError(ManifestError):
    """A node cannot be given a qualified name (not mappable, or a bad override)."""


@dataclass(frozen=True, order=True)
class QualifiedName:
    """``data_source.database.schema.identifier`` as the platform spells it."""

    data_source: str
    database: str
    schema: str
    identifier: str

    @property
    def full(self) -> str:
        return f"{self.data_source}.{self.database}.{self.schema}.{self.identifier}"

    @property
    def table_path(self) -> str:
        return f"{self.database}.{self.schema}.{self.identifier}"

    def __str__(self) -> str:
        return self.full


def default_data_source(adapter_type: str | None) -> str:
    """The data-source name assumed for an adapter when none is configured."""
    if not adapter_type:
        return "warehouse"
    return ADAPTER_DATA_SOURCE.get(adapter_type, adapter_type)


def fold(value: str, how: Fold) -> str:
    if how == "upper":
        return value.upper()
    if how == "lower":
        return value.lower()
    return value


def parse_qualified_name(text: str, where: str) -> QualifiedName:
    """Parse a written ``ds.db.schema.table`` override; ``where`` names its origin in errors."""
    parts = text.split(".", 3)
    if len(parts) != 4 or not all(parts):
        raise NamingError(
            f"{where}: qualified_name {text!r} must have four dot-separated parts",
            hint="write it as data_source.database.schema.table",
        )
    return QualifiedName(*parts)


class NameResolver:
    """Resolve unique_ids to qualified names for one target and one case mode."""

    def __init__(
        self,
        manifest: Manifest,
        target: str | None = None,
        data_sources: Mapping[str, str] | None = None,
        case: CaseMode | str = "auto",
    ) -> None:
        if case not in CASE_MODES:
            raise NamingError(
                f"naming case {case!r} is not one of {', '.join(CASE_MODES)}",
                hint="set naming.case in dbt_armor.yml to auto, upper, lower or preserve",
            )
        self.manifest = manifest
        self.target = target
        self.case: CaseMode = case  # type: ignore[assignment]
        adapter = manifest.metadata.adapter_type or ""
        self._fold: Fold = ADAPTER_CASE.get(adapter, "preserve") if case == "auto" else case  # type: ignore[assignment]
        sources = dict(data_sources or {})
        configured = sources.get(target) if target is not None else None
        self.default_source = configured or sources.get("*") or default_data_source(adapter)
        # How default_source was chosen, for reports ("what was checked and why").
        if configured:
            self.default_source_from = f"data_sources[{target!r}]"
        elif sources.get("*"):
            self.default_source_from = "data_sources['*']"
        else:
            self.default_source_from = f"adapter default ({adapter or 'unknown adapter'})"
        self._project_quoting = manifest.metadata.quoting or Quoting()

    def is_mappable(self, unique_id: str) -> bool:
        item = self.manifest.get(unique_id)
        if isinstance(item, Source):
            return True
        return isinstance(item, Node) and _node_mappable(item)

    def resolve(self, unique_id: str) -> QualifiedName:
        """The qualified name of a source, seed, model or snapshot; NamingError otherwise."""
        item = self.manifest.get(unique_id)
        if isinstance(item, Source):
            return self._name(item, item.identifier or item.name, item.quoting)
        if isinstance(item, Node):
            if not _node_mappable(item):
                why = "ephemeral" if item.is_ephemeral else item.resource_type
                raise NamingError(
                    f"{unique_id}: a {why} node has no table, so no qualified name",
                    hint="map only sources, seeds, snapshots and non-ephemeral models",
                )
            ident = item.alias or item.identifier or item.name
            return self._name(item, ident, item.config.quoting or Quoting())
        raise NamingError(
            f"{unique_id}: not found in {self.manifest.path or 'the manifest'}",
            hint="check the unique_id, or re-run `dbt parse`",
        )

    def data_source_origin(self, unique_id: str) -> str:
        """How the data source of ``unique_id``'s name is chosen (meta.armor or data_sources)."""
        item = self.manifest.get(unique_id)
        armor = item.armor_meta if isinstance(item, Node | Source) else {}
        for key in ("qualified_name", "data_source"):
            value = armor.get(key)
            if isinstance(value, str) and value:
                return f"meta.armor.{key}"
        return self.default_source_from

    def try_resolve(self, unique_id: str) -> QualifiedName | None:
        try:
            return self.resolve(unique_id)
        except NamingError:
            return None

    def resolve_many(self, unique_ids: Iterable[str]) -> dict[str, QualifiedName]:
        """Names for every mappable id in ``unique_ids`` (others are skipped)."""
        out: dict[str, QualifiedName] = {}
        for uid in unique_ids:
            name = self.try_resolve(uid)
            if name is not None:
                out[uid] = name
        return out

    def resolve_all(self, include_nodes: bool = True) -> dict[str, QualifiedName]:
        """Names for every enabled source (and seed/model/snapshot unless ``include_nodes``)."""
        ids = [uid for uid, s in self.manifest.sources.items() if s.enabled]
        if include_nodes:
            ids += [uid for uid, n in self.manifest.nodes.items() if _node_mappable(n)]
        return self.resolve_many(sorted(ids))

    def _name(self, item: Node | Source, identifier: str, quoting: Quoting) -> QualifiedName:
        armor = item.armor_meta
        override = armor.get("qualified_name")
        if isinstance(override, str) and override:
            return parse_qualified_name(override, item.unique_id)
        data_source = armor.get("data_source")
        if not isinstance(data_source, str) or not data_source:
            data_source = self.default_source
        if item.database is None or item.schema_ is None:
            raise NamingError(
                f"{item.unique_id}: the manifest gives no database or schema for it",
                hint="set meta.armor.qualified_name on it",
            )
        return QualifiedName(
            data_source,
            self._part(item.database, quoting.database, self._project_quoting.database),
            self._part(item.schema_, quoting.schema, self._project_quoting.schema),
            self._part(identifier, quoting.identifier, self._project_quoting.identifier),
        )

    def _part(self, value: str, own: bool | None, project: bool | None) -> str:
        # A part quoted on the node itself is always kept as written. In auto mode the
        # project-wide quoting (the adapter default) also counts; an explicit case mode is the
        # user's statement about the platform's spelling and overrides the project default.
        if own is not None:
            quoted = own
        else:
            quoted = bool(project) and self.case == "auto"
        return value if quoted else fold(value, self._fold)


def _node_mappable(node: Node) -> bool:
    return node.resource_type in MAPPABLE_TYPES and node.config.enabled and not node.is_ephemeral
