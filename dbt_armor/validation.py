"""Offline validation of a project's dbt-armor configuration (``dbt-armor validate``): the
project-level gate options, every ``meta.armor`` block in the manifest, naming and the sync
mapping. Pure: takes resolved Settings and a loaded Manifest; every fact is read by its own
module (gate.policy, project.naming, sync.translate); this one only collects their verdicts.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from dbt_armor.config import Settings
from dbt_armor.errors import ArmorError
from dbt_armor.gate.policy import LEVEL_KEYS, OTHER_KEYS, parse_policy, split_project_gate
from dbt_armor.project import Manifest, NameResolver
from dbt_armor.sync.specs import Unmapped
from dbt_armor.sync.testconfig import SEVERITIES
from dbt_armor.sync.translate import translate

# Every key dbt-armor reads under ``meta.armor``, and the module that reads it.
ARMOR_META_KEYS: dict[str, str] = {
    "gate": "gate policy (dbt_armor.gate.policy)",
    "data_source": "naming (dbt_armor.project.naming)",
    "qualified_name": "naming (dbt_armor.project.naming)",
    "sync": "sync: false leaves a test or source freshness out of sync",
    "key": "sync: the managed rule's stable key",
    "severity": "sync: the rule's severity",
}


@dataclass(frozen=True)
class Finding:
    """One problem: ``error`` fails validation, ``warning`` does not."""

    level: str
    area: str  # config | policy | naming | sync
    where: str
    message: str
    hint: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "area": self.area,
            "where": self.where,
            "message": self.message,
            "hint": self.hint,
        }


@dataclass(frozen=True)
class SyncSummary:
    """What ``sync plan`` would manage: rule counts by kind and what stays unmapped, and why."""

    rules: dict[str, int] = field(default_factory=dict)
    unmapped: tuple[Unmapped, ...] = ()
    synced: tuple[tuple[str, str], ...] = ()  # (kind, rule key) of every managed rule

    def to_json(self) -> dict[str, Any]:
        return {
            "rules": dict(sorted(self.rules.items())),
            "synced": [{"kind": kind, "key": key} for kind, key in self.synced],
            "unmapped": [u.as_dict() for u in self.unmapped],
        }


def from_error(exc: ArmorError, area: str, where: str) -> Finding:
    """An ArmorError raised by a reader, as an error finding."""
    return Finding("error", area, where, exc.message, exc.hint)


def check_settings(settings: Settings) -> list[Finding]:
    """The project-level ``gate:`` section (read by the gate) and the readers' warnings."""
    where = str(settings.project_file or "dbt_armor.yml")
    found = [Finding("warning", "config", where, w) for w in settings.warnings]
    try:
        split_project_gate(settings.gate, f"{where} gate")
    except ArmorError as exc:
        found.append(from_error(exc, "config", where))
    return found


def _suggest(key: str, known: Iterable[str]) -> str:
    if key in (*LEVEL_KEYS, *OTHER_KEYS):
        return f"gate policy keys go under meta.armor.gate: write gate: {{{key}: ...}}"
    close = difflib.get_close_matches(key, list(known), n=1)
    allowed = ", ".join(sorted(ARMOR_META_KEYS))
    return f"did you mean {close[0]!r}? allowed: {allowed}" if close else f"allowed: {allowed}"


def _armored(manifest: Manifest) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(unique_id, file, meta.armor) of every source and node that has a meta.armor."""
    for uid, item in [*manifest.sources.items(), *manifest.nodes.items()]:
        meta = item.meta.get("armor")
        if meta is not None:
            yield uid, str(getattr(item, "original_file_path", None) or "?"), meta


def check_meta(manifest: Manifest) -> list[Finding]:
    """Every ``meta.armor`` block: a mapping, known keys, values each reader accepts."""
    found: list[Finding] = []
    for uid, path, armor in _armored(manifest):
        where = f"{uid} ({path})"
        if not isinstance(armor, dict):
            found.append(
                Finding(
                    "error", "policy", where, "meta.armor must be a mapping", "see docs/gate.md"
                )
            )
            continue
        for key, value in armor.items():
            found.extend(_check_key(str(key), value, where))
    return found


def _check_key(key: str, value: Any, where: str) -> list[Finding]:
    if key not in ARMOR_META_KEYS:
        message = f"unknown key meta.armor.{key}"
        return [Finding("error", "policy", where, message, _suggest(key, ARMOR_META_KEYS))]
    if key == "gate":
        try:
            parse_policy(value, "meta.armor.gate")
        except ArmorError as exc:
            return [from_error(exc, "policy", where)]
        return []
    problem = _value_problem(key, value)
    if problem is None:
        return []
    area = "naming" if key in ("data_source", "qualified_name") else "sync"
    return [Finding("error", area, where, f"meta.armor.{key}={value!r} {problem[0]}", problem[1])]


def _value_problem(key: str, value: Any) -> tuple[str, str] | None:
    """Values the readers would silently ignore (and so do something else than meant)."""
    if key == "sync" and not isinstance(value, bool):
        return "is not a boolean, so it is ignored", "write sync: false (no quotes)"
    if key in ("data_source", "qualified_name", "key") and not (isinstance(value, str) and value):
        return "is not a non-empty string, so it is ignored", "write a name in quotes"
    if key == "severity" and str(value).strip().lower() not in SEVERITIES:
        return "is not a severity, so it is ignored", f"use one of {', '.join(SEVERITIES)}"
    return None


def check_names(resolver: NameResolver) -> list[Finding]:
    """Every enabled source and mappable node gets a qualified name (overrides parse)."""
    manifest = resolver.manifest
    found: list[Finding] = []
    ids = [*manifest.sources, *manifest.nodes]
    for uid in ids:
        if not resolver.is_mappable(uid) or not getattr(manifest.get(uid), "enabled", True):
            continue
        try:
            resolver.resolve(uid)
        except ArmorError as exc:
            found.append(from_error(exc, "naming", uid))
    return found


def check_sync(manifest: Manifest, resolver: NameResolver) -> tuple[SyncSummary, list[Finding]]:
    """The sync mapping as ``sync plan`` computes it, without reading the platform."""
    try:
        translation = translate(manifest, resolver.resolve)
    except ArmorError as exc:
        return SyncSummary(), [from_error(exc, "sync", "sync mapping")]
    rules = Counter(spec.kind.value for spec in translation.specs)
    warnings = [Finding("warning", "sync", "sync mapping", w) for w in translation.warnings]
    synced = tuple(sorted((spec.kind.value, spec.key) for spec in translation.specs))
    return SyncSummary(dict(rules), translation.unmapped, synced), warnings
