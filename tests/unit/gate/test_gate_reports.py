from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

from gate_helpers import NOW, fact, failure, info, result_of
from rich.console import Console

from dbt_armor.gate.decide import Decision, decide
from dbt_armor.gate.policy import Policy
from dbt_armor.gate.results import artifact, results_json, results_payload
from dbt_armor.report.annotations import render_annotations
from dbt_armor.report.artifact import write_env_file, write_gate_json, write_skipped
from dbt_armor.report.console import render_console
from dbt_armor.report.junit import render_junit
from dbt_armor.report.markdown import render_markdown


def _mixed() -> Decision:
    infos = {
        i.unique_id: i
        for i in (info("orders"), info("customers"), info("payments", original_file_path=None))
    }
    facts = {
        "source.pkg.raw.orders": fact("orders", status="stale", hours_since_update=30.2),
        "source.pkg.raw.customers": fact("customers", status="unknown"),
        "source.pkg.raw.payments": fact("payments", failures=(failure("warning"),)),
    }
    return decide(infos, facts, {k: Policy() for k in infos}, NOW)


def test_junit_is_well_formed_one_case_per_source() -> None:
    root = ET.fromstring(render_junit(_mixed(), duration=1.5))
    suite = root.find("testsuite")
    assert suite is not None
    assert suite.get("tests") == "3" and suite.get("failures") == "1"
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert set(cases) == {
        "warehouse.demo.raw.orders",
        "warehouse.demo.raw.customers",
        "warehouse.demo.raw.payments",
    }
    fail = cases["warehouse.demo.raw.orders"].find("failure")
    assert fail is not None and "30.2 h old" in (fail.get("message") or "")
    out = cases["warehouse.demo.raw.customers"].find("system-out")
    assert out is not None and "unknown freshness" in (out.text or "")
    assert cases["warehouse.demo.raw.payments"].find("failure") is None


def test_junit_escapes_markup_in_names() -> None:
    i = info("x", qualified_name='w.d.s.<bad&"name>')
    d = decide(
        {i.unique_id: i}, {i.unique_id: fact("x", status="stale")}, {i.unique_id: Policy()}, NOW
    )
    root = ET.fromstring(render_junit(d))
    assert root.find("testsuite/testcase").get("name") == 'w.d.s.<bad&"name>'  # type: ignore[union-attr]


def test_markdown_lists_sources_outcomes_and_skips() -> None:
    md = render_markdown(_mixed(), mode="skip", skipped=["model.pkg.fct_orders"])
    assert md.startswith("## dbt-armor gate: ⛔ block")
    assert "3 upstream source(s) checked, 1 blocking, 2 warning; mode `skip`." in md
    row = next(line for line in md.splitlines() if "`warehouse.demo.raw.orders`" in line)
    assert "| stale | 30.2 | 24.0 | ⛔ block |" in row and "check the loader" in row
    assert "- `model.pkg.fct_orders`" in md


def test_markdown_escapes_pipes() -> None:
    i = info("x", qualified_name="a|b")
    d = decide(
        {i.unique_id: i}, {i.unique_id: fact("x", status="stale")}, {i.unique_id: Policy()}, NOW
    )
    assert "`a\\|b`" in render_markdown(d, mode="block")


def test_annotations_format() -> None:
    lines = render_annotations(_mixed())
    assert len(lines) == 3
    orders = next(line for line in lines if "raw.orders" in line)
    assert orders.startswith("::error file=models/staging/sources.yml,line=1,title=")
    assert "::warehouse.demo.raw.orders is 30.2 h old (threshold 24 h). check the loader" in orders
    assert any(line.startswith("::warning file=models/staging/sources.yml") for line in lines)
    # a source without a file still gets an annotation, without file/line
    payments = [line for line in lines if "payments" in line]
    assert payments and payments[0].startswith("::warning title=")


def test_console_says_what_blocked_why_and_what_to_do() -> None:
    buf = io.StringIO()
    render_console(
        Console(file=buf, width=200, color_system=None),
        _mixed(),
        mode="skip",
        skipped=["model.pkg.fct_orders"],
    )
    text = buf.getvalue()
    assert (
        "BLOCK raw.orders (warehouse.demo.raw.orders) is 30.2 h old (threshold 24 h): "
        "check the loader, or rerun with --policy stale=warn" in text
    )
    assert "Skipping 1 node(s) downstream of blocked sources: model.pkg.fct_orders" in text
    assert "Gate decision: block (3 source(s), 1 blocking, 2 warning)" in text


