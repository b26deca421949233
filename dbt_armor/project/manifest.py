"""Load dbt's manifest.json (schema v10-v12, later versions with a warning) into a lean typed
subset with msgspec. Owns the file, version checks and one-line errors; must not talk HTTP,
read the environment, or know about the platform.
"""

from __future__ import annotations

import gc
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
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
    Threshold,
    _Base,
)
from dbt_armor.project.inactive import DisabledConfig, DisabledNode, UnitTest, UnitTestConfig
from dbt_armor.project.nodes import Exposure, Node, Source, _as_dict

__all__ = [
    "Checksum",
    "DependsOn",
    "DisabledConfig",
    "DisabledNode",
    "Exposure",
    "ExposureOwner",
    "FreshnessRule",
    "Manifest",
    "Metadata",
    "Node",
    "NodeConfig",
    "Quoting",
    "Source",
    "SourceConfig",
    "TestMetadata",
    "Threshold",
    "UnitTest",
    "UnitTestConfig",
    "decode_manifest",
    "load_manifest",
    "read_manifest_bytes",
]

SUPPORTED_VERSIONS = (10, 11, 12)
_VERSION_RE = re.compile(r"/manifest/v(\d+)\.json")


class Metadata(_Base, omit_defaults=True):
    """``manifest.metadata``: what the reader checks and the lineage upload passes on."""

    dbt_schema_version: str = ""
    dbt_version: str | None = None
    project_name: str | None = None
    project_id: str | None = None
    user_id: str | None = None
    send_anonymous_usage_stats: bool | None = None
    adapter_type: str | None = None
    generated_at: str | None = None
    invocation_id: str | None = None
    invocation_started_at: str | None = None
    env: dict[str, Any] | None = None
    quoting: Quoting | None = None

    @property
    def schema_version(self) -> int | None:
        """The manifest schema number (12 for ``.../manifest/v12.json``), None if unknown."""
        match = _VERSION_RE.search(self.dbt_schema_version)
        return int(match.group(1)) if match else None


class Manifest(_Base, kw_only=True):
    """The typed subset of a manifest that every command reads (gate, map, sync, lineage, ci).

    ``path`` and ``warning`` are set by the loader. ``disabled`` maps a unique_id to its
    disabled versions (any resource type, lean ``DisabledNode``); ``unit_tests`` holds dbt unit
    tests. Neither is seen by ``get()`` or the graph walks. ``selectors`` holds the project's
    YAML selectors by name, as dbt stores them.
    """

    metadata: Metadata
    nodes: dict[str, Node] = msgspec.field(default_factory=dict)
    sources: dict[str, Source] = msgspec.field(default_factory=dict)
    exposures: dict[str, Exposure] = msgspec.field(default_factory=dict)
    raw_disabled: dict[str, list[DisabledNode]] | None = msgspec.field(
        default=None, name="disabled"
    )
    raw_unit_tests: dict[str, UnitTest] | None = msgspec.field(default=None, name="unit_tests")
    # The graph walks and ci read parent_map and child_map (lineage takes its edges from
    # depends_on): both kept as the manifest's bytes and decoded on first use.
    raw_parent_map: msgspec.Raw = msgspec.field(default=msgspec.Raw(b"null"), name="parent_map")
    parsed_parent_map: dict[str, list[str]] | None = msgspec.field(
        default=None, name="__armor_parsed_parent_map__"
    )
    raw_child_map: msgspec.Raw = msgspec.field(default=msgspec.Raw(b"null"), name="child_map")
    parsed_child_map: dict[str, list[str]] | None = msgspec.field(
        default=None, name="__armor_parsed_child_map__"
    )
    raw_selectors: dict[str, Any] | None = msgspec.field(default=None, name="selectors")
    path: str = ""
    warning: str | None = None

    def compact(self) -> None:
        """Drop repeated and empty values from every node (``Node.compact``): done by the
        lineage upload, which keeps the manifest while it builds; not while decoding, where
        every command would pay for it."""
        for node in self.nodes.values():
            node.compact()

    @property
    def adapter_type(self) -> str | None:
        return self.metadata.adapter_type

    @property
    def parent_map(self) -> dict[str, list[str]]:
        """unique_id -> parents, as dbt wrote it ({} when the manifest has none or null)."""
        if self.parsed_parent_map is None:
            self.parsed_parent_map = self._edges("parent_map", self.raw_parent_map)
        return self.parsed_parent_map

    @property
    def child_map(self) -> dict[str, list[str]]:
        """unique_id -> children, as dbt wrote it ({} when the manifest has none or null)."""
        if self.parsed_child_map is None:
            self.parsed_child_map = self._edges("child_map", self.raw_child_map)
        return self.parsed_child_map

    def _edges(self, name: str, raw: msgspec.Raw) -> dict[str, list[str]]:
        try:
            with paused_gc():
                return _EDGES.decode(raw) or {}
        except msgspec.DecodeError as exc:
            raise ManifestError(
                f"{self.path or 'manifest'}: {name} does not have the expected shape: {exc}",
                hint="regenerate the manifest with `dbt parse`",
            ) from None

    @property
    def selectors(self) -> dict[str, Any]:
        """name -> YAML selector as dbt stores it ({} when the project declares none)."""
        return self.raw_selectors or {}

    @property
    def disabled(self) -> dict[str, list[DisabledNode]]:
        """unique_id -> disabled versions ({} when the manifest has none or null)."""
        return self.raw_disabled or {}

    @property
    def unit_tests(self) -> dict[str, UnitTest]:
        """unique_id -> dbt unit test ({} before dbt 1.8 or when there are none)."""
        return self.raw_unit_tests or {}

    def disabled_tests(self) -> list[DisabledNode]:
        """Every disabled data test (all versions), sorted by unique_id."""
        found = [n for versions in self.disabled.values() for n in versions]
        return sorted((n for n in found if n.resource_type == "test"), key=lambda n: n.unique_id)

    def get(self, unique_id: str) -> Node | Source | Exposure | None:
        """Look a node, source or exposure up by unique_id."""
        found = self.nodes.get(unique_id) or self.sources.get(unique_id)
        return found if found is not None else self.exposures.get(unique_id)

    def of_type(self, *resource_types: str) -> list[Node]:
        """Enabled nodes whose resource_type is one of ``resource_types``."""
        return [n for n in self.nodes.values() if n.resource_type in resource_types]

    def generic_tests(self) -> list[Node]:
        return [n for n in self.nodes.values() if n.is_generic_test]


