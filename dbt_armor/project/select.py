"""The one selector engine: a pure subset of dbt's node selection evaluated on a manifest.

Owns parsing --select/--exclude strings and resolving them (and YAML selectors, through
``project.selectors``) over the manifest graph for the gate, sync and tests; anything it
cannot evaluate exactly like dbt is a one-line UsageError, never a silent guess. No dbt, no files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase

from dbt_armor.errors import UsageError
from dbt_armor.project.graph import _child_index, parents_of
from dbt_armor.project.manifest import Exposure, Manifest, Node, Source, paused_gc
from dbt_armor.project.selectors import choose_selector, evaluate

SUPPORTED = "name, fqn:, tag:, path:, file:, source:, exposure:, package:, resource_type:, "
SUPPORTED += "config.materialized:"
_TYPES = "model analysis test snapshot operation seed rpc sql_operation doc source macro exposure"
RESOURCE_TYPES = frozenset(
    f"{_TYPES} metric group saved_query semantic_model unit_test fixture function".split(" ")
)
_SPEC = re.compile(
    r"\A(?P<at>@)?(?:(?P<pdepth>\d*)(?P<parents>\+))?(?:(?P<method>[\w.]+):)?"
    r"(?P<value>.*?)(?P<children>\+(?P<cdepth>\d*))?\Z"
)
_WILDCARDS = ("*", "?", "[", "]")
Item = Node | Source | Exposure


@dataclass(frozen=True)
class Criterion:
    """One selector such as ``2+tag:nightly+`` (method, value and graph operators)."""

    raw: str
    method: str
    value: str
    at: bool = False
    parents: bool = False
    parents_depth: int | None = None
    children: bool = False
    children_depth: int | None = None


def _default_method(value: str) -> str:
    if "/" in value or "\\" in value:
        return "path"
    if value.lower().endswith((".sql", ".py", ".csv")):
        return "file"
    return "fqn"


def parse_criterion(raw: str) -> Criterion:
    """Parse one selector; UsageError for a method this module cannot evaluate."""
    match = _SPEC.match(raw)
    if match is None or not match.group("value"):
        raise UsageError(f"invalid selector {raw!r}", hint="use e.g. +fct_orders or tag:nightly")
    value = match.group("value")
    method = match.group("method") or _default_method(value)
    supported = {"fqn", "tag", "path", "file", "source", "exposure", "package", "resource_type"}
    if method not in supported and method != "config.materialized":
        raise UsageError(
            f"selector method {method!r} (in {raw!r}) cannot be evaluated from the manifest",
            hint=f"use {SUPPORTED}; `dbt-armor gate` without --manifest lets dbt select",
        )
    if method == "resource_type" and value not in RESOURCE_TYPES:
        raise UsageError(f"invalid resource_type {value!r} in {raw!r}", hint="e.g. model, seed")
    if match.group("at") and match.group("children"):
        raise UsageError(f"selector {raw!r} combines @ and a trailing +", hint="use one of them")
    pdepth, cdepth = match.group("pdepth"), match.group("cdepth")
    return Criterion(
        raw=raw,
        method=method,
        value=value,
        at=bool(match.group("at")),
        parents=bool(match.group("parents")),
        parents_depth=int(pdepth) if pdepth else None,
        children=bool(match.group("children")),
        children_depth=int(cdepth) if cdepth else None,
    )


def parse_union(items: Sequence[str]) -> list[list[Criterion]]:
    """Space-separated parts are a union; comma-separated criteria within one are intersected."""
    parts = [part for item in items for part in item.split()]
    return [[parse_criterion(c) for c in part.split(",") if c] for part in parts]


def fqn_matches(fqn: Sequence[str], selector: str, versioned: bool = False) -> bool:
    """dbt's qualified-name match: the leaf name, a dotted fqn prefix, or a wildcard tail."""
    if not fqn:
        return False
    for names in (list(fqn), list(fqn[1:])):  # with and without the package name
        if names and _fqn_match_one(names, selector, versioned):
            return True
    return False


