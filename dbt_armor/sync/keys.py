"""Stable rule identity and the ownership marker stored on the platform (pure).

A key is derived from the tested node (unique_id without hash), column and test name; the
marker line in a rule's description carries key, node and spec hash. No I/O here.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from dbt_armor.sync.specs import Kind, RuleSpec

MARKER_PREFIX = "[dbt-armor"
_MARKER = re.compile(
    r"\[dbt-armor key=(?P<key>\S+) node=(?P<node>\S+) hash=(?P<hash>[0-9a-f]+)\]\s*$"
)
MANAGED_BY = "managed by dbt-armor"


def base_key(node_id: str, column: str | None, namespace: str | None, test_name: str) -> str:
    """``model.shop.orders:order_id:not_null``; package tests keep their namespace."""
    test = f"{namespace}.{test_name}" if namespace else test_name
    return f"{node_id}:{column or ''}:{test}"


def args_suffix(kwargs: Mapping[str, Any]) -> str:
    """A short deterministic hash of a test's arguments (to tell same-named tests apart)."""
    body = {k: v for k, v in kwargs.items() if k not in ("model", "column_name")}
    return canonical_hash(body)[:8]


def canonical_hash(value: Any) -> str:
    """sha256 of compact JSON with sorted keys (non-JSON values as their str)."""
    return hashlib.sha256(msgspec.json.encode(value, order="sorted", enc_hook=str)).hexdigest()


def spec_hash(spec: RuleSpec) -> str:
    """Hash of the fields the platform cannot PATCH: a change means the rule is replaced."""
    if spec.kind is Kind.REFERENTIAL:
        body: dict[str, Any] = {
            "child": [spec.table_path, spec.column],
            "parent": [spec.parent_table_path, spec.parent_column],
        }
    elif spec.kind is Kind.FRESHNESS:
        body = {"table_path": spec.table_path}
    else:
        body = {
            "table_path": spec.table_path,
            "column": spec.column,
            "rule_type": spec.rule_type,
            "config": dict(spec.config),
        }
    return canonical_hash(body)[:12]


@dataclass(frozen=True)
class Marker:
    key: str
    node_id: str
    spec_hash: str


def format_marker(spec: RuleSpec, known_hash: str | None = None) -> str:
    digest = known_hash or spec_hash(spec)
    return f"[dbt-armor key={spec.key} node={spec.node_id} hash={digest}]"


def parse_marker(description: str | None) -> Marker | None:
    """The marker on the last line of a description, or ``None`` (not ours: never touched)."""
    if not description or MARKER_PREFIX not in description:
        return None
    match = _MARKER.search(description.rstrip().splitlines()[-1])
    if match is None:
        return None
    return Marker(match.group("key"), match.group("node"), match.group("hash"))


def display_name(spec: RuleSpec) -> str:
    """``dbt: not_null orders.order_id`` (human-readable; identity lives in the marker)."""
    target = f"{spec.label}.{spec.column}" if spec.column else spec.label
    return f"dbt: {spec.test_name.rsplit('.', 1)[-1]} {target}"


def description(spec: RuleSpec, known_hash: str | None = None) -> str:
    lines = [f"From dbt test {spec.test_name} on {spec.label}; {MANAGED_BY}, edit it in dbt."]
    if spec.kind is Kind.REFERENTIAL and spec.severity:
        lines.append(f"dbt severity: {spec.severity}.")
    lines.extend(spec.notes)
    lines.append(format_marker(spec, known_hash))
    return "\n".join(lines)
