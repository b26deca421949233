"""Renders a PR check report: Markdown (job summary / PR comment), JUnit XML, annotations.

Pure: takes a ``CiReport`` and returns text. Table cells are escaped so names cannot break the
Markdown; nothing but the report's own content is written.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable

from dbt_armor.ci.model import CiReport

OUTCOME = {"pass": "✅\u00a0pass", "warn": "⚠️\u00a0warn", "block": "⛔\u00a0block"}
ACTION = {
    "create": "➕\u00a0create",
    "update": "✏️\u00a0update",
    "replace": "♻️\u00a0replace",
    "delete": "➖\u00a0delete",
}
COMMENT_MARKER = "<!-- dbt-armor-ci -->"
# Badges use a no-break space so a narrow table column never splits the emoji from its word.


def _cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ").replace("`", "'")


def _code(text: str | None) -> str:
    return f"`{_cell(text)}`" if text else ""


def _table(header: Iterable[str], rows: Iterable[Iterable[str]]) -> list[str]:
    head = list(header)
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def render_markdown(report: CiReport) -> str:
    """The report as GitHub-flavoured Markdown (also the PR comment body)."""
    verdict = "⛔ merge blocked" if report.failures else "✅ ready to merge"
    changes = report.changes
    counts: dict[str, int] = {}
    for c in changes.changes:
        counts[c.resource_type] = counts.get(c.resource_type, 0) + 1
    summary = ", ".join(f"{n} {t}(s)" for t, n in sorted(counts.items())) or "no dbt changes"
    out = [
        COMMENT_MARKER,
        f"## dbt-armor PR check: {verdict}",
        "",
        f"Changed: {summary}. In scope (`state:modified+`): {len(changes.modified_plus)} "
        f"node(s) reading {len(changes.upstream_sources)} source(s).",
        "",
    ]
    if report.failures:
        out += ["**Blocking the merge** (`--fail-on " + ",".join(report.fail_on) + "`):", ""]
        out += [f"- {_cell(f)}" for f in report.failures] + [""]

    out += ["### Upstream sources on the platform", ""]
    if report.sources:
        out += _table(
            ["source", "status", "outcome", "why / what to do"],
            (
                [
                    _code(s.qualified_name),
                    s.status,
                    OUTCOME.get(s.outcome, s.outcome),
                    "<br>".join(_cell(r) for r in s.reasons),
                ]
                for s in report.sources
            ),
        )
    else:
        out.append("_No upstream sources in scope._")
    out.append("")

    out += ["### Rule sync on merge", ""]
    if report.plan:
        out += _table(
            ["action", "kind", "rule", "table", "detail"],
            (
                [
                    ACTION.get(p.action, p.action),
                    p.kind,
                    _code(p.name),
                    _code(p.table),
                    _cell(p.detail),
                ]
                for p in report.plan
            ),
        )
    else:
        out.append("_No rule changes: the PR adds, changes or removes no synced tests._")
    out.append("")
    if report.drift:
        out += ["### Rules drifted from the dbt tests", ""]
        out += _table(
            ["action to restore", "kind", "rule", "table", "detail"],
            (
                [
                    ACTION.get(p.action, p.action),
                    p.kind,
                    _code(p.name),
                    _code(p.table),
                    _cell(p.detail),
                ]
                for p in report.drift
            ),
        )
        out.append("")

    out += ["### Names not on the platform", ""]
    if report.unmapped:
        out += _table(
            ["dbt node", "qualified name", "likely cause"],
            (
                [_code(u.unique_id), _code(u.qualified_name), _cell(u.cause)]
                for u in report.unmapped
            ),
        )
    else:
        out.append("_Every name in scope resolves on the platform._")
    out.append("")

    out += ["### Downstream impact", ""]
    impacted = [i for i in report.impact if i.exposures or i.consumers]
    if impacted:
        out += _table(
            ["changed node", "exposures", "platform consumers"],
            (
                [
                    _code(i.unique_id),
                    "<br>".join(_cell(e) for e in i.exposures),
                    "<br>".join(_code(c) for c in i.consumers),
                ]
                for i in impacted
            ),
        )
    else:
        out.append("_No exposures or platform consumers below the changed nodes._")
    out.append("")

    if changes.changes:
        out += ["<details><summary>Changed dbt nodes</summary>", ""]
        out += _table(
            ["node", "change", "why", "file"],
            (
                [_code(c.unique_id), c.kind, ", ".join(c.why), _code(c.file)]
                for c in changes.changes
            ),
        )
        out += ["", "</details>", ""]
    out += [f"<sub>{_cell(n)}</sub>" for n in report.notes]
    out.append(f"<sub>Generated by dbt-armor at {report.generated_at}.</sub>")
    return "\n".join(out) + "\n"


def render_junit(report: CiReport) -> str:
    """One testsuite per section; a failure for each item the merge policy counts."""
    root = ET.Element("testsuites", name="dbt-armor ci")
    fail_on = set(report.fail_on)

    def suite(name: str, cases: list[tuple[str, str, str | None, str | None]]) -> None:
        failures = sum(1 for *_, msg in cases if msg)
        ts = ET.SubElement(
            root, "testsuite", name=name, tests=str(len(cases)), failures=str(failures)
        )
        for case_name, classname, text, msg in cases:
            case = ET.SubElement(ts, "testcase", classname=classname, name=case_name)
            if msg:
                ET.SubElement(case, "failure", message=msg, type=name).text = text
            elif text:
                ET.SubElement(case, "system-out").text = text

    suite(
        "sources",
        [
            (
                s.qualified_name,
                s.file or "sources",
                "\n".join(s.reasons) or None,
                (s.reasons[0] if s.reasons else s.outcome)
                if (s.outcome == "block" and "blocked" in fail_on)
                or (s.outcome == "warn" and "warn" in fail_on)
                else None,
            )
            for s in report.sources
        ],
    )
    for title, rows, key in (("plan", report.plan, "plan"), ("drift", report.drift, "drift")):
        suite(
            title,
            [
                (
                    f"{p.action} {p.kind} {p.name}",
                    p.file or p.table,
                    p.detail,
                    p.detail or p.action if key in fail_on else None,
                )
                for p in rows
            ],
        )
    suite(
        "unmapped",
        [
            (
                u.unique_id,
                u.file or "unmapped",
                u.cause,
                f"{u.qualified_name}: {u.cause}" if "unmapped" in fail_on else None,
            )
            for u in report.unmapped
        ],
    )
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _esc(text: str, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text


def render_annotations(report: CiReport) -> list[str]:
    """GitHub workflow commands on the YAML/SQL files concerned."""
    fail_on = set(report.fail_on)
    lines: list[str] = []

    def add(blocking: bool, file: str | None, title: str, message: str) -> None:
        kind = "error" if blocking else "warning"
        props = [f"file={_esc(file, True)}", "line=1"] if file else []
        props.append(f"title={_esc('dbt-armor ci: ' + title, True)}")
        lines.append(f"::{kind} {','.join(props)}::{_esc(message)}")

    for s in report.sources:
        if s.outcome != "pass":
            blocking = (s.outcome == "block" and "blocked" in fail_on) or "warn" in fail_on
            add(blocking, s.file, f"source {s.outcome}", "; ".join(s.reasons) or s.status)
    for u in report.unmapped:
        add("unmapped" in fail_on, u.file, "unmapped name", f"{u.qualified_name}: {u.cause}")
    for p in report.drift:
        add("drift" in fail_on, p.file, "rule drift", f"{p.name} on {p.table}: {p.detail}")
    for p in report.plan:
        if p.file:
            lines.append(
                f"::notice file={_esc(p.file, True)},line=1,"
                f"title={_esc('dbt-armor ci: sync on merge', True)}::"
                + _esc(f"{p.action} {p.kind} rule {p.name} on {p.table}")
            )
    return lines
