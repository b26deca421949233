"""Walks over the manifest DAG: upstream sources of a selection, ancestors, descendants, and the
node a generic test is about. Pure and iterative (no recursion, so deep DAGs are safe).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from dbt_armor.project.manifest import Manifest, Node


def parents_of(manifest: Manifest, unique_id: str) -> list[str]:
    """Direct parents: parent_map when the manifest has one, else ``depends_on.nodes``."""
    if manifest.parent_map:
        return manifest.parent_map.get(unique_id, [])
    item = manifest.nodes.get(unique_id) or manifest.exposures.get(unique_id)
    return list(item.depends_on.nodes) if item is not None else []


def _child_index(manifest: Manifest) -> dict[str, list[str]]:
    if manifest.child_map:
        return manifest.child_map
    index: dict[str, list[str]] = {}
    edges = [(uid, n.depends_on.nodes) for uid, n in manifest.nodes.items()]
    edges += [(uid, e.depends_on.nodes) for uid, e in manifest.exposures.items()]
    for uid, parents in edges:
        for parent in parents:
            index.setdefault(parent, []).append(uid)
    return index


def upstream_nodes(manifest: Manifest, ids: Iterable[str]) -> set[str]:
    """Every ancestor of ``ids`` (sources included, ``ids`` themselves excluded)."""
    start = set(ids)
    seen: set[str] = set()
    queue = deque(start)
    while queue:
        for parent in parents_of(manifest, queue.popleft()):
            if parent not in seen:
                seen.add(parent)
                queue.append(parent)
    return seen - start


def descendants(manifest: Manifest, ids: Iterable[str], include_tests: bool = False) -> set[str]:
    """Every descendant of ``ids`` (``ids`` excluded); tests only when ``include_tests``."""
    children = _child_index(manifest)
    start = set(ids)
    seen: set[str] = set()
    queue = deque(start)
    while queue:
        for child in children.get(queue.popleft(), []):
            if child not in seen:
                seen.add(child)
                queue.append(child)
    found = seen - start
    if not include_tests:
        found = {uid for uid in found if not _is_test(manifest, uid)}
    return found


def _is_test(manifest: Manifest, uid: str) -> bool:
    node = manifest.nodes.get(uid)
    return node.resource_type == "test" if node is not None else uid.startswith("test.")


def upstream_sources(manifest: Manifest, selected: Iterable[str]) -> dict[str, frozenset[str]]:
    """Map each source to the selected nodes that read it, directly or through any chain of
    other nodes (ephemeral, unselected or selected). Sources that feed nothing selected are
    absent. A selected source maps to itself.
    """
    memo: dict[str, frozenset[str]] = {}
    for uid in selected:
        _source_ancestors(manifest, uid, memo)
    feeds: dict[str, set[str]] = {}
    for uid in selected:
        for source in memo.get(uid, frozenset()):
            feeds.setdefault(source, set()).add(uid)
    return {source: frozenset(nodes) for source, nodes in sorted(feeds.items())}


def _source_ancestors(manifest: Manifest, root: str, memo: dict[str, frozenset[str]]) -> None:
    """Fill ``memo[uid]`` = sources among uid and its ancestors, for root and its ancestors.

    Iterative post-order DFS; each node is expanded once across all calls (shared memo).
    """
    stack: list[tuple[str, bool]] = [(root, False)]
    on_path: set[str] = set()
    while stack:
        uid, expanded = stack.pop()
        if uid in memo:
            continue
        if uid in manifest.sources:
            memo[uid] = frozenset((uid,))
            continue
        parents = parents_of(manifest, uid)
        if expanded:
            on_path.discard(uid)
            acc: set[str] = set()
            for parent in parents:
                acc |= memo.get(parent, frozenset())
            memo[uid] = frozenset(acc)
            continue
        if uid in on_path:  # a cycle (invalid manifest): treat the back edge as absent
            continue
        on_path.add(uid)
        stack.append((uid, True))
        stack.extend((p, False) for p in parents if p not in memo)


def tested_node_id(test: Node, manifest: Manifest) -> str | None:
    """The unique_id of the model/seed/snapshot/source a generic test is about.

    ``attached_node`` when dbt set it (it is null for tests on sources); otherwise the
    dependency named by ``file_key_name`` (``sources.<source_name>`` / ``models.<name>``);
    otherwise the only dependency, or the one that is not the ``to`` side of a relationship.
    """
    if test.attached_node:
        return test.attached_node
    deps = list(test.depends_on.nodes)
    if len(deps) == 1:
        return deps[0]
    kind, _, owner = (test.file_key_name or "").partition(".")
    matches = [d for d in deps if _owned_by(manifest, d, kind, owner)]
    if len(matches) == 1:
        return matches[0]
    parent = _match_to(test, manifest)
    rest = [d for d in (matches or deps) if d != parent]
    return rest[0] if len(rest) == 1 else None


def _owned_by(manifest: Manifest, uid: str, kind: str, owner: str) -> bool:
    source = manifest.sources.get(uid)
    if source is not None:
        return kind == "sources" and source.source_name == owner
    node = manifest.nodes.get(uid)
    return node is not None and kind != "sources" and node.name == owner


def relationship_parent_id(test: Node, manifest: Manifest) -> str | None:
    """For a relationships-style test, the dependency named by ``kwargs.to`` (the parent side),
    else the one dependency that is not the tested node (dependency order differs by engine).
    """
    found = _match_to(test, manifest)
    if found is not None:
        return found
    tested = tested_node_id(test, manifest)
    others = [d for d in test.depends_on.nodes if d != tested]
    return others[0] if len(others) == 1 else None


def _match_to(test: Node, manifest: Manifest) -> str | None:
    """Match the ``ref('x')`` / ``source('a', 'b')`` text of ``kwargs.to`` to a dependency."""
    to = ""
    if test.test_metadata is not None:
        to = str(test.test_metadata.kwargs.get("to") or "").strip()
    if not to:
        return None
    inner = to.split("(", 1)[-1].rsplit(")", 1)[0]
    names = [part.strip(" '\"") for part in inner.split(",")]
    for dep in test.depends_on.nodes:
        source = manifest.sources.get(dep)
        if (
            source is not None
            and to.startswith("source")
            and names[-2:]
            == [
                source.source_name,
                source.name,
            ]
        ):
            return dep
        node = manifest.nodes.get(dep)
        if node is not None and to.startswith("ref") and node.name in names:
            return dep
    return None
