"""The pure diff: create / update / replace / delete / unchanged, scope, prune, JSON form."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pytest

from dbt_armor.api.models import FreshnessSchedule, ReferentialCheck, ValidityRule
from dbt_armor.errors import PlanError
from dbt_armor.sync import plan_json
from dbt_armor.sync.plan import Plan, build_plan
from dbt_armor.sync.remote import item_from_check, item_from_rule, item_from_schedule
from dbt_armor.sync.request_bodies import create_payload
from dbt_armor.sync.specs import Action, Kind, RemoteItem, RemoteState, RuleSpec, Translation

NOW = datetime(2026, 11, 25, 13, 0, tzinfo=timezone.utc)


def as_remote(spec: RuleSpec, n: int) -> RemoteItem:
    """What the platform would report after creating ``spec`` (ids made up)."""
    body = create_payload(spec, "upper")
    if spec.kind is Kind.VALIDITY:
        return item_from_rule(ValidityRule.model_validate({**body, "uuid": f"r{n}"}), "warehouse")
    if spec.kind is Kind.REFERENTIAL:
        return item_from_check(
            ReferentialCheck.model_validate({**body, "id": f"c{n}"}), "warehouse"
        )
    return item_from_schedule(
        FreshnessSchedule.model_validate({**body, "id": f"s{n}"}), "warehouse"
    )


def applied(translation: Translation) -> RemoteState:
    items = tuple(as_remote(s, i) for i, s in enumerate(translation.specs))
    return RemoteState(items=items, data_sources=("warehouse",))


def plan_for(translation: Translation, remote: RemoteState, **kw: object) -> Plan:
    return build_plan(translation, remote, dialect="upper", now=NOW, **kw)  # type: ignore[arg-type]


def actions(plan: Plan) -> dict[str, Action]:
    return {c.key: c.action for c in plan.changes}


def test_empty_remote_creates_everything(translation: Translation) -> None:
    plan = plan_for(translation, RemoteState(items=(), data_sources=("warehouse",)))
    assert set(actions(plan).values()) == {Action.CREATE}
    assert len(plan.changes) == len(translation.specs)
    assert plan.generated_at == "2026-11-25T13:00:00Z"


def test_applied_state_plans_nothing(translation: Translation) -> None:
    plan = plan_for(translation, applied(translation))
    assert not plan.has_changes
    assert plan.counts()["unchanged"] == len(translation.specs)


def test_mutable_change_is_an_update_with_field_diffs(translation: Translation) -> None:
    spec = next(s for s in translation.specs if s.key == "model.shop.orders:order_id:not_null")
    edited = replace(translation, specs=tuple(
        replace(s, severity="warning") if s is spec else s for s in translation.specs
    ))  # fmt: skip
    change = next(c for c in plan_for(edited, applied(translation)).changes if c.key == spec.key)
    assert change.action is Action.UPDATE and change.patch == {"severity": "warning"}
    assert [(d.field, d.before, d.after) for d in change.diffs] == [
        ("severity", "critical", "warning")
    ]


def test_rules_created_without_null_handling_get_a_patch(translation: Translation) -> None:
    """A rule created before sync sent treat_null_as_valid (server default false) is updated in
    place, not replaced; a NOT_NULL rule already matches the default and stays unchanged."""
    old = tuple(
        replace(i, fields={**i.fields, "treat_null_as_valid": False})
        for i in applied(translation).items
        if i.kind is Kind.VALIDITY
    )
    plan = plan_for(translation, RemoteState(items=old, data_sources=("warehouse",)))
    by_key = {c.key: c for c in plan.changes}
    enums = [c for k, c in by_key.items() if k.startswith("model.shop.orders:status:accepted_")]
    assert enums and all(c.action is Action.UPDATE for c in enums)
    assert all(c.patch == {"treat_null_as_valid": True} for c in enums)
    assert by_key["model.shop.orders:order_id:not_null"].action is Action.UNCHANGED
    assert not [c for c in plan.changes if c.action is Action.REPLACE]


def test_immutable_change_is_a_replace(translation: Translation) -> None:
    key = "model.shop.customers:tier:dbt_expectations.expect_column_values_to_be_in_set"
    edited = replace(translation, specs=tuple(
        replace(s, config={"allowed_values": ["gold"]}) if s.key == key else s
        for s in translation.specs
    ))  # fmt: skip
    change = next(c for c in plan_for(edited, applied(translation)).changes if c.key == key)
    assert change.action is Action.REPLACE and change.remote_id
    assert change.payload is not None and change.payload["rule_config"] == {
        "allowed_values": ["gold"]
    }
    assert "silver" in str(change.diffs[0].before) and "silver" not in str(change.diffs[0].after)


def test_removed_test_is_a_delete_that_needs_prune(translation: Translation) -> None:
    gone = "model.shop.orders:order_id:unique"
    fewer = replace(translation, specs=tuple(s for s in translation.specs if s.key != gone))
    plan = plan_for(fewer, applied(translation))
    change = next(c for c in plan.changes if c.key == gone)
    assert change.action is Action.DELETE and change.needs_prune
    assert change not in plan.pending(prune=False) and change in plan.pending(prune=True)


def test_unmarked_rules_are_never_touched(translation: Translation) -> None:
    foreign = RemoteItem(Kind.VALIDITY, "x1", "warehouse", "warehouse.main.orders",
                         None, None, None, {"name": "hand made"})  # fmt: skip
    remote = applied(translation)
    plan = plan_for(translation, replace(remote, items=(*remote.items, foreign)))
    assert all(c.remote_id != "x1" for c in plan.changes)
    assert not plan.has_changes


def test_duplicates_of_a_key_are_cleaned_up_without_prune(translation: Translation) -> None:
    spec = translation.specs[0]
    remote = applied(translation)
    twin = replace(as_remote(spec, 999), remote_id="zz-twin")
    plan = plan_for(translation, replace(remote, items=(*remote.items, twin)))
    deletes = [c for c in plan.changes if c.action is Action.DELETE]
    assert len(deletes) == 1 and not deletes[0].needs_prune
    assert deletes[0].key == spec.key


def test_scoped_plan_never_deletes_outside_the_scope(translation: Translation) -> None:
    scope = frozenset({"model.shop.orders"})
    plan = plan_for(translation, applied(translation), scope=scope)
    assert {c.node_id for c in plan.changes} == {"model.shop.orders"}
    nothing = replace(translation, specs=())
    plan = plan_for(nothing, applied(translation), scope=scope)
    assert plan.changes and {c.node_id for c in plan.changes} == {"model.shop.orders"}
    assert all(c.action is Action.DELETE for c in plan.changes) and plan.scoped


def test_existing_schedule_on_a_configured_table_is_updated_not_duplicated(
    translation: Translation,
) -> None:
    spec = next(s for s in translation.specs if s.key == "source.shop.raw.orders::freshness")
    other = FreshnessSchedule.model_validate({"id": "s-old", "asset_id": "warehouse",
        "table_path": "WAREHOUSE.raw.orders", "check_interval": "1d",
        "monitoring_mode": "auto_learn"})  # fmt: skip
    remote = RemoteState(items=(item_from_schedule(other, "warehouse"),), data_sources=())
    change = next(c for c in plan_for(translation, remote).changes if c.key == spec.key)
    assert change.action is Action.UPDATE and change.remote_id == "s-old"
    assert change.patch is not None
    assert change.patch["check_interval"] == "1h"
    assert change.patch["monitoring_mode"] == "explicit"


def test_fingerprint_tracks_the_remote_state(translation: Translation) -> None:
    remote = applied(translation)
    first = plan_for(translation, remote).remote_fingerprint
    assert first == plan_for(translation, remote).remote_fingerprint
    changed = replace(remote, items=remote.items[1:])
    assert plan_for(translation, changed).remote_fingerprint != first


def test_json_round_trip(translation: Translation, tmp_path: Path) -> None:
    plan = plan_for(translation, RemoteState(items=(), data_sources=("warehouse",)))
    path = tmp_path / "plan.json"
    path.write_text(plan_json.dumps(plan))
    raw = json.loads(path.read_text())
    assert raw["schema_version"] == 1 and list(raw)[:3] == [
        "schema_version",
        "generated_at",
        "remote_fingerprint",
    ]
    assert raw["unmapped"] and raw["warnings"]
    again = plan_json.load(path)
    assert again == plan


@pytest.mark.parametrize(
    ("text", "match"),
    [("{", "not JSON"), ("[]", "not a dbt-armor plan"), ('{"schema_version": 9}', "not supported"),
     ('{"schema_version": 1}', "malformed")],
)  # fmt: skip
def test_bad_plan_files_are_plan_errors(tmp_path: Path, text: str, match: str) -> None:
    path = tmp_path / "plan.json"
    path.write_text(text)
    with pytest.raises(PlanError, match=match):
        plan_json.load(path)


def test_clearing_a_field_is_a_replace(translation: Translation) -> None:
    key = "model.shop.payments:method:dbt_utils.not_null_proportion"
    edited = replace(translation, specs=tuple(
        replace(s, alert_threshold_percent=None) if s.key == key else s for s in translation.specs
    ))  # fmt: skip
    change = next(c for c in plan_for(edited, applied(translation)).changes if c.key == key)
    assert change.action is Action.REPLACE
    assert [(d.field, d.before, d.after) for d in change.diffs] == [
        ("alert_threshold_percent", 5.0, None)
    ]


def test_every_copy_of_a_schedule_follows_dbt_so_a_replace_converges(
    translation: Translation,
) -> None:
    """Two schedules on one table, both with a freshness column dbt no longer sets: each is
    replaced. Managing one copy only left the other behind, and as the replacement gets a new
    id that sorts after the copy, the next plan picked the copy and replaced again."""
    spec = next(s for s in translation.specs if s.key == "source.shop.raw.customers::freshness")
    assert spec.kind is Kind.FRESHNESS and spec.freshness_column is None
    copies = [as_remote(replace(spec, freshness_column="loaded_at"), n) for n in (0, 1)]
    remote = RemoteState(items=tuple(copies), data_sources=())
    first = [c for c in plan_for(translation, remote).changes if c.key == spec.key]
    assert [(c.action, c.remote_id) for c in first] == [
        (Action.REPLACE, "s0"),
        (Action.REPLACE, "s1"),
    ]
    assert all(c.reason == "a field must be cleared, which PATCH cannot do" for c in first)
    for c in first:
        assert [(d.field, d.before, d.after) for d in c.diffs] == [
            ("freshness_column", "loaded_at", None)
        ]

    made = [item_from_schedule(FreshnessSchedule.model_validate(
        {**(c.payload or {}), "id": f"s{n}"}), "warehouse") for n, c in enumerate(first, 2)
    ]  # fmt: skip
    after = RemoteState(items=tuple(made), data_sources=())
    second = [c for c in plan_for(translation, after).changes if c.key == spec.key]
    assert [(c.action, c.remote_id) for c in second] == [
        (Action.UNCHANGED, "s2"),
        (Action.UNCHANGED, "s3"),
    ]

    half = RemoteState(items=(copies[1], made[0]), data_sources=())  # only one copy was replaced
    third = [c for c in plan_for(translation, half).changes if c.key == spec.key]
    assert [(c.action, c.remote_id) for c in third] == [
        (Action.REPLACE, "s1"),
        (Action.UNCHANGED, "s2"),
    ]
