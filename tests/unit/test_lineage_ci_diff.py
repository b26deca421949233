"""PR checks, pure parts: manifest comparison, merge policy and the rendered reports."""

from __future__ import annotations

import copy
import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from test_lineage_slim import make_manifest

from dbt_armor.ci.diff import compare, load_for_diff
from dbt_armor.ci.render import render_pr_annotations, render_pr_junit, render_pr_markdown
from dbt_armor.ci.report import (
    CiReport,
    ImpactRow,
    PlanRow,
    SourceRow,
    UnmappedRow,
    merge_failures,
    parse_fail_on,
)
from dbt_armor.errors import ManifestError, UsageError

GOLDEN = Path(__file__).parents[1] / "fixtures" / "ci" / "render_unit.md"


def _write(tmp: Path, name: str, doc: dict[str, Any]) -> Path:
    path = tmp / name
    path.write_text(json.dumps(doc))
    return path


def _with_checksums(doc: dict[str, Any]) -> dict[str, Any]:
    for uid, node in doc["nodes"].items():
        node["checksum"] = {"name": "sha256", "checksum": f"c-{uid}"}
    doc["child_map"] = {}
    for child, parents in doc["parent_map"].items():
        doc["child_map"].setdefault(child, [])
        for p in parents:
            doc["child_map"].setdefault(p, []).append(child)
    return doc


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    state = _with_checksums(make_manifest())
    pr = copy.deepcopy(state)
    del pr["nodes"]["test.shop.not_null_fct_orders_id.abc"]
    new_test = copy.deepcopy(state["nodes"]["test.shop.not_null_fct_orders_id.abc"])
    new_test["unique_id"] = "test.shop.unique_fct_orders_id.def"
    new_test["original_file_path"] = "models/schema.yml"
    pr["nodes"][new_test["unique_id"]] = new_test
    pr["parent_map"][new_test["unique_id"]] = ["model.shop.fct_orders"]
    src = copy.deepcopy(state["sources"]["source.shop.raw.orders"])
    src.update(unique_id="source.shop.raw.refunds", name="refunds", identifier="refunds")
    src["original_file_path"] = "models/sources.yml"
    pr["sources"]["source.shop.raw.refunds"] = src
    pr["nodes"]["model.shop.stg_orders"]["depends_on"]["nodes"].append("source.shop.raw.refunds")
    pr["parent_map"]["model.shop.stg_orders"].append("source.shop.raw.refunds")
    pr = _with_checksums(pr)
    pr["nodes"]["model.shop.stg_orders"]["checksum"]["checksum"] = "edited"
    return _write(tmp_path, "pr.json", pr), _write(tmp_path, "state.json", state)


def test_compare_finds_new_modified_and_removed_nodes(pair: tuple[Path, Path]) -> None:
    pr, state = pair
    cs = compare(load_for_diff(pr, "PR"), load_for_diff(state, "state"))
    kinds = {(c.unique_id, c.kind) for c in cs.changes}
    assert ("model.shop.stg_orders", "modified") in kinds
    assert ("test.shop.unique_fct_orders_id.def", "new") in kinds
    assert ("test.shop.not_null_fct_orders_id.abc", "removed") in kinds
    assert ("source.shop.raw.refunds", "new") in kinds
    stg = next(c for c in cs.changes if c.unique_id == "model.shop.stg_orders")
    assert "body" in stg.why and "dependencies" in stg.why
    assert cs.modified_plus == {"model.shop.stg_orders", "model.shop.fct_orders"}
    assert cs.upstream_sources == {"source.shop.raw.orders", "source.shop.raw.refunds"}
    assert cs.exposures == {"exposure.shop.dashboard"}
    assert "seed.shop.countries" not in cs.modified_plus


def test_identical_manifests_change_nothing(pair: tuple[Path, Path]) -> None:
    _, state = pair
    m = load_for_diff(state, "state")
    cs = compare(m, m)
    assert cs.changes == () and not cs.modified_plus and not cs.upstream_sources


def test_missing_state_manifest_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="state manifest") as exc:
        load_for_diff(tmp_path / "nope.json", "state")
    assert "--state" in str(exc.value)
    (tmp_path / "bad.json").write_text("[]")
    with pytest.raises(ManifestError, match=r"PR manifest.*expected a dbt manifest"):
        load_for_diff(tmp_path / "bad.json", "PR")


