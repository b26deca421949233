"""Reads the few manifest fields sync needs into small typed values (pure).

Works on the project loader's typed nodes and on plain decoded-JSON dicts alike; it must not
load files, resolve qualified names or decide any mapping.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

_SOURCE_CALL = re.compile(r"source\(\s*['\"]([^'\"]+)['\"]\s*,\s*['\"]([^'\"]+)['\"]\s*\)")
_REF_CALL = re.compile(r"ref\(\s*['\"]([^'\"]+)['\"](?:\s*,\s*['\"]([^'\"]+)['\"])?\s*\)")


_MISSING = object()


def get(obj: Any, name: str, default: Any = None) -> Any:
    """``obj.name`` or ``obj[name]``; ``default`` when missing or ``None``."""
    if obj is None:
        return default
    if isinstance(obj, dict):
        value = obj.get(name, default)
    else:
        value = getattr(obj, name, _MISSING)
        if value is _MISSING:
            value = obj.get(name, default) if isinstance(obj, Mapping) else default
    return default if value is None else value


def as_dict(obj: Any) -> dict[str, Any]:
    if obj is None:
        return {}
    if isinstance(obj, Mapping):
        return dict(obj)
    fields = getattr(obj, "__struct_fields__", None) or getattr(obj, "__dataclass_fields__", None)
    if fields:
        return {name: getattr(obj, name) for name in fields}
    return dict(vars(obj)) if hasattr(obj, "__dict__") else {}


@dataclass(frozen=True)
class TestInput:
    """One dbt test node, reduced to what the translator reads."""

    unique_id: str
    name: str
    test_name: str | None  # None = singular test
    namespace: str | None
    kwargs: Mapping[str, Any]
    column: str | None
    depends_on: tuple[str, ...]
    attached_node: str | None
    severity: str
    where: str | None
    warn_if: str
    error_if: str
    enabled: bool
    meta: Mapping[str, Any]
    tags: tuple[str, ...]
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def armor(self) -> Mapping[str, Any]:
        value = self.meta.get("armor")
        return value if isinstance(value, Mapping) else {}


def _meta(node: Any, config: Any) -> dict[str, Any]:
    cfg_meta = get(config, "meta", {})
    top = get(node, "meta", {})
    merged = dict(as_dict(top))
    merged.update(as_dict(cfg_meta))
    return merged


def read_test(node: Any, *, enabled_default: bool = True) -> TestInput:
    config = get(node, "config", {})
    tm = get(node, "test_metadata")
    kwargs = as_dict(get(tm, "kwargs", {})) if tm is not None else {}
    column = get(node, "column_name") or kwargs.get("column_name")
    tags = tuple(str(t) for t in get(node, "tags", ()) or ())
    deps = get(get(node, "depends_on", {}), "nodes", ()) or ()
    return TestInput(
        unique_id=str(get(node, "unique_id", "")),
        name=str(get(node, "name", "")),
        test_name=str(get(tm, "name")) if tm is not None and get(tm, "name") else None,
        namespace=get(tm, "namespace") if tm is not None else None,
        kwargs=kwargs,
        column=str(column) if column else None,
        depends_on=tuple(str(d) for d in deps),
        attached_node=get(node, "attached_node"),
        severity=str(get(config, "severity", "ERROR")),
        where=get(config, "where"),
        warn_if=str(get(config, "warn_if", "!= 0")),
        error_if=str(get(config, "error_if", "!= 0")),
        enabled=bool(get(config, "enabled", enabled_default)),
        meta=_meta(node, config),
        tags=tags,
    )


def iter_tests(manifest: Any) -> Iterator[TestInput]:
    """Every test node, enabled ones from ``nodes`` then disabled ones from ``disabled``."""
    for node in (get(manifest, "nodes", {}) or {}).values():
        if get(node, "resource_type") == "test":
            yield read_test(node)
    for versions in (get(manifest, "disabled", {}) or {}).values():
        for node in versions or ():
            if get(node, "resource_type") == "test":
                yield read_test(node, enabled_default=False)


def tested_node(test: TestInput, manifest: Any) -> str | None:
    """The unique_id of the node a test is attached to (sources have no attached_node)."""
    if test.attached_node:
        return test.attached_node
    model_arg = str(test.kwargs.get("model") or "")
    match = _SOURCE_CALL.search(model_arg)
    if match:
        suffix = f".{match.group(1)}.{match.group(2)}"
        for dep in test.depends_on:
            if dep.startswith("source.") and dep.endswith(suffix):
                return dep
    match = _REF_CALL.search(model_arg)
    if match:
        name = match.group(2) or match.group(1)
        nodes = get(manifest, "nodes", {}) or {}
        for dep in test.depends_on:
            if get(nodes.get(dep), "name") == name:
                return dep
    non_macro = [d for d in test.depends_on if not d.startswith("macro.")]
    return non_macro[0] if len(non_macro) == 1 else None


def parent_node(test: TestInput, child: str) -> str | None:
    """For a relationships test: the depends_on entry that is not the tested node."""
    others = [d for d in test.depends_on if d != child and not d.startswith("macro.")]
    if others:
        return others[0]
    return child if child in test.depends_on else None


def node_label(manifest: Any, unique_id: str) -> str:
    """A short human name for a node or source: ``orders`` or ``raw.orders``."""
    source = (get(manifest, "sources", {}) or {}).get(unique_id)
    if source is not None:
        return f"{get(source, 'source_name', '')}.{get(source, 'name', '')}"
    node = (get(manifest, "nodes", {}) or {}).get(unique_id)
    if node is not None:
        return str(get(node, "name", unique_id))
    return unique_id.split(".")[-1]
