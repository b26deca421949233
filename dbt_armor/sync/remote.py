"""Read the platform state sync diffs against: validity rules, referential checks, schedules.

Owns listing through the client and normalising API models into RemoteItems (ownership from
the description marker). It must not decide or write anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from dbt_armor.api import ArmorClient
from dbt_armor.api.models import FreshnessSchedule, ReferentialCheck, ValidityRule
from dbt_armor.errors import ConfigError, NotFoundError
from dbt_armor.sync.keys import parse_marker
from dbt_armor.sync.rule_text import config_text, target
from dbt_armor.sync.specs import Kind, RemoteItem, RemoteState, unique_by_id


def _item(
    kind: Kind,
    remote_id: str,
    data_source: str,
    table_path: str,
    description: str | None,
    fields: Mapping[str, Any],
) -> RemoteItem:
    """A RemoteItem owned as the marker in ``description`` says (no marker: never touched)."""
    marker = parse_marker(description)
    return RemoteItem(
        kind=kind,
        remote_id=remote_id,
        data_source=data_source,
        table_path=table_path,
        key=marker.key if marker else None,
        node_id=marker.node_id if marker else None,
        spec_hash=marker.spec_hash if marker else None,
        fields=fields,
    )


def item_from_rule(rule: ValidityRule, data_source: str) -> RemoteItem:
    column = f".{rule.column_name}" if rule.column_name else ""
    config = ",".join(f"{k}={v}" for k, v in sorted(rule.rule_config.items()))
    return _item(
        Kind.VALIDITY,
        rule.uuid or str(rule.id),
        data_source,
        rule.table_path,
        rule.description,
        {
            "name": rule.name,
            "description": rule.description,
            "severity": (rule.severity or "").lower() or None,
            "alert_threshold_percent": rule.alert_threshold_percent,
            # the API default is false; a server that omits the field uses that default
            "treat_null_as_valid": bool(rule.treat_null_as_valid),
            "definition": f"{rule.rule_type} {rule.table_path}{column} {config}".strip(),
            "target": target(rule.table_path, rule.column_name),
            "rule": f"{rule.rule_type} {config_text(rule.rule_type, rule.rule_config)}".strip(),
        },
    )


def item_from_check(check: ReferentialCheck, data_source: str) -> RemoteItem:
    child = f"{check.child_table_path}.{check.child_column_name}"
    parent = f"{check.parent_table_path}.{check.parent_column_name}"
    return _item(
        Kind.REFERENTIAL,
        check.id,
        data_source,
        check.child_table_path,
        check.description,
        {
            "name": check.name,
            "description": check.description,
            "max_orphan_count": check.max_orphan_count,
            "definition": f"{child} -> {parent}",
            "target": target(check.child_table_path, check.child_column_name),
            "rule": "-> " + target(check.parent_table_path, check.parent_column_name),
        },
    )


def item_from_schedule(schedule: FreshnessSchedule, data_source: str) -> RemoteItem:
    """Schedules carry no description, hence no ownership marker."""
    return _item(
        Kind.FRESHNESS,
        schedule.id,
        data_source,
        schedule.table_path,
        None,
        {
            "check_interval": schedule.check_interval,
            "expected_interval_hours": schedule.expected_interval_hours,
            "freshness_column": schedule.freshness_column,
            "monitoring_mode": schedule.monitoring_mode,
        },
    )


def list_rules(client: ArmorClient, data_source: str) -> list[RemoteItem]:
    """Every validity rule and referential check on one data source, each id once."""
    try:
        items = [item_from_rule(r, data_source) for r in client.validity.iter(data_source)]
        items += [item_from_check(c, data_source) for c in client.referential.iter(data_source)]
    except NotFoundError as exc:
        raise ConfigError(
            f"data source {data_source!r} is not known to the platform",
            hint="connect it on the platform, or set data_sources in dbt_armor.yml",
        ) from exc
    return unique_by_id(items)


def read_remote(
    client: ArmorClient,
    data_sources: Iterable[str],
    schedule_paths: Iterable[tuple[str, str]] = (),
) -> RemoteState:
    """Rules on each data source, plus the schedules whose table path a dbt source configures."""
    sources = tuple(sorted(set(data_sources)))
    wanted = {(ds, path.lower()) for ds, path in schedule_paths}
    items: list[RemoteItem] = []
    for ds in sources:
        items.extend(list_rules(client, ds))
    for ds in sorted({ds for ds, _ in wanted}):
        for schedule in client.freshness.iter_schedules(asset_id=ds):
            if (ds, schedule.table_path.lower()) in wanted:
                items.append(item_from_schedule(schedule, ds))
    items = unique_by_id(items)
    unmarked = sum(1 for i in items if i.key is None and i.kind is not Kind.FRESHNESS)
    managed = tuple(i for i in items if i.key is not None or i.kind is Kind.FRESHNESS)
    return RemoteState(items=managed, data_sources=sources, unmarked=unmarked)