def test_fail_on_parsing_and_policy() -> None:
    assert parse_fail_on("blocked, drift,blocked") == ("blocked", "drift")
    assert parse_fail_on("none") == ()
    with pytest.raises(UsageError, match="--fail-on"):
        parse_fail_on("blocked,stale")
    block = SourceRow("s", "wh.d.s.t", "stale", "block", ("old",), None)
    warn = SourceRow("s2", "wh.d.s.u", "unknown", "warn", ("?",), None)
    unm = UnmappedRow("s3", "wh.d.s.v", "new", None)
    assert merge_failures((), [block], [], [], [unm]) == ()
    assert len(merge_failures(("blocked",), [block, warn], [], [], [unm])) == 1
    assert len(merge_failures(("blocked", "warn", "unmapped"), [block, warn], [], [], [unm])) == 3


def _report(pair: tuple[Path, Path]) -> CiReport:
    pr, state = pair
    cs = compare(load_for_diff(pr, "PR"), load_for_diff(state, "state"))
    sources = (
        SourceRow(
            "source.shop.raw.orders",
            "wh.demo.raw.orders",
            "stale",
            "block",
            ("wh.demo.raw.orders is 30 h old (threshold 24 h): check the loader",),
            "models/sources.yml",
        ),
        SourceRow(
            "source.shop.raw.refunds",
            "wh.demo.raw.refunds",
            "not_monitored",
            "warn",
            ("not monitored | yet",),
            "models/sources.yml",
        ),
    )
    plan = (
        PlanRow(
            "create",
            "validity",
            "unique fct_orders.id",
            "demo.main.fct_orders",
            "model.shop.fct_orders",
            "new test",
            "models/schema.yml",
        ),
    )
    unmapped = (
        UnmappedRow(
            "source.shop.raw.refunds", "wh.demo.raw.refunds", "new in this PR", "models/sources.yml"
        ),
    )
    impact = (
        ImpactRow(
            "model.shop.stg_orders",
            "wh.demo.main.stg_orders",
            ("dashboard",),
            ("bi.looker.orders_dash",),
        ),
    )
    fail_on = ("blocked", "unmapped")
    return CiReport(
        cs,
        "2026-01-01T00:00:00Z",
        sources,
        plan,
        (),
        unmapped,
        impact,
        (),
        fail_on,
        merge_failures(fail_on, sources, plan, (), unmapped),
    )


def test_markdown_matches_golden_file(pair: tuple[Path, Path]) -> None:
    text = render_pr_markdown(_report(pair))
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text()
    assert "not monitored \\| yet" in text  # cells are escaped


def test_junit_counts_failures_per_policy(pair: tuple[Path, Path]) -> None:
    root = ET.fromstring(render_pr_junit(_report(pair)))
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert suites["sources"].get("failures") == "1"  # block counted, warn not
    assert suites["unmapped"].get("failures") == "1"
    assert suites["plan"].get("failures") == "0" and suites["plan"].get("tests") == "1"


def test_annotations_point_at_files(pair: tuple[Path, Path]) -> None:
    lines = render_pr_annotations(_report(pair))
    assert lines[0].startswith("::error file=models/sources.yml,line=1,title=dbt-armor ci%3A")
    assert any(x.startswith("::notice file=models/schema.yml") for x in lines)
    assert all("\n" not in x for x in lines)


def test_gate_reasons_are_rephrased_for_the_pr_report() -> None:
    from dbt_armor.ci.collect import reason_text

    qn = "wh.db.raw.orders"
    blocking = reason_text(
        qn, "error", f"{qn} is 30 h old", "check the loader, or rerun with --policy stale=warn"
    )
    assert (
        blocking
        == "is 30 h old: check the loader, or set `stale: warn` in meta.armor or dbt_armor.yml gate"
    )
    warning = reason_text(
        qn, "warn", f"{qn} has unknown freshness", "wait, or set --policy unknown=warn"
    )
    assert warning == "has unknown freshness: wait"
    assert reason_text(qn, "warn", "other text", "") == "other text"