def _fqn_match_one(fqn: list[str], selector: str, versioned: bool) -> bool:
    wanted = selector.split(".")
    if versioned and len(fqn) >= 2:
        if fqn[-2] == selector or "_".join(fqn[-2:]) == "_".join(wanted[-2:]):
            return True
    elif fqn[-1] == selector:
        return True
    flat = [item for segment in fqn for item in segment.split(".")]
    if len(flat) < len(wanted):
        return False
    for i, part in enumerate(wanted):
        if any(w in part for w in _WILDCARDS):
            if fnmatchcase(".".join(flat[i:]), ".".join(wanted[i:])):
                return True
            leaf = fqn[-2] if versioned and len(fqn) >= 2 else fqn[-1]
            return "." not in selector and fnmatchcase(leaf, selector)
        if flat[i] != part:
            return False
    return True


def _path_matches(file_path: str, pattern: str) -> bool:
    """``path:``: the file itself or one of its folders matches the (glob) pattern."""
    want = [p for p in pattern.replace("\\", "/").strip("/").split("/") if p not in ("", ".")]
    have = [p for p in file_path.replace("\\", "/").split("/") if p]
    for end in range(1, len(have) + 1):
        head = have[:end]
        if len(head) == len(want) and all(
            fnmatchcase(h, w) for h, w in zip(head, want, strict=True)
        ):
            return True
    return False


def _versioned(item: Item) -> bool:
    parts = item.unique_id.split(".")
    return isinstance(item, Node) and len(parts) == 4 and item.fqn[-1:] == parts[-1:]


def _fqn(item: Item) -> list[str]:
    if isinstance(item, Exposure):
        return [item.package_name, item.name]
    return list(item.fqn)


def _matches(item: Item, crit: Criterion) -> bool:
    method, value = crit.method, crit.value
    if method == "fqn":
        return not isinstance(item, Source) and fqn_matches(_fqn(item), value, _versioned(item))
    if method == "tag":
        return any(fnmatchcase(tag, value) for tag in item.tags)
    if method == "path":
        return _path_matches(item.original_file_path, value)
    if method == "file":
        name = item.original_file_path.replace("\\", "/").rsplit("/", 1)[-1]
        return fnmatchcase(name, value) or fnmatchcase(name.rsplit(".", 1)[0], value)
    if method == "package":
        return fnmatchcase(item.package_name, value)
    if method == "resource_type":
        kind = "exposure" if isinstance(item, Exposure) else item.resource_type
        return kind == value
    if method == "config.materialized":
        return isinstance(item, Node) and item.config.materialized == value
    if method == "exposure":
        package, _, name = value.rpartition(".")
        return isinstance(item, Exposure) and _named(item, package, name, value)
    return isinstance(item, Source) and _source_matches(item, crit)


def _named(item: Exposure, package: str, name: str, raw: str) -> bool:
    if raw.count(".") > 1:
        raise UsageError(f"invalid exposure selector {raw!r}", hint="use exposure:NAME")
    return fnmatchcase(item.package_name, package or "*") and fnmatchcase(item.name, name)


def _source_matches(item: Source, crit: Criterion) -> bool:
    parts = crit.value.split(".")
    if len(parts) > 3:
        raise UsageError(
            f"invalid source selector {crit.raw!r}", hint="use source:NAME or source:NAME.TABLE"
        )
    if len(parts) == 3:
        package, source, table = parts
    else:
        package, source, table = "*", parts[0], parts[1] if len(parts) == 2 else "*"
    return (
        fnmatchcase(item.package_name, package)
        and fnmatchcase(item.source_name, source)
        and fnmatchcase(item.name, table)
    )