def test_results_payload_matches_contract() -> None:
    payload = results_payload(result_of(_mixed(), affected={"model.pkg.stg_orders"}))
    assert payload["version"] == 1 and payload["decision"] == "block"
    assert (payload["outcome"], payload["exit_code"]) == ("block", 3)
    assert payload["generated_at"] == "2026-11-25T13:00:00Z"
    entry = payload["sources"]["source.pkg.raw.orders"]
    assert entry == {
        "qn": "warehouse.demo.raw.orders",
        "status": "stale",
        "outcome": "block",
        "hours": 30.2,
        "threshold": 24.0,
        "last_updated": None,
        "reasons": ["warehouse.demo.raw.orders is 30.2 h old (threshold 24 h)"],
    }
    assert payload["blocked_nodes"] == ["model.pkg.stg_orders"]
    assert json.loads(results_json(payload)) == payload
    assert " " not in results_json({"a": [1, 2]})


def test_artifact_schema_and_files(tmp_path: Path) -> None:
    doc = artifact(
        result_of(
            _mixed(),
            mode="skip",
            timings={"parse": 1.0, "fetch": 0.25},
            requests=4,
            skipped=["model.pkg.fct_orders"],
            skipped_selectors=["pkg.fct_orders"],
        )
    )
    assert doc["schema_version"] == 1 and doc["mode"] == "skip" and doc["requests"] == 4
    assert {s["unique_id"] for s in doc["sources"]} == {
        "source.pkg.raw.orders",
        "source.pkg.raw.customers",
        "source.pkg.raw.payments",
    }
    orders = next(s for s in doc["sources"] if s["unique_id"] == "source.pkg.raw.orders")
    assert orders["outcome"] == "block" and orders["reasons"][0]["key"] == "stale"
    assert orders["policy"]["stale"] == "error"
    path = write_gate_json(tmp_path / "target", doc)
    assert json.loads(path.read_text()) == doc
    skipped = write_skipped(tmp_path / "target", ["pkg.b", "pkg.a", "pkg.a"])
    assert skipped.read_text() == "pkg.a\npkg.b\n"


def test_env_file_quotes_for_the_shell(tmp_path: Path) -> None:
    import subprocess

    value = '{"a":"it\'s $HOME `x`"}'
    path = write_env_file(tmp_path / "armor.env", {"DBT_ARMOR_RESULTS": value})
    got = subprocess.run(
        ["sh", "-c", f'. "{path}" && printf %s "$DBT_ARMOR_RESULTS"'],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert got == value


def _console_text(decision: Decision, width: int) -> str:
    buf = io.StringIO()
    render_console(Console(file=buf, width=width, color_system=None), decision, mode="block")
    return buf.getvalue()


def test_console_table_fits_80_columns_with_dbt_names() -> None:
    """Long qualified names stay out of the table: dbt's source name is the first column."""
    long_qn = "warehouse.warehouse_analytics_production.raw_landing_zone.orders"
    i = info("orders", qualified_name=long_qn, source_name="shop.orders")
    f = fact("orders", qualified_name=long_qn, status="stale", hours_since_update=40.0)
    d = decide({i.unique_id: i}, {i.unique_id: f}, {i.unique_id: Policy()}, NOW)
    text = _console_text(d, 80)
    row = next(line for line in text.splitlines() if "shop.orders" in line and "stale" in line)
    assert "40.0 h / 24 h" in row and "block" in row and "…" not in row
    assert max(len(line) for line in text.splitlines() if "│" in line) <= 80
    assert f"BLOCK shop.orders ({long_qn}) is 40 h old (threshold 24 h): check the loader" in text


def test_console_names_a_failing_rule_and_its_fix() -> None:
    from dbt_armor.gate.facts import RuleFailure

    rule = RuleFailure("validity", "orders_id_not_null", "critical", "id", "NOT_NULL", 3, 1.5)
    i = info("orders", source_name="shop.orders")
    d = decide(
        {i.unique_id: i},
        {i.unique_id: fact("orders", failures=(rule,))},
        {i.unique_id: Policy()},
        NOW,
    )
    text = " ".join(_console_text(d, 100).split())
    assert (
        "BLOCK shop.orders (warehouse.demo.raw.orders): validity rule 'orders_id_not_null' "
        "(NOT_NULL on id, critical) fails: 3 invalid rows (1.5%): fix the data, or rerun with "
        "--policy validity_critical=warn" in text
    )
