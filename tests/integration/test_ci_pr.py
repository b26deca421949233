"""`dbt-armor ci` end to end: integration_project as production, a changed copy as the PR.

Both manifests come from real `dbt parse` runs (no warehouse is touched); the platform is the
emulator holding production's assets and synced rules, one stale source and one drifted rule.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click
import httpx
import pytest
from click.testing import CliRunner

from dbt_armor.api import ArmorClient
from dbt_armor.cli.main import main
from dbt_armor.emulator import EmulatorServer
from dbt_armor.project import NameResolver, load_manifest
from dbt_armor.sync.service import apply_plan, make_plan

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
from project_copy import DbtProject  # type: ignore[import-not-found,unused-ignore]

pytestmark = pytest.mark.e2e

GOLDEN = Path(__file__).resolve().parents[1] / "fixtures" / "ci" / "pr_expected.md"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
STALE = "warehouse.warehouse.raw.payments"
NEW_SOURCE = """      - name: refunds
        description: One row per refund (new in this PR).
        columns:
          - name: id
            data_tests:
              - unique
"""


@dataclass(frozen=True)
class Pr:
    project: Path
    prod_target: Path


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


@pytest.fixture(scope="module")
def pr(dbt_project: DbtProject, tmp_path_factory: pytest.TempPathFactory) -> Pr:
    """integration_project's manifest (production, from the session's build), then a changed
    copy of it parsed (the PR)."""
    root = tmp_path_factory.mktemp("ci_pr")
    project = dbt_project.clone(root / "armor_shop")
    prod_target = root / "prod-target"
    prod_target.mkdir()
    shutil.copy(project.manifest_path, prod_target / "manifest.json")
    models = project.path / "models"
    # a changed model: stg_payments also exposes the payment's currency
    _edit(
        models / "staging" / "stg_payments.sql",
        "    loaded_at\n",
        "    loaded_at,\n    'EUR' as currency\n",
    )
    marts = models / "marts" / "_marts.yml"
    # a new test on fct_daily_revenue, a removed test on dim_customers
    _edit(
        marts,
        "      - name: order_date\n        data_tests:\n          - unique\n",
        "      - name: order_date\n        data_tests:\n          - unique\n          - not_null\n",
    )
    _edit(
        marts,
        "          - unique\n          - not_null\n  - name: fct_daily_revenue",
        "          - unique\n  - name: fct_daily_revenue",
    )
    # a new source table the platform does not know, read by a new model
    sources = models / "staging" / "_sources.yml"
    _edit(sources, "      - name: payments\n", NEW_SOURCE + "      - name: payments\n")
    (models / "staging" / "stg_refunds.sql").write_text(
        "select id as refund_id from {{ source('shop', 'refunds') }}\n"
    )
    project.dbt("parse")
    return Pr(project.path, prod_target)


@pytest.fixture()
def platform(emulator: EmulatorServer, pr: Pr, api_key: str) -> Iterator[EmulatorServer]:
    """Production registered and synced; payments stale; one rule edited on the platform."""
    prod = pr.prod_target / "manifest.json"
    r = httpx.post(
        emulator.url + "/_emulator/manifest?data_source=warehouse",
        json=json.loads(prod.read_text()),
    )
    assert r.status_code == 200, r.text
    manifest = load_manifest(prod)
    resolver = NameResolver(manifest, None, {"*": "warehouse"}, "preserve")
    now = datetime.now(timezone.utc)
    with ArmorClient(api_key=api_key, base_url=emulator.api_url) as client:
        plan = make_plan(client, manifest, resolver.resolve, dialect="upper", now=now)
        apply_plan(client, plan, prune=False, saved=False, workers=1)
        rules = list(client.validity.iter("warehouse"))
        target = next(
            r
            for r in rules
            if r.table_path.endswith("stg_payments")
            and r.column_name == "payment_id"
            and r.rule_type == "UNIQUE"
        )
        client.validity.update("warehouse", target.uuid, severity="warning")
    r = httpx.post(
        emulator.url + "/_emulator/freshness",
        json={"qualified_name": STALE, "status": "stale", "hours_since_update": 30.0},
    )
    assert r.status_code == 200, r.text
    emulator.app.clear_request_log()
    yield emulator


def _ci(
    pr: Pr,
    emulator: EmulatorServer,
    api_key: str,
    out: Path,
    *extra: str,
    env: dict[str, str] | None = None,
) -> tuple[int, str, str]:
    """Run ``dbt-armor ci`` through the console entry point; (exit code, stdout, stderr)."""
    args = [
        "ci",
        "--project-dir",
        str(pr.project),
        "--state",
        str(pr.prod_target),
        "--api-url",
        emulator.api_url,
        "--markdown",
        str(out / "report.md"),
        "--junit",
        str(out / "junit.xml"),
        "--json",
        str(out / "ci.json"),
        *extra,
    ]
    values = {"ARMOR_API_KEY": api_key, "GITHUB_ACTIONS": "false", **(env or {})}
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("GITHUB_STEP_SUMMARY", raising=False)
        for key, value in values.items():
            mp.setenv(key, value)
        runner = CliRunner()
        result = runner.invoke(_entry, args, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.pass_context
def _entry(ctx: click.Context) -> None:
    """The console-script entry point as a click command, so CliRunner captures its output."""
    main(list(ctx.args))


def normalise(text: str, pr: Pr, emulator: EmulatorServer) -> str:
    text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "<time>", text)
    text = text.replace(emulator.url, "<emulator>")
    return text.replace(str(pr.project), "<pr>").replace(str(pr.prod_target), "<prod>")


def test_ci_report_on_a_real_pr(
    pr: Pr, platform: EmulatorServer, api_key: str, tmp_path: Path
) -> None:
    code, out, err = _ci(pr, platform, api_key, tmp_path, "--annotations")
    assert code == 3, out + err  # the stale source blocks under the default --fail-on blocked
    assert "blocking: 1 upstream source(s) would block" in err and api_key not in out + err
    markdown = normalise((tmp_path / "report.md").read_text(), pr, platform)
    if UPDATE:
        GOLDEN.write_text(markdown)
    assert markdown == GOLDEN.read_text()
    writes = [e for e in platform.app.request_log() if e["method"] not in ("GET", "HEAD")]
    assert writes == []  # a PR check only reads the platform

    report = json.loads((tmp_path / "ci.json").read_text())
    kinds = {(c["unique_id"], c["kind"]) for c in report["changes"]}
    assert ("model.armor_shop.stg_payments", "modified") in kinds
    assert ("source.armor_shop.shop.refunds", "new") in kinds
    assert ("model.armor_shop.stg_refunds", "new") in kinds
    assert any(
        u.startswith("test.armor_shop.not_null_fct_daily_revenue") and k == "new" for u, k in kinds
    )
    assert any(
        u.startswith("test.armor_shop.not_null_dim_customers") and k == "removed" for u, k in kinds
    )
    plan = {(p["action"], p["name"]) for p in report["plan"]}
    assert ("create", "dbt: not_null fct_daily_revenue.order_date") in plan
    assert ("delete", "dbt: not_null dim_customers.customer_id") in plan
    assert ("create", "dbt: unique shop.refunds.id") in plan
    assert [(d["action"], d["name"]) for d in report["drift"]] == [
        ("update", "dbt: unique stg_payments.payment_id")
    ]
    assert [u["unique_id"] for u in report["unmapped"]] == ["source.armor_shop.shop.refunds"]
    stale = [s for s in report["sources"] if s["qualified_name"] == STALE]
    assert stale and stale[0]["outcome"] == "block" and stale[0]["status"] == "stale"

    suites = {s.get("name"): s for s in ET.parse(tmp_path / "junit.xml").getroot()}
    assert set(suites) == {"sources", "plan", "drift", "unmapped"}
    failed = {
        name: [c.get("name") for c in s if c.find("failure") is not None]
        for name, s in suites.items()
    }
    assert failed == {"sources": [STALE], "plan": [], "drift": [], "unmapped": []}
    assert int(suites["plan"].get("tests") or 0) == len(report["plan"])

    notes = [line for line in out.splitlines() if line.startswith("::")]
    assert any(
        line.startswith("::error file=models/staging/_sources.yml,line=1,") and "stale" in line
        for line in notes
    )
    assert any(
        line.startswith("::warning file=models/staging/_sources.yml") and "refunds" in line
        for line in notes
    )
    assert any(line.startswith("::notice file=models/marts/_marts.yml") for line in notes)


@pytest.mark.parametrize(
    ("fail_on", "code", "blocking"),
    [
        ("none", 0, []),
        ("unmapped", 3, ["1 name(s) do not resolve"]),
        ("drift,plan", 3, ["1 platform rule(s) have drifted", "rule change(s) would be synced"]),
        ("blocked,warn", 3, ["would block the run"]),
    ],
)
def test_fail_on_policy_sets_the_exit_code(
    pr: Pr,
    platform: EmulatorServer,
    api_key: str,
    tmp_path: Path,
    fail_on: str,
    code: int,
    blocking: list[str],
) -> None:
    got, out, err = _ci(pr, platform, api_key, tmp_path, "--fail-on", fail_on)
    assert got == code, out + err
    for text in blocking:
        assert text in err
    junit = ET.parse(tmp_path / "junit.xml").getroot()
    failures = sum(int(s.get("failures") or 0) for s in junit)
    assert (failures > 0) == (code == 3)
    assert "ok" in out if code == 0 else "merge blocked" in out


def test_ci_without_a_key_or_state_is_one_line(
    pr: Pr, emulator: EmulatorServer, tmp_path: Path
) -> None:
    missing = CliRunner().invoke(
        _entry, ["ci", "--project-dir", str(pr.project), "--state", str(tmp_path / "nope")]
    )
    assert missing.exit_code == 2 and "no production manifest" in missing.stderr
    assert "Traceback" not in missing.stderr
    nokey = CliRunner().invoke(
        _entry,
        [
            "ci",
            "--project-dir",
            str(pr.project),
            "--state",
            str(pr.prod_target),
            "--api-url",
            emulator.api_url,
        ],
        env={"ARMOR_API_KEY": ""},
    )
    assert nokey.exit_code == 2 and "ARMOR_API_KEY" in nokey.stderr
    assert len(nokey.stderr.strip().splitlines()) == 1


def test_ci_decodes_each_manifest_once(
    pr: Pr,
    platform: EmulatorServer,
    api_key: str,
    tmp_path: Path,
    manifest_decodes: Any,
) -> None:
    code, out, err = _ci(pr, platform, api_key, tmp_path, "--fail-on", "none")
    assert code == 0, out + err
    assert manifest_decodes.calls == 2  # the PR's manifest and production's, once each
