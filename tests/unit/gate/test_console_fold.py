"""The gate's terminal table with many sources: problems first, passing ones folded into one
line, while JUnit still lists every source."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

from gate_helpers import NOW, fact, info
from rich.console import Console

from dbt_armor.gate.decide import Decision, decide
from dbt_armor.gate.policy import Policy
from dbt_armor.report.console import render_console, table_rows
from dbt_armor.report.junit import render_junit


def _many(n: int) -> Decision:
    infos = {i.unique_id: i for i in (info(f"t{k:04d}") for k in range(n))}
    facts = {uid: fact(uid.rsplit(".", 1)[-1]) for uid in infos}
    facts["source.pkg.raw.t1500"] = fact("t1500", status="stale", hours_since_update=40.0)
    facts["source.pkg.raw.t0007"] = fact("t0007", status="unknown")
    return decide(infos, facts, {k: Policy() for k in infos}, NOW)


def test_two_thousand_sources_show_the_two_problems_then_one_folded_line() -> None:
    decision = _many(2000)
    shown, folded = table_rows(decision.sources)
    assert [d.outcome.value for d in shown] == ["block", "warn"]
    assert folded == 1998
    out = io.StringIO()
    render_console(Console(file=out, width=160, color_system=None), decision, mode="block")
    text = out.getvalue()
    assert "… 1998 more source(s) passed" in text
    assert text.index("t1500") < text.index("t0007") < text.index("1998 more")
    assert text.count("t0042") == 0  # a passing source is folded away
    assert "2000 source(s), 1 blocking, 1 warning" in text
    cases = ET.fromstring(render_junit(decision)).findall("testsuite/testcase")
    assert len(cases) == 2000  # the machine-readable reports keep every source


def test_few_sources_are_all_shown_problems_first() -> None:
    decision = _many(5)
    two = decide(
        {i.unique_id: i for i in (info("a"), info("b"))},
        {"source.pkg.raw.a": fact("a"), "source.pkg.raw.b": fact("b", status="stale")},
        {"source.pkg.raw.a": Policy(), "source.pkg.raw.b": Policy()},
        NOW,
    )
    shown, folded = table_rows(two.sources)
    assert folded == 0 and [d.info.unique_id for d in shown] == [
        "source.pkg.raw.b",
        "source.pkg.raw.a",
    ]
    assert table_rows(decision.sources)[1] == 0
