"""Source freshness configs (warn_after / error_after, loaded_at_field) -> schedule specs (pure).

Owns the hours conversion and the check-interval choice; it must not talk to the platform.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dbt_armor.errors import ArmorError
from dbt_armor.project.periods import threshold_hours
from dbt_armor.sync.inputs import as_dict, get
from dbt_armor.sync.specs import Kind, RuleSpec, Unmapped

# (smallest threshold in hours, check interval): check at least ~8 times per threshold.
_INTERVALS = ((56 * 24.0, "1w"), (8 * 24.0, "1d"), (48.0, "6h"), (8.0, "1h"), (0.0, "5m"))


def hours(after: Any) -> float | None:
    """``{"count": 2, "period": "day"}`` -> 48.0; ``None`` when unset."""
    found = threshold_hours(get(after, "count"), get(after, "period"))
    return None if found is None else round(found, 6)


def check_interval(threshold_hours: float) -> str:
    for floor, interval in _INTERVALS:
        if threshold_hours >= floor:
            return interval
    return "5m"


def _armor(source: Any) -> dict[str, Any]:
    meta = dict(as_dict(get(source, "meta", {})))
    meta.update(as_dict(get(get(source, "config", {}), "meta", {})))
    armor = meta.get("armor")
    return dict(armor) if isinstance(armor, dict) else {}


def _freshness(source: Any) -> Any:
    return get(source, "freshness") or get(get(source, "config", {}), "freshness")


def translate_sources(
    manifest: Any, resolve: Callable[[str], Any]
) -> tuple[list[RuleSpec], list[Unmapped]]:
    specs: list[RuleSpec] = []
    unmapped: list[Unmapped] = []
    for uid, source in sorted((get(manifest, "sources", {}) or {}).items()):
        fresh = _freshness(source)
        error_h = hours(get(fresh, "error_after"))
        warn_h = hours(get(fresh, "warn_after"))
        if error_h is None and warn_h is None:
            continue
        label = f"{get(source, 'source_name', '')}.{get(source, 'name', '')}"
        if _armor(source).get("sync") is False:
            unmapped.append(Unmapped(uid, f"freshness {label}", "meta.armor.sync is false", uid))
            continue
        try:
            where = resolve(uid)
        except ArmorError as exc:
            reason = f"cannot resolve the platform name: {exc}"
            unmapped.append(Unmapped(uid, f"freshness {label}", reason, uid))
            continue
        threshold = error_h if error_h is not None else warn_h
        assert threshold is not None
        notes: tuple[str, ...] = ()
        if error_h is None:
            notes = ("no error_after: warn_after used as the expected interval",)
        column = get(source, "loaded_at_field")
        specs.append(
            RuleSpec(
                key=f"{uid}::freshness",
                kind=Kind.FRESHNESS,
                node_id=uid,
                data_source=where.data_source,
                table_path=where.table_path,
                column=None,
                rule_type="FRESHNESS",
                test_name="freshness",
                label=label,
                severity="critical" if error_h is not None else "warning",
                check_interval=check_interval(threshold),
                expected_interval_hours=threshold,
                warn_after_hours=warn_h,
                freshness_column=str(column) if column else None,
                tags=tuple(str(t) for t in get(source, "tags", ()) or ()),
                notes=notes,
            )
        )
    return specs, unmapped
