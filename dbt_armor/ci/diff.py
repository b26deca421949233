"""What a pull request changes: the PR manifest compared with the production (state) manifest.

Pure over two decoded manifests (``load_for_diff`` is the one reading helper): the same idea as
dbt's ``state:modified+`` (new nodes, changed checksums, configs, relations, test arguments;
removed tests), computed without dbt or warehouse credentials.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dbt_armor.errors import ManifestError
from dbt_armor.project.manifest import Manifest, Node, Source, load_manifest

ASSET_TYPES = frozenset({"model", "seed", "snapshot"})


def load_for_diff(path: Path, role: str) -> Manifest:
    """Read one manifest of the comparison; ``role`` ('PR' / 'state') picks the fix in errors."""
    hint = (
        "download the production target/ (e.g. as a CI artifact) and pass --state <dir>"
        if role == "state"
        else "run `dbt parse` in the PR checkout first"
    )
    try:
        return load_manifest(path)
    except ManifestError as exc:
        raise ManifestError(f"the {role} manifest: {exc.message}", hint=hint) from None


@dataclass(frozen=True)
class Change:
    """One changed dbt node: what it is, how it changed, where it is defined."""

    unique_id: str
    resource_type: str
    kind: str  # new | modified | removed
    why: tuple[str, ...]
    file: str | None


@dataclass(frozen=True)
class ChangeSet:
    """The result of the comparison."""

    changes: tuple[Change, ...]
    modified_plus: frozenset[str]  # changed non-test nodes and everything below them
    upstream_sources: frozenset[str]  # sources read by modified_plus (transitively)
    exposures: frozenset[str] = field(default_factory=frozenset)  # exposures below the changes
    # nodes and sources whose tests were added, changed or removed; removed assets
    tested: frozenset[str] = field(default_factory=frozenset)
    removed: frozenset[str] = field(default_factory=frozenset)

    @property
    def sync_scope(self) -> frozenset[str]:
        """The node ids whose platform rules the merge can create, change or delete."""
        return self.modified_plus | self.upstream_sources | self.tested | self.removed

    def of_kind(self, resource_type: str, *kinds: str) -> list[Change]:
        return [c for c in self.changes if c.resource_type == resource_type and c.kind in kinds]


def _checksum(node: Node) -> str:
    return node.checksum.checksum if node.checksum is not None else ""


def _node_reasons(new: Node, old: Node) -> list[str]:
    why: list[str] = []
    if _checksum(new) != _checksum(old):
        why.append("body")
    if new.config_json != old.config_json:
        why.append("config")
    if (new.database, new.schema_, new.alias) != (old.database, old.schema_, old.alias):
        why.append("relation")
    if new.test_metadata != old.test_metadata:
        why.append("test arguments")
    if sorted(new.depends_on.nodes) != sorted(old.depends_on.nodes):
        why.append("dependencies")
    return why


def _source_reasons(new: Source, old: Source) -> list[str]:
    why: list[str] = []
    if (new.database, new.schema_, new.identifier) != (old.database, old.schema_, old.identifier):
        why.append("relation")
    if new.freshness != old.freshness or new.loaded_at_field != old.loaded_at_field:
        why.append("freshness")
    if new.config_json != old.config_json:
        why.append("config")
    return why


def _walk(start: Iterable[str], edges: Mapping[str, list[str]]) -> set[str]:
    seen: set[str] = set()
    queue = deque(start)
    while queue:
        for nxt in edges.get(queue.popleft(), ()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def compare(pr: Manifest, state: Manifest) -> ChangeSet:
    """Compare the PR manifest with the state manifest (pure)."""
    changes: list[Change] = []
    for uid, node in pr.nodes.items():
        old = state.nodes.get(uid)
        file = node.original_file_path or None  # generic tests: the YAML file that declares them
        if old is None:
            changes.append(Change(uid, node.resource_type, "new", ("new",), file))
        elif why := _node_reasons(node, old):
            changes.append(Change(uid, node.resource_type, "modified", tuple(why), file))
    for uid, old in state.nodes.items():
        if uid not in pr.nodes and old.resource_type in ASSET_TYPES | {"test"}:
            changes.append(
                Change(
                    uid, old.resource_type, "removed", ("removed",), old.original_file_path or None
                )
            )
    for uid, src in pr.sources.items():
        old_src = state.sources.get(uid)
        if old_src is None:
            changes.append(Change(uid, "source", "new", ("new",), src.original_file_path or None))
        elif why := _source_reasons(src, old_src):
            file = src.original_file_path or None
            changes.append(Change(uid, "source", "modified", tuple(why), file))

    roots = {
        c.unique_id
        for c in changes
        if c.kind != "removed" and c.resource_type in ASSET_TYPES | {"source"}
    }
    # A new or changed test selects nothing downstream but its tested node is in scope; a
    # removed test puts its node in the sync scope only (its platform rule would be deleted).
    tested: set[str] = set()
    for c in changes:
        if c.resource_type != "test":
            continue
        test = (state if c.kind == "removed" else pr).nodes[c.unique_id]
        ids = {test.attached_node} if test.attached_node else set(test.depends_on.nodes)
        tested.update(ids)
        if c.kind != "removed":
            roots.update(i for i in ids if i in pr.nodes)
    removed = frozenset(
        c.unique_id for c in changes if c.kind == "removed" and c.resource_type != "test"
    )
    below = roots | _walk(roots, pr.child_map or {})
    modified_plus = frozenset(
        u for u in below if u in pr.nodes and pr.nodes[u].resource_type in ASSET_TYPES
    )
    ancestors = _walk(modified_plus, pr.parent_map or {})
    changed_sources = {c.unique_id for c in changes if c.resource_type == "source"}
    upstream = frozenset(u for u in ancestors | changed_sources if u in pr.sources)
    exposures = frozenset(u for u in below if u in pr.exposures)
    order = {"source": 0, "seed": 1, "snapshot": 2, "model": 3, "test": 4}
    changes.sort(key=lambda c: (order.get(c.resource_type, 5), c.unique_id))
    return ChangeSet(tuple(changes), modified_plus, upstream, exposures, frozenset(tested), removed)
