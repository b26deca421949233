"""Explain why expected qualified names are missing from the platform's asset list.

Pure: compares our names with the names the platform knows; the caller fetches those.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from dbt_armor.project.naming import QualifiedName

CAUSES = ("case", "alias", "custom_schema", "missing_data_source", "near_match", "not_found")


@dataclass(frozen=True)
class Finding:
    """One unresolved name: the cause and, when one exists, the platform name it resembles."""

    unique_id: str
    expected: str
    cause: str
    candidate: str | None
    hint: str


def diagnose(
    expected: Mapping[str, QualifiedName],
    known: Iterable[str],
    dbt_names: Mapping[str, str] | None = None,
) -> list[Finding]:
    """Findings for every expected name absent from ``known`` (sorted by unique_id).

    ``dbt_names`` maps a unique_id to its dbt name, used to spot an alias/identifier mismatch.
    """
    known_set = set(known)
    lower = {name.lower(): name for name in known_set}
    sources = {name.split(".", 1)[0].lower() for name in known_set}
    by_table: dict[tuple[str, str, str], list[str]] = {}
    for name in known_set:
        parts = name.lower().split(".")
        if len(parts) == 4:
            by_table.setdefault((parts[0], parts[1], parts[3]), []).append(name)
    findings = []
    for uid in sorted(expected):
        qn = expected[uid]
        if qn.full in known_set:
            continue
        dbt_name = (dbt_names or {}).get(uid)
        findings.append(_explain(uid, qn, dbt_name, known_set, lower, sources, by_table))
    return findings


def _explain(
    uid: str,
    qn: QualifiedName,
    dbt_name: str | None,
    known: set[str],
    lower: dict[str, str],
    sources: set[str],
    by_table: dict[tuple[str, str, str], list[str]],
) -> Finding:
    full = qn.full
    if full.lower() in lower:
        hit = lower[full.lower()]
        return Finding(
            uid, full, "case", hit, "set naming.case (or quoting) so the case matches the platform"
        )
    if qn.data_source.lower() not in sources:
        return Finding(
            uid,
            full,
            "missing_data_source",
            None,
            f"no asset under data source {qn.data_source!r}: set data_sources in dbt_armor.yml "
            "or meta.armor.data_source",
        )
    if dbt_name and dbt_name.lower() != qn.identifier.lower():
        by_name = QualifiedName(qn.data_source, qn.database, qn.schema, dbt_name).full.lower()
        if by_name in lower:
            return Finding(
                uid,
                full,
                "alias",
                lower[by_name],
                "the platform has the dbt name, not the alias/identifier: "
                "set meta.armor.qualified_name or fix the alias",
            )
    key = (qn.data_source.lower(), qn.database.lower(), qn.identifier.lower())
    others = sorted(by_table.get(key, []))
    if others:
        return Finding(
            uid,
            full,
            "custom_schema",
            others[0],
            "same table in another schema (custom schema or target?): check generate_schema_name "
            "and --target, or set meta.armor.qualified_name",
        )
    near = difflib.get_close_matches(full, sorted(known), n=1, cutoff=0.8)
    if near:
        return Finding(
            uid, full, "near_match", near[0], "a similar name exists: check the spelling"
        )
    return Finding(
        uid,
        full,
        "not_found",
        None,
        "the platform does not know this table: run discovery or set meta.armor.qualified_name",
    )
