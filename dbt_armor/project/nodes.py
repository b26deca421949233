"""Typed structs for the manifest entries dbt-armor reads: nodes, sources, exposures (the small
values inside them, configs and checksums, are in ``project.configs``).

Owns normalising dbt's quirks per entry (null-dict freshness, config.meta vs meta, severity
case, tags as str or list). Must not read files, talk HTTP or know about the platform.
"""

from __future__ import annotations

from typing import Any

import msgspec

from dbt_armor.errors import ManifestError
from dbt_armor.project.configs import (
    Checksum,
    DependsOn,
    ExposureOwner,
    FreshnessRule,
    NodeConfig,
    Quoting,
    SourceConfig,
    TestMetadata,
    _Base,
    _MetaOnlyConfig,
)


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _layer(base: Any, top: Any) -> dict[str, Any]:
    """Shallow-merge two meta dicts (``top`` wins), except that ``armor`` dicts merge by key."""
    merged = {**_as_dict(base), **_as_dict(top)}
    low, high = _as_dict(base).get("armor"), _as_dict(top).get("armor")
    if isinstance(low, dict) and isinstance(high, dict):
        merged["armor"] = {**low, **high}
    return merged


def _as_tags(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value] if isinstance(value, list) else []


_EMPTY_CONFIG = msgspec.Raw(b"{}")
_NULL = msgspec.Raw(b"null")
_PARSED_CONFIG = "__armor_parsed_config__"  # a JSON name no artifact uses: set after decoding


class _Armored(_Base):
    """Shared accessors for anything that carries ``meta`` and ``tags``.

    ``raw_meta`` / ``raw_tags`` are the top-level JSON values (may be null); ``meta`` and
    ``tags`` merge them with the config's on access (config.meta wins), so decoding stays cheap.
    """

    raw_meta: dict[str, Any] | None = msgspec.field(default=None, name="meta")
    raw_tags: list[str] | str | None = msgspec.field(default=None, name="tags")

    def _config_layers(self) -> tuple[Any, Any]:
        """(config.meta, config.tags) of this entry; overridden where a config exists."""
        return None, None

    @property
    def meta(self) -> dict[str, Any]:
        """The merged meta dict: config.meta over top-level meta (``armor`` merged by key)."""
        config_meta = self._config_layers()[0]
        if not config_meta:
            return _as_dict(self.raw_meta)
        if not self.raw_meta:
            return _as_dict(config_meta)
        return _layer(self.raw_meta, config_meta)

    @property
    def tags(self) -> list[str]:
        """Top-level and config tags, sorted and de-duplicated."""
        config_tags = self._config_layers()[1]
        if not config_tags and isinstance(self.raw_tags, list):
            return self.raw_tags
        return sorted(set(_as_tags(self.raw_tags)) | set(_as_tags(config_tags)))

    @property
    def armor_meta(self) -> dict[str, Any]:
        """The ``meta.armor`` dict ({} if absent or not a dict)."""
        return _as_dict(self.meta.get("armor"))


class Node(_Armored, kw_only=True):
    """A model, seed, snapshot, test, analysis or operation from ``manifest.nodes``."""

    unique_id: str
    resource_type: str
    name: str = ""
    package_name: str = ""
    database: str | None = None
    schema_: str | None = msgspec.field(default=None, name="schema")
    alias: str | None = None
    identifier: str | None = None
    relation_name: str | None = None
    fqn: list[str] = msgspec.field(default_factory=list)
    original_file_path: str = ""
    path: str = ""
    raw_config: msgspec.Raw = msgspec.field(default=_EMPTY_CONFIG, name="config")
    parsed_config: NodeConfig | None = msgspec.field(default=None, name=_PARSED_CONFIG)
    depends_on: DependsOn = msgspec.field(default_factory=DependsOn)
    # Read by sync (test_metadata) and ci (checksum) only: kept as the manifest's bytes and
    # decoded on first use, so gate, map and lineage never build them (half the nodes are tests).
    raw_test_metadata: msgspec.Raw = msgspec.field(default=_NULL, name="test_metadata")
    attached_node: str | None = None
    column_name: str | None = None
    file_key_name: str | None = None
    raw_checksum: msgspec.Raw = msgspec.field(default=_NULL, name="checksum")
    lazy: dict[str, Any] | None = msgspec.field(default=None, name="__armor_lazy_fields__")

    def compact(self) -> None:
        """Drop what repeats for nothing: an alias equal to the name becomes the name itself,
        and empty meta/tags become null (they read the same). Same values, less memory for a
        caller that keeps every node while building more (the lineage upload)."""
        if self.alias == self.name:
            self.alias = self.name
        if not self.raw_meta:
            self.raw_meta = None
        if not self.raw_tags:
            self.raw_tags = None

    @property
    def test_metadata(self) -> TestMetadata | None:
        """A generic test's name, arguments and namespace (None for other nodes)."""
        found: TestMetadata | None = self._lazy("test_metadata", _TEST_METADATA)
        return found

    @property
    def checksum(self) -> Checksum | None:
        """dbt's checksum of the node's file (ci's state comparison)."""
        found: Checksum | None = self._lazy("checksum", _CHECKSUM)
        return found

    def _lazy(self, name: str, decoder: msgspec.json.Decoder[Any]) -> Any:
        cache = self.lazy = self.lazy if self.lazy is not None else {}
        if name not in cache:
            raw = getattr(self, f"raw_{name}")
            cache[name] = _decode_field(decoder, raw, self.unique_id, name)
        return cache[name]

    @property
    def config(self) -> NodeConfig:
        """The typed config, decoded on first use. ``raw_config`` points into the manifest's
        bytes, which stay in memory as long as the node does."""
        parsed = self.parsed_config
        if parsed is None:
            parsed = self.parsed_config = _decode_config(_NODE_CONFIG, self)
        return parsed

    def read_config(self) -> NodeConfig:
        """The typed config without keeping it on the node (a caller reading each node once,
        as the lineage upload does, need not hold tens of thousands of configs)."""
        parsed = self.parsed_config
        return parsed if parsed is not None else _decode_config(_NODE_CONFIG, self)

    @property
    def config_json(self) -> bytes:
        """The config exactly as dbt wrote it (``ci`` compares it byte for byte)."""
        return bytes(self.raw_config)

    def _config_layers(self) -> tuple[Any, Any]:
        return self.config.meta, self.config.tags

    @property
    def materialized(self) -> str | None:
        return self.config.materialized

    @property
    def is_ephemeral(self) -> bool:
        return self.config.materialized == "ephemeral"

    @property
    def severity(self) -> str:
        """Test severity in lower case (dbt keeps user case, v2 uppercases); default "error"."""
        return (self.config.severity or "error").strip().lower()

    @property
    def is_generic_test(self) -> bool:
        return self.resource_type == "test" and self.test_metadata is not None


