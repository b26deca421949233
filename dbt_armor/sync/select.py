"""Simple dbt-style selection for scoping a sync plan (pure).

Supports node names (globs allowed), ``tag:``, ``path:``, ``source:``, ``package:``,
``resource_type:`` and unique_ids, space- or comma-free; no graph operators. No I/O.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from typing import Any

from dbt_armor.errors import UsageError
from dbt_armor.sync.inputs import get

_TYPES = ("model", "seed", "snapshot")


def _candidates(manifest: Any) -> dict[str, Any]:
    out = {
        uid: node
        for uid, node in (get(manifest, "nodes", {}) or {}).items()
        if get(node, "resource_type") in _TYPES
    }
    out.update(get(manifest, "sources", {}) or {})
    return out


def _matches(uid: str, node: Any, selector: str) -> bool:
    method, sep, value = selector.partition(":")
    if not sep:
        method, value = "name", selector
    is_source = uid.startswith("source.")
    name = (
        f"{get(node, 'source_name', '')}.{get(node, 'name', '')}"
        if is_source
        else str(get(node, "name", ""))
    )
    if method == "name":
        return uid == value or fnmatch.fnmatchcase(name, value)
    if method == "tag":
        tags = set(get(node, "tags", ()) or ()) | set(
            get(get(node, "config", {}), "tags", ()) or ()
        )
        return value in tags
    if method == "path":
        path = str(get(node, "original_file_path", ""))
        return path == value or path.startswith(value.rstrip("/") + "/")
    if method == "source":
        return is_source and (name == value or name.split(".")[0] == value)
    if method == "package":
        return str(get(node, "package_name", "")) == value
    if method == "resource_type":
        return uid.split(".", 1)[0] == value
    raise UsageError(
        f"unsupported selector method {method!r} in {selector!r}",
        hint="use a name, tag:, path:, source:, package: or resource_type:",
    )


def select_nodes(
    manifest: Any, select: Iterable[str], exclude: Iterable[str]
) -> frozenset[str] | None:
    """The selected node/source ids, or ``None`` when neither option was given (no scope)."""
    sel = [s for item in select for s in item.split()]
    exc = [s for item in exclude for s in item.split()]
    if not sel and not exc:
        return None
    nodes = _candidates(manifest)
    chosen = {uid for uid, n in nodes.items() if not sel or any(_matches(uid, n, s) for s in sel)}
    chosen -= {uid for uid in chosen if any(_matches(uid, nodes[uid], s) for s in exc)}
    return frozenset(chosen)
