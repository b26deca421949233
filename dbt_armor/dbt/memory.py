"""Our manifest from dbt's in-memory Manifest, so an in-process run need not write manifest.json
before the gate (dbt writes it again after the run anyway).

Owns turning dbt's objects into manifest JSON for the sections dbt-armor reads; the one reader,
``project.manifest.decode_manifest``, then decodes those bytes like a file. Imports dbt lazily.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec

from dbt_armor.errors import DbtError
from dbt_armor.project.manifest import Manifest, decode_manifest

# The top-level manifest sections project.manifest.Manifest decodes; the rest (macros, docs,
# metrics, semantic models...) are never read and never encoded.
SECTIONS = ("nodes", "sources", "exposures", "disabled", "unit_tests", "selectors")


def _serialized(value: Any) -> Any:
    """msgspec's hook for a type it cannot encode natively: what dbt's own serializer writes
    for a value that declares it (``_serialize``, e.g. dbt's validated identifier strings),
    the text of a str subclass; anything else is refused rather than guessed."""
    serialize = getattr(type(value), "_serialize", None)
    if callable(serialize):
        return serialize(value)
    if isinstance(value, str):  # a plain str subclass (dbt's Severity): JSON has the text
        return str(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


_ENCODER = msgspec.json.Encoder(enc_hook=_serialized)


def manifest_bytes(dbt_manifest: Any) -> bytes:
    """Manifest JSON for dbt-armor's sections of dbt's Manifest object.

    dbt's node objects are dataclasses whose field names are the artifact's keys, so msgspec
    encodes them directly (far cheaper than dbt's own ``to_dict``); ``metadata`` is small and
    goes through dbt's serializer so its timestamps read exactly as in the file. Raises
    DbtError when an object is not plainly encodable (the caller then lets dbt write the file).
    """
    _refuse_kept_apart(dbt_manifest)
    dbt_manifest.build_parent_and_child_maps()  # what dbt does before writing the file
    dbt_manifest.fill_tracking_metadata()
    doc: dict[str, Any] = {name: getattr(dbt_manifest, name, None) for name in SECTIONS}
    doc["parent_map"] = dbt_manifest.parent_map
    doc["child_map"] = dbt_manifest.child_map
    try:
        doc["metadata"] = dbt_manifest.metadata.to_dict()
        return _ENCODER.encode(doc)
    except (TypeError, ValueError, AttributeError) as exc:
        raise DbtError(f"dbt's in-memory manifest could not be read directly: {exc}") from exc


def _entries(dbt_manifest: Any) -> Iterator[Any]:
    for name in ("nodes", "sources", "exposures", "unit_tests"):
        yield from (getattr(dbt_manifest, name, None) or {}).values()
    for versions in (getattr(dbt_manifest, "disabled", None) or {}).values():
        yield from versions


def _refuse_kept_apart(dbt_manifest: Any) -> None:
    """dbt keeps config keys its schema does not declare in ``config._extra`` and writes them
    as ordinary config keys; encoded directly they would sit under ``_extra`` where the reader
    does not look (e.g. a source's ``config.freshness`` on a dbt that does not declare it).
    Any such key sends the caller to the file dbt writes."""
    for entry in _entries(dbt_manifest):
        kept = getattr(getattr(entry, "config", None), "_extra", None)
        if kept:
            uid = getattr(entry, "unique_id", "?")
            raise DbtError(f"{uid}: config keys {sorted(kept)} are kept apart by dbt")


def typed_manifest(dbt_manifest: Any, path: Path) -> Manifest:
    """The typed subset of ``dbt_manifest``, as if read from ``path`` (named in messages)."""
    return decode_manifest(manifest_bytes(dbt_manifest), str(path))


def artifact_hooks(project_name: str) -> bool:
    """True when an installed dbt plugin writes artifacts alongside manifest.json: dbt writes
    them only when it writes the manifest, so the parse must then write it as usual."""
    try:
        from dbt.plugins import get_plugin_manager

        return bool(get_plugin_manager(project_name).hooks.get("get_manifest_artifacts"))
    except Exception:  # an unknown plugin API: behave as dbt does and write the manifest
        return True