class Source(_Armored, kw_only=True):
    """A source table from ``manifest.sources``."""

    unique_id: str
    resource_type: str = "source"
    source_name: str = ""
    name: str = ""
    package_name: str = ""
    database: str | None = None
    schema_: str | None = msgspec.field(default=None, name="schema")
    identifier: str | None = None
    relation_name: str | None = None
    loaded_at_field: str | None = None
    loaded_at_query: str | None = None
    freshness: FreshnessRule | None = None
    fqn: list[str] = msgspec.field(default_factory=list)
    original_file_path: str = ""
    quoting: Quoting = msgspec.field(default_factory=Quoting)
    raw_config: msgspec.Raw = msgspec.field(default=_EMPTY_CONFIG, name="config")
    config: SourceConfig = msgspec.field(default_factory=SourceConfig, name=_PARSED_CONFIG)
    source_meta: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        # Sources are few and their config feeds the fields below: decode it now.
        self.config = _decode_config(_SOURCE_CONFIG, self)
        # Older manifests keep source-level meta apart: it is the lowest layer.
        if isinstance(self.source_meta, dict) and self.source_meta:
            self.raw_meta = _layer(self.source_meta, self.raw_meta)
        rule = self.freshness if self.freshness is not None else self.config.freshness
        self.freshness = rule if rule is not None and rule.configured else None
        if self.loaded_at_field is None:
            self.loaded_at_field = self.config.loaded_at_field

    def _config_layers(self) -> tuple[Any, Any]:
        return self.config.meta, self.config.tags

    @property
    def enabled(self) -> bool:
        return self.config.enabled

    @property
    def config_json(self) -> bytes:
        """The config exactly as dbt wrote it (``ci`` compares it byte for byte)."""
        return bytes(self.raw_config)


class Exposure(_Armored, kw_only=True):
    """An exposure (dashboard, application...) from ``manifest.exposures``."""

    unique_id: str
    resource_type: str = "exposure"
    name: str = ""
    type: str | None = None
    owner: ExposureOwner = msgspec.field(default_factory=ExposureOwner)
    url: str | None = None
    label: str | None = None
    maturity: str | None = None
    package_name: str = ""
    fqn: list[str] = msgspec.field(default_factory=list)
    depends_on: DependsOn = msgspec.field(default_factory=DependsOn)
    original_file_path: str = ""
    config: _MetaOnlyConfig = msgspec.field(default_factory=_MetaOnlyConfig)

    def _config_layers(self) -> tuple[Any, Any]:
        return self.config.meta, None


_NODE_CONFIG = msgspec.json.Decoder(NodeConfig)
_SOURCE_CONFIG = msgspec.json.Decoder(SourceConfig)
_TEST_METADATA = msgspec.json.Decoder(TestMetadata | None)
_CHECKSUM = msgspec.json.Decoder(Checksum | None)


def _decode_field(
    decoder: msgspec.json.Decoder[Any], raw: msgspec.Raw, unique_id: str, name: str
) -> Any:
    """Decode one lazily kept field of a node; a wrong shape is a one-line ManifestError."""
    try:
        return decoder.decode(raw)
    except msgspec.DecodeError as exc:
        raise ManifestError(
            f"{unique_id}: {name} does not have the expected shape: {exc}",
            hint="regenerate the manifest with `dbt parse`",
        ) from None


def _decode_config(decoder: msgspec.json.Decoder[Any], entry: Node | Source) -> Any:
    """Decode one entry's raw ``config``; a wrong shape is a one-line ManifestError."""
    return _decode_field(decoder, entry.raw_config, entry.unique_id, "config")