class Selector:
    """Resolves selections over one manifest (graph indexes are built once)."""

    def __init__(self, manifest: Manifest) -> None:
        self.manifest = manifest
        items: dict[str, Item] = {}
        with paused_gc():  # the first read of each node's config decodes it
            items.update((u, n) for u, n in manifest.nodes.items() if n.config.enabled)
        items.update((u, s) for u, s in manifest.sources.items() if s.enabled)
        items.update((u, e) for u, e in manifest.exposures.items() if e.config.enabled)
        self.items = items
        self._children = _child_index(manifest)

    def _walk(self, start: set[str], depth: int | None, up: bool) -> set[str]:
        found: set[str] = set()
        layer, level = set(start), 0
        while layer and (depth is None or level < depth):
            nxt: set[str] = set()
            for uid in layer:
                edges = parents_of(self.manifest, uid) if up else self._children.get(uid, [])
                nxt.update(e for e in edges if e not in found)
            found |= nxt
            layer, level = nxt, level + 1
        return found & self.items.keys()

    def criterion(self, crit: Criterion) -> set[str]:
        """Nodes matched by one selector, with its graph operators applied."""
        hit = {uid for uid, item in self.items.items() if _matches(item, crit)}
        extra: set[str] = set()
        if crit.at:
            with_children = self._walk(hit, None, up=False) | hit
            extra |= self._walk(with_children, None, up=True) | with_children
        if crit.parents:
            extra |= self._walk(hit, crit.parents_depth, up=True)
        if crit.children:
            extra |= self._walk(hit, crit.children_depth, up=False)
        return hit | extra

    def union(self, spec: list[list[Criterion]]) -> set[str]:
        out: set[str] = set()
        for part in spec:
            out |= set.intersection(*(self.criterion(c) for c in part)) if part else set()
        return out

    def spec(self, raw: str) -> set[str]:
        """Nodes matched by one single-spec string such as ``2+tag:nightly+``."""
        return self.criterion(parse_criterion(raw))

    def select(
        self,
        select: Sequence[str] = (),
        exclude: Sequence[str] = (),
        resource_types: Iterable[str] = ("model", "seed", "snapshot"),
        exclude_resource_types: Iterable[str] = (),
        selector: str | None = None,
    ) -> frozenset[str]:
        """What ``dbt ls --select .. --exclude .. --selector .. --resource-type ..`` would list
        (dbt's precedence: ``selector``, else a default YAML selector when there are no flags)."""
        yaml_name = choose_selector(self.manifest.selectors, selector, select, exclude)
        if yaml_name is not None:
            chosen = evaluate(self.manifest.selectors, yaml_name, self.spec)
        else:
            chosen = self.union(parse_union(select)) if select else set(self.items)
            chosen -= self.union(parse_union(exclude))
        kinds = set(resource_types) - set(exclude_resource_types)
        return frozenset(u for u in chosen if _kind(self.items[u]) in kinds)


def _kind(item: Item) -> str:
    return "exposure" if isinstance(item, Exposure) else item.resource_type


def select_nodes(
    manifest: Manifest,
    select: Sequence[str] = (),
    exclude: Sequence[str] = (),
    resource_types: Iterable[str] = ("model", "seed", "snapshot"),
    selector: str | None = None,
) -> frozenset[str]:
    """One-shot :meth:`Selector.select`."""
    return Selector(manifest).select(select, exclude, resource_types, selector=selector)


SCOPE_TYPES = ("model", "seed", "snapshot", "source")


def select_scope(
    manifest: Manifest,
    select: Sequence[str] = (),
    exclude: Sequence[str] = (),
    selector: str | None = None,
) -> frozenset[str] | None:
    """The models, seeds, snapshots and sources a command is limited to (``sync``), or None
    when nothing limits it: no flag and no default YAML selector."""
    if choose_selector(manifest.selectors, selector, select, exclude) is None and not (
        select or exclude
    ):
        return None
    return select_nodes(manifest, select, exclude, SCOPE_TYPES, selector)
