"""Translate a dbt manifest's tests and source freshness configs into rule specs (pure).

Everything that does not become a platform object is listed as unmapped with a reason. No HTTP,
no environment, no clock; names come from the ``resolve`` callable given by the caller.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any, Protocol

from dbt_armor.errors import ArmorError, PlanError
from dbt_armor.sync import freshness
from dbt_armor.sync.inputs import (
    TestInput,
    get,
    iter_tests,
    node_label,
    parent_node,
    tested_node,
)
from dbt_armor.sync.keys import args_suffix, base_key, canonical_hash
from dbt_armor.sync.mappings import TABLE, Mapped, NotMappable, lookup
from dbt_armor.sync.specs import Kind, RuleSpec, Translation, Unmapped
from dbt_armor.sync.testconfig import config_effects


class Located(Protocol):
    """What a name resolver returns (``dbt_armor.project.naming.QualifiedName``)."""

    @property
    def data_source(self) -> str: ...

    @property
    def table_path(self) -> str: ...


Resolve = Callable[[str], Located]


class _Skip(Exception):
    pass


def translate(manifest: Any, resolve: Resolve) -> Translation:
    """Every generic test on a model, seed, snapshot or source, plus source freshness."""
    specs: list[RuleSpec] = []
    explicit: set[str] = set()
    unmapped: list[Unmapped] = []
    warnings: list[str] = []
    for test in sorted(iter_tests(manifest), key=lambda t: t.unique_id):
        try:
            spec = _translate_test(test, manifest, resolve)
        except _Skip as skip:
            unmapped.append(Unmapped(test.unique_id, test.name, str(skip), _node_or_none(test)))
            continue
        if test.armor.get("key"):
            explicit.add(spec.key)
        specs.append(spec)
    f_specs, f_unmapped = freshness.translate_sources(manifest, resolve)
    specs.extend(f_specs)
    unmapped.extend(f_unmapped)
    unmapped.extend(_unit_tests(manifest))
    specs = _disambiguate(specs, explicit, unmapped, warnings)
    for spec in specs:
        warnings.extend(f"{spec.key}: {n}" for n in spec.notes if n.startswith("not carried"))
    return Translation(tuple(specs), tuple(unmapped), tuple(warnings))


def _node_or_none(test: TestInput) -> str | None:
    return test.attached_node or None


def _translate_test(test: TestInput, manifest: Any, resolve: Resolve) -> RuleSpec:
    if not test.enabled:
        raise _Skip("disabled (enabled: false)")
    if test.armor.get("sync") is False:
        raise _Skip("meta.armor.sync is false")
    if test.test_name is None:
        raise _Skip("singular test: its SQL has no platform rule equivalent")
    mapper = lookup(test.namespace, test.test_name)
    qualified = f"{test.namespace}.{test.test_name}" if test.namespace else test.test_name
    if mapper is None:
        raise _Skip(f"no mapping for generic test {qualified}")
    node_id = tested_node(test, manifest)
    if node_id is None:
        raise _Skip("cannot tell which node the test is attached to")
    try:
        mapped = mapper(test.kwargs, test.column)
    except NotMappable as exc:
        raise _Skip(f"{qualified}: {exc}") from exc
    where = _locate(resolve, node_id)
    effects = config_effects(mapped.kind, test)
    config = {
        k: v.replace(TABLE, where.table_path) if isinstance(v, str) else v
        for k, v in mapped.config.items()
    }
    config.update(effects.config)
    parent: dict[str, Any] = {}
    if mapped.kind is Kind.REFERENTIAL:
        parent = _parent(node_id, where.data_source, test, mapped, resolve)
    custom_key = test.armor.get("key")
    column_key = None if mapped.table_level else test.column
    return RuleSpec(
        key=str(custom_key)
        if custom_key
        else base_key(node_id, column_key, test.namespace, test.test_name),
        kind=mapped.kind,
        node_id=node_id,
        data_source=where.data_source,
        table_path=where.table_path,
        column=mapped.column,
        rule_type=mapped.rule_type,
        test_name=qualified,
        label=node_label(manifest, node_id),
        config=config,
        severity=effects.severity,
        alert_threshold_percent=mapped.alert_threshold_percent,
        treat_null_as_valid=_null_is_valid(mapped),
        max_orphan_count=effects.max_orphan_count,
        test_id=test.unique_id,
        tags=test.tags,
        notes=mapped.notes + effects.notes,
        **parent,
    )


def _null_is_valid(mapped: Mapped) -> bool | None:
    """dbt tests other than not_null only look at non-null values (``not in``/``not(...)``
    leave NULL rows out), while the platform counts NULLs as invalid unless told otherwise."""
    if mapped.kind is not Kind.VALIDITY:
        return None
    if mapped.treat_null_as_valid is not None:
        return mapped.treat_null_as_valid
    return mapped.rule_type != "NOT_NULL"


def _parent(
    node_id: str, data_source: str, test: TestInput, mapped: Mapped, resolve: Resolve
) -> dict[str, Any]:
    parent = parent_node(test, node_id)
    if parent is None:
        raise _Skip("relationships: the `to` node is not in depends_on")
    where = _locate(resolve, parent)
    if where.data_source != data_source:
        raise _Skip(f"relationships across data sources ({data_source} -> {where.data_source})")
    return {
        "parent_node_id": parent,
        "parent_table_path": where.table_path,
        "parent_column": mapped.parent_column,
    }


def _locate(resolve: Resolve, unique_id: str) -> Located:
    try:
        return resolve(unique_id)
    except ArmorError as exc:
        raise _Skip(f"cannot resolve the platform name of {unique_id}: {exc}") from exc


def _unit_tests(manifest: Any) -> Iterable[Unmapped]:
    for uid, test in sorted((get(manifest, "unit_tests", {}) or {}).items()):
        reason = "dbt unit test: runs on fixture rows at build time, not on live data"
        yield Unmapped(uid, str(get(test, "name", uid)), reason, None)


def _disambiguate(
    specs: list[RuleSpec], explicit: set[str], unmapped: list[Unmapped], warnings: list[str]
) -> list[RuleSpec]:
    """Same-named tests on one node/column get a deterministic argument-hash suffix."""
    groups: dict[str, list[RuleSpec]] = {}
    for spec in specs:
        groups.setdefault(spec.key, []).append(spec)
    clashes = [k for k in groups if len(groups[k]) > 1 and k in explicit]
    if clashes:
        raise PlanError(
            f"duplicate meta.armor.key value(s): {', '.join(sorted(clashes))}",
            hint="give each test its own meta.armor.key",
        )
    out: list[RuleSpec] = []
    for key, group in groups.items():
        if len(group) == 1:
            out.append(group[0])
            continue
        seen: dict[str, RuleSpec] = {}
        for spec in group:
            suffix = args_suffix(_identity_args(spec))
            new_key = f"{key}~{suffix}"
            if new_key in seen:
                unmapped.append(
                    Unmapped(
                        spec.test_id or key,
                        spec.test_name,
                        f"duplicate of {seen[new_key].test_id}",
                        spec.node_id,
                    )
                )
                continue
            seen[new_key] = replace(spec, key=new_key)
        warnings.append(
            f"{len(group)} tests share the key {key}; told apart by an argument hash "
            "(set meta.armor.key on them for keys that survive argument edits)"
        )
        out.extend(seen.values())
    return sorted(out, key=lambda s: s.key)


def _identity_args(spec: RuleSpec) -> dict[str, Any]:
    return {
        "rule_type": spec.rule_type,
        "config": dict(spec.config),
        "severity": spec.severity,
        "threshold": spec.alert_threshold_percent,
        "parent": [spec.parent_table_path, spec.parent_column],
    }


__all__ = ["Resolve", "canonical_hash", "translate"]