_DECODER = msgspec.json.Decoder(type=Manifest)
_EDGES = msgspec.json.Decoder(dict[str, list[str]] | None)
_PROBE = msgspec.json.Decoder(type=Any)


def load_manifest(path: str | Path) -> Manifest:
    """Read ``path`` into a :class:`Manifest`; raise ManifestError (one line) when unusable."""
    return decode_manifest(read_manifest_bytes(path), str(path))


def read_manifest_bytes(path: str | Path) -> bytes:
    """The bytes of the manifest file at ``path`` (ManifestError, one line, when unreadable)."""
    file = Path(path)
    try:
        return file.read_bytes()
    except FileNotFoundError:
        raise ManifestError(
            f"{file}: manifest not found", hint="run `dbt parse` first, or pass --manifest PATH"
        ) from None
    except IsADirectoryError:
        raise ManifestError(
            f"{file}: is a directory, expected manifest.json",
            hint="pass the file, e.g. target/manifest.json",
        ) from None
    except OSError as exc:
        raise ManifestError(f"{file}: cannot read manifest ({exc.strerror})") from None


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector around a large, cycle-free msgspec decode."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def decode_manifest(data: bytes, source: str = "<manifest>") -> Manifest:
    """Decode manifest bytes (``source`` names the file in errors).

    The cyclic garbage collector is paused while decoding: the decoded tree holds no cycles,
    and collections triggered by its hundreds of thousands of allocations tripled the time.
    """
    try:
        with paused_gc():
            manifest = _DECODER.decode(data)
    except msgspec.DecodeError as exc:
        if isinstance(exc, msgspec.ValidationError):
            _explain_shape_error(data, source, exc)
        raise ManifestError(
            f"{source}: expected JSON, found unreadable content ({exc})",
            hint="regenerate it with `dbt parse`",
        ) from None
    _check_version(manifest.metadata.dbt_schema_version, source)
    version = manifest.metadata.schema_version or 0
    if version > SUPPORTED_VERSIONS[-1]:
        manifest.warning = (
            f"read {manifest.metadata.dbt_schema_version}, newer than the v10-v12 dbt-armor "
            f"knows: read as v{SUPPORTED_VERSIONS[-1]}, fields it does not know are ignored "
            "(upgrade dbt-armor if names look wrong)"
        )
        _say_once(manifest.warning)
    manifest.path = source
    return manifest


_SAID: set[str] = set()


def _say_once(text: str) -> None:
    """Print a reader warning on stderr once per process (ci reads two manifests)."""
    if text not in _SAID:
        _SAID.add(text)
        print(f"dbt-armor: warning: {text}", file=sys.stderr)


def _explain_shape_error(data: bytes, source: str, exc: msgspec.ValidationError) -> None:
    """Raise the most useful ManifestError for a file that failed the manifest's types.

    The typed decoder can stop at a wrong type before reaching malformed JSON further on, so
    the untyped probe may still fail: that is unreadable content, not a shape problem.
    """
    try:
        doc = _PROBE.decode(data)
    except msgspec.DecodeError:
        raise ManifestError(
            f"{source}: expected JSON, found unreadable content ({exc})",
            hint="regenerate it with `dbt parse`",
        ) from None
    schema = ""
    if isinstance(doc, dict):
        schema = str(_as_dict(doc.get("metadata")).get("dbt_schema_version") or "")
    _check_version(schema, source)
    raise ManifestError(
        f"{source}: manifest does not have the expected shape: {exc}",
        hint="regenerate it with `dbt parse`",
    ) from None


def _check_version(schema: str, source: str) -> None:
    if "/manifest/" not in schema:
        found = f"an artifact with schema {schema}" if schema else "no manifest metadata"
        raise ManifestError(
            f"{source}: expected a dbt manifest.json, found {found}",
            hint="point --manifest at target/manifest.json",
        )
    match = _VERSION_RE.search(schema)
    if match is None:
        raise ManifestError(
            f"{source}: unknown manifest schema {schema!r}, expected .../manifest/v10-v12.json",
            hint="regenerate it with a current dbt (`dbt parse`)",
        )
    version = int(match.group(1))
    if version < SUPPORTED_VERSIONS[0]:
        raise ManifestError(
            f"{source}: manifest schema v{version} is too old, v10-v12 are supported",
            hint="regenerate it with dbt-core 1.6 or later (`dbt parse`)",
        )
