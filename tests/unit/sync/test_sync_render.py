"""The terminal plan: a summary line, one unwrapped line per change, unmapped grouped by reason."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import datetime, timezone

import pytest
from rich.console import Console

from dbt_armor.api.models import ValidityRule
from dbt_armor.sync.plan import Plan, build_plan
from dbt_armor.sync.remote import item_from_rule
from dbt_armor.sync.render import print_plan, result_line, undone_line
from dbt_armor.sync.request_bodies import create_payload
from dbt_armor.sync.result import ApplyResult
from dbt_armor.sync.rule_text import config_text, rule_text
from dbt_armor.sync.specs import Kind, RemoteState, Translation

NOW = datetime(2026, 11, 25, 13, 0, tzinfo=timezone.utc)
SYMBOLS = ("+ ", "~ ", "± ", "- ", "= ")


def render(plan: Plan, width: int, verbose: bool = False) -> list[str]:
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, soft_wrap=False)
    print_plan(plan, console, verbose=verbose)
    return buffer.getvalue().splitlines()


def empty_remote(translation: Translation) -> Plan:
    remote = RemoteState(items=(), data_sources=("warehouse",))
    return build_plan(translation, remote, dialect="upper", now=NOW)


def mixed_plan(translation: Translation) -> Plan:
    """Two validity rules applied (one since edited in dbt), one managed rule whose test is gone;
    everything else still to create."""
    validity = [s for s in translation.specs if s.kind is Kind.VALIDITY]
    kept, edited = validity[0], validity[1]
    items = []
    for n, spec in enumerate((kept, edited)):
        body = create_payload(spec, "upper")
        rule = ValidityRule.model_validate({**body, "uuid": f"r{n}"})
        items.append(item_from_rule(rule, spec.data_source))
    gone = replace(validity[2], key="model.shop.gone:id:not_null", node_id="model.shop.gone")
    body = create_payload(gone, "upper")
    rule = ValidityRule.model_validate({**body, "uuid": "r9"})
    items.append(item_from_rule(rule, gone.data_source))
    specs = tuple(replace(s, severity="warning") if s is edited else s for s in translation.specs)
    remote = RemoteState(items=tuple(items), data_sources=("warehouse",))
    return build_plan(replace(translation, specs=specs), remote, dialect="upper", now=NOW)


@pytest.mark.parametrize("width", [80, 100])
def test_one_line_per_change_within_the_width(translation: Translation, width: int) -> None:
    plan = empty_remote(translation)
    lines = render(plan, width)
    assert lines[0] == (
        f"Plan: {len(translation.specs)} to create, 0 to update, 0 to replace, 0 to delete, "
        f"0 unchanged; {len(translation.unmapped)} unmapped"
    )
    rows = [line for line in lines if line.startswith(SYMBOLS)]
    assert len(rows) == len(plan.changes)
    assert all(len(line) <= width for line in lines[1:])
    assert not any(c.key in "\n".join(rows) for c in plan.changes)  # keys only with -v
    enum = next(r for r in rows if "orders.status" in r and "ENUM [placed, shipped]" in r)
    assert enum.startswith("+ validity") and enum.rstrip().endswith("critical")
    assert any(r.startswith("+ referential") and "-> customers.id" in r for r in rows)
    assert any(r.startswith("+ freshness") and "every 24h (warn 12h)" in r for r in rows)


def test_unchanged_hidden_and_update_delete_shown(translation: Translation) -> None:
    plan = mixed_plan(translation)
    lines = render(plan, 120)
    counts = plan.counts()
    assert (counts["update"], counts["delete"], counts["unchanged"]) == (1, 1, 1)
    assert "1 to update" in lines[0] and "1 to delete (needs --prune), 1 unchanged" in lines[0]
    rows = [line for line in lines if line.startswith(SYMBOLS)]
    assert not [r for r in rows if r.startswith("= ")]
    update = next(r for r in rows if r.startswith("~ "))
    assert "severity critical→warning" in update and "(name" not in update
    delete = next(r for r in rows if r.startswith("- "))
    assert "no longer in the dbt project, needs --prune" in delete
    order = [r[0] for r in rows]
    assert order == sorted(order, key="+~±-".index)


def test_replace_shows_the_old_rule(translation: Translation) -> None:
    spec = next(
        s for s in translation.specs if s.config.get("allowed_values") == ["gold", "silver"]
    )
    body = create_payload(spec, "backend")
    rule = ValidityRule.model_validate({**body, "uuid": "r1"})
    remote = (item_from_rule(rule, spec.data_source),)
    edited = replace(spec, config={"allowed_values": ["gold", "silver", "bronze"]})
    specs = tuple(edited if s is spec else s for s in translation.specs)
    state = RemoteState(items=remote, data_sources=("warehouse",))
    plan = build_plan(replace(translation, specs=specs), state, dialect="upper", now=NOW)
    row = next(line for line in render(plan, 120) if line.startswith("± "))
    assert "ENUM [gold, silver, bronze]  (was: ENUM [gold, silver])" in row


def test_verbose_adds_unchanged_rows_and_full_keys(translation: Translation) -> None:
    plan = mixed_plan(translation)
    text = "\n".join(render(plan, 80, verbose=True))
    assert any(line.startswith("= ") for line in text.splitlines())
    for change in plan.changes:
        assert f"key {change.key}" in text  # never cut, even past the width


def test_unmapped_one_line_per_reason(translation: Translation) -> None:
    lines = render(empty_remote(translation), 100)
    start = lines.index(f"Not synced ({len(translation.unmapped)}):")
    reasons = {u.reason for u in translation.unmapped}
    group_lines = lines[start + 1 : start + 1 + len(reasons)]
    assert all(line.startswith("  ") for line in group_lines)
    assert sorted(line.split(" (")[0].strip() for line in group_lines) == sorted(
        r.split(" (")[0] for r in reasons
    )
    sync_false = next(line for line in group_lines if "meta.armor.sync is false" in line)
    assert sync_false.startswith("  meta.armor.sync is false (2): ")


def test_rule_texts() -> None:
    assert config_text("RANGE", {"min": 0, "max": 5, "inclusive": False}) == "(0, 5)"
    assert config_text("RANGE", {"min": 0}) == ">= 0"
    assert config_text("LENGTH", {"max_length": 3}) == "<= 3"
    assert config_text("allowed_values", {"values": ["a", "b"]}) == ""  # canonical names only
    assert config_text("ENUM", {"values": ["a", "b"]}) == "[a, b]"  # backend-dialect key
    assert config_text("CUSTOM_SQL", {"sql_expression": "coalesce((a > 1), TRUE)"}) == "a > 1"
    odd = "coalesce((a) > (b), TRUE)"  # not one wrapped expression: shown as is
    assert config_text("CUSTOM_SQL", {"sql_expression": odd}) == odd


def test_rule_text_of_not_null_proportion(translation: Translation) -> None:
    spec = next(s for s in translation.specs if s.alert_threshold_percent)
    assert rule_text(spec) == "NOT_NULL (alert above 5%)"


def test_result_line() -> None:
    result = ApplyResult()
    result.done.update(create=3, update=1)
    assert result_line(result, 1.234, 9) == (
        "Applied: 3 created, 1 updated, 0 replaced, 0 deleted, 0 reconciled, 0 cleaned up "
        "in 1.2 s (9 requests)"
    )
    assert undone_line(result) is None
    result.not_done.append(object())  # type: ignore[arg-type]
    result.stopped = "the 5 s apply budget ran out"
    assert undone_line(result) == (
        "Not done: 0 failed, 1 not attempted (stopped: the 5 s apply budget ran out)"
    )
