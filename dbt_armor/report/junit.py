"""JUnit XML for a gate decision: one testcase per source, failure for block, output for warn.

Pure rendering with xml.etree; never includes anything but the decision's own content.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping

from dbt_armor.gate.decide import Decision
from dbt_armor.gate.facts import Outcome


def render_junit(
    decision: Decision,
    *,
    suite: str = "dbt-armor gate",
    duration: float = 0.0,
    properties: Mapping[str, str] | None = None,
) -> str:
    """``properties`` (outcome, exit code, target, data sources) go on the suite."""
    failures = len(decision.blocked)
    root = ET.Element("testsuites", name=suite)
    ts = ET.SubElement(
        root,
        "testsuite",
        name=suite,
        tests=str(len(decision.sources)),
        failures=str(failures),
        errors="0",
        skipped="0",
        time=f"{duration:.3f}",
    )
    if properties:
        props = ET.SubElement(ts, "properties")
        for name, value in properties.items():
            ET.SubElement(props, "property", name=name, value=value)
    for d in decision.sources:
        case = ET.SubElement(
            ts,
            "testcase",
            classname=d.info.original_file_path or "sources",
            name=d.info.qualified_name,
            time="0",
        )
        text = "\n".join(f"[{r.level.value}] {r.message}. {r.hint}" for r in d.reasons)
        if d.outcome is Outcome.BLOCK:
            first = next(r for r in d.reasons if r.level.value == "error")
            failure = ET.SubElement(case, "failure", message=first.message, type="blocked")
            failure.text = text
        elif d.outcome is Outcome.WARN:
            out = ET.SubElement(case, "system-out")
            out.text = text
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
