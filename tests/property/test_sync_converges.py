"""Property: sync converges. For any desired specs and any remote state (earlier syncs, hand
edits, duplicates, unmarked rules), plan -> apply (simulated on an in-memory remote) -> plan
has nothing left to do; without prune only the prune-only deletes remain.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any

from examples_budget import examples
from hypothesis import event, given, settings
from hypothesis import strategies as st

from dbt_armor.api.models import FreshnessSchedule, ReferentialCheck, ValidityRule
from dbt_armor.sync.plan import Plan, build_plan
from dbt_armor.sync.remote import item_from_check, item_from_rule, item_from_schedule
from dbt_armor.sync.request_bodies import Dialect
from dbt_armor.sync.specs import Action, Change, Kind, RemoteState, RuleSpec, Translation

NOW = datetime(2026, 11, 25, 13, 0, tzinfo=timezone.utc)
SOURCES = ("wh", "wh2")
TABLES = ("db.raw.orders", "db.raw.customers", "db.mart.fct")
RULE_TYPES = ("NOT_NULL", "UNIQUE", "ENUM", "RANGE", "REGEX", "LENGTH", "CUSTOM_SQL")
EDITS: dict[str, list[Any]] = {
    "severity": [None, "warning", "CRITICAL"],
    "name": [None, "renamed"],
    "max_orphan_count": [None, 3],
    "check_interval": [None, "12h"],
    "freshness_column": [None, "updated_at"],
    "alert_threshold_percent": [None, 2.0],
    "expected_interval_hours": [None, 48.0],
}
CONFIGS: tuple[dict[str, Any], ...] = (
    {},
    {"allowed_values": ["a", "b"]},
    {"min": 0, "max": 10},
    {"where": "x > 1"},
)


@dataclass
class FakeRemote:
    """The platform's rules, checks and schedules as API dicts, keyed by data source."""

    objects: dict[str, tuple[Kind, str, dict[str, Any]]] = field(default_factory=dict)
    ids: itertools.count[int] = field(default_factory=itertools.count)

    def create(self, kind: Kind, data_source: str, body: dict[str, Any]) -> str:
        rid = f"{kind.value}-{next(self.ids)}"
        self.objects[rid] = (
            kind,
            data_source,
            {**body, "id" if kind is not Kind.VALIDITY else "uuid": rid},
        )
        return rid

    def state(self) -> RemoteState:
        items = []
        for kind, ds, obj in self.objects.values():
            if kind is Kind.VALIDITY:
                items.append(item_from_rule(ValidityRule.model_validate(obj), ds))
            elif kind is Kind.REFERENTIAL:
                items.append(item_from_check(ReferentialCheck.model_validate(obj), ds))
            else:
                items.append(item_from_schedule(FreshnessSchedule.model_validate(obj), ds))
        return RemoteState(tuple(items), SOURCES)

    def apply(self, changes: list[Change]) -> None:
        for c in changes:
            if c.action in (Action.DELETE, Action.REPLACE):
                assert c.remote_id is not None
                del self.objects[c.remote_id]
            if c.action in (Action.CREATE, Action.REPLACE):
                assert c.payload is not None
                self.create(c.kind, c.data_source, dict(c.payload))
            if c.action is Action.UPDATE:
                assert c.remote_id is not None and c.patch is not None
                self.objects[c.remote_id][2].update(c.patch)


def _plan(specs: list[RuleSpec], remote: FakeRemote, dialect: Dialect) -> Plan:
    return build_plan(Translation(tuple(specs), (), ()), remote.state(), dialect=dialect, now=NOW)


@st.composite
def spec(draw: st.DrawFn, kind: Kind) -> RuleSpec:
    node = draw(st.sampled_from(["model.p.orders", "model.p.customers", "source.p.raw.orders"]))
    column = draw(st.sampled_from(["id", "status", None]))
    base: dict[str, Any] = {
        "key": f"{node}:{column or ''}:{draw(st.sampled_from(['t1', 't2', 't3']))}",
        "kind": kind,
        "node_id": node,
        "data_source": draw(st.sampled_from(SOURCES)),
        "table_path": draw(st.sampled_from(TABLES)),
        "column": column,
        "rule_type": draw(st.sampled_from(RULE_TYPES)),
        "test_name": draw(st.sampled_from(["not_null", "dbt_utils.expression_is_true"])),
        "label": node.rsplit(".", 1)[1],
        "severity": draw(st.sampled_from(["critical", "error", "warning", "info"])),
    }
    if kind is Kind.VALIDITY:
        base["config"] = draw(st.sampled_from(CONFIGS))
        base["alert_threshold_percent"] = draw(st.none() | st.sampled_from([1.0, 5.5]))
        base["notes"] = tuple(draw(st.lists(st.sampled_from(["note a", "note b"]), max_size=1)))
    elif kind is Kind.REFERENTIAL:
        base["column"] = column or "id"
        base["rule_type"] = "REFERENTIAL"
        base["parent_table_path"] = draw(st.sampled_from(TABLES))
        base["parent_column"] = draw(st.sampled_from(["id", "key"]))
        base["max_orphan_count"] = draw(st.none() | st.integers(0, 5))
    else:
        base["rule_type"] = "FRESHNESS"
        base["key"] = f"freshness:{base['data_source']}:{base['table_path']}"
        base["check_interval"] = draw(st.sampled_from(["1h", "6h"]))
        base["expected_interval_hours"] = draw(st.sampled_from([12.0, 24.0]))
        base["freshness_column"] = draw(st.none() | st.just("loaded_at"))
    return RuleSpec(**base)


specs = st.lists(
    st.sampled_from(list(Kind)).flatmap(spec), max_size=8, unique_by=lambda s: (s.kind, s.key)
)


def _edit(data: st.DataObject, remote: FakeRemote) -> None:
    """One hand edit on the platform: a changed field, a copy, a lost marker, a stray rule."""
    what = data.draw(st.sampled_from(["field", "duplicate", "unmark", "stray"]))
    if what == "stray" or not remote.objects:
        body = {"rule_type": "NOT_NULL", "table_path": "db.raw.orders", "column_name": "id",
                "name": "hand-made", "description": "made in the UI"}  # fmt: skip
        remote.create(Kind.VALIDITY, data.draw(st.sampled_from(SOURCES)), body)
        return
    rid = data.draw(st.sampled_from(sorted(remote.objects)))
    kind, ds, obj = remote.objects[rid]
    if what == "duplicate":
        remote.create(kind, ds, {k: v for k, v in obj.items() if k not in ("id", "uuid")})
    elif what == "unmark" and kind is not Kind.FRESHNESS:
        obj["description"] = "edited by hand"
    else:
        name = data.draw(st.sampled_from(sorted(EDITS)))
        obj[name] = data.draw(st.sampled_from(EDITS[name]))


SPEC_EDITS: dict[str, list[Any]] = {
    "severity": ["critical", "warning"],
    "config": list(CONFIGS),
    "alert_threshold_percent": [None, 9.0],
    "max_orphan_count": [None, 1],
    "check_interval": ["1h", "12h"],
    "freshness_column": [None, "loaded_at"],
    "table_path": list(TABLES),
    "notes": [(), ("note c",)],
}


@st.composite
def derived(draw: st.DrawFn, earlier: list[RuleSpec]) -> list[RuleSpec]:
    """The next version of a project: most specs kept, some edited or dropped, some new."""
    out = []
    for old in earlier:
        fate, name = draw(st.sampled_from(["keep", "edit", "edit", "drop"])), ""
        if fate == "edit":
            name = draw(st.sampled_from(sorted(SPEC_EDITS)))
            old = replace(old, **{name: draw(st.sampled_from(SPEC_EDITS[name]))})
        if fate != "drop" and (old.kind is not Kind.FRESHNESS or name != "table_path"):
            out.append(old)
    seen = {(s.kind, s.key) for s in out}
    out += [s for s in draw(specs) if (s.kind, s.key) not in seen]
    return out


@settings(max_examples=examples(100), deadline=None)
@given(st.data(), specs, st.sampled_from(["upper", "backend"]))
def test_plan_apply_plan_is_empty(
    data: st.DataObject, earlier: list[RuleSpec], dialect: Dialect
) -> None:
    desired = data.draw(st.one_of(specs, derived(earlier)))
    remote = FakeRemote()
    remote.apply(_plan(earlier, remote, dialect).pending(prune=True))
    for _ in range(data.draw(st.integers(0, 3))):
        _edit(data, remote)
    before = dict(remote.objects)

    first = _plan(desired, remote, dialect)
    for action, n in first.counts().items():
        event(f"{action}: {'some' if n else 'none'}")
    keep = FakeRemote(dict(before), itertools.count(10_000))
    keep.apply(first.pending(prune=False))
    left = _plan(desired, keep, dialect)
    assert all(c.action is Action.DELETE and c.needs_prune for c in left.pending(prune=False)) or (
        not left.pending(prune=False)
    ), [(c.action, c.key, c.reason) for c in left.pending(prune=False)]

    remote.apply(first.pending(prune=True))
    second = _plan(desired, remote, dialect)
    assert not second.has_changes, [(c.action, c.key, c.diffs) for c in second.changes
                                    if c.action is not Action.UNCHANGED]  # fmt: skip


@settings(max_examples=examples(100), deadline=None)
@given(st.data(), specs, st.sampled_from(["upper", "backend"]))
def test_a_listing_that_repeats_ids_plans_the_same(
    data: st.DataObject, earlier: list[RuleSpec], dialect: Dialect
) -> None:
    """An offset listing that returned some objects twice (an insert while it was paged) plans
    exactly what the clean listing plans: never a delete of an id it also keeps."""
    remote = FakeRemote()
    remote.apply(_plan(earlier, remote, dialect).pending(prune=True))
    for _ in range(data.draw(st.integers(0, 2))):
        _edit(data, remote)
    clean = remote.state()
    repeats = data.draw(st.lists(st.sampled_from(clean.items), max_size=4)) if clean.items else []
    noisy = replace(clean, items=clean.items + tuple(repeats))
    translation = Translation(tuple(earlier), (), ())
    plans = [build_plan(translation, s, dialect=dialect, now=NOW) for s in (clean, noisy)]
    assert plans[0] == plans[1]
    kept = {c.remote_id for c in plans[1].changes if c.action is not Action.DELETE}
    deletes = [c for c in plans[1].pending(prune=False) if c.action is Action.DELETE]
    assert not [c for c in deletes if c.remote_id in kept]


@settings(max_examples=examples(40), deadline=None)
@given(st.data(), specs, st.sampled_from(["upper", "backend"]), st.booleans())
def test_a_fresh_plan_passes_its_own_live_check(
    data: st.DataObject, earlier: list[RuleSpec], dialect: Dialect, prune: bool
) -> None:
    """Whatever the platform holds (earlier syncs, hand edits, copies, unmarked and stray
    rules), the plan computed from it is allowed by apply's live re-check of that same state;
    and pointing any of its changes at an unmarked rule is not."""
    from dbt_armor.sync.verify import problems

    desired = data.draw(st.one_of(specs, derived(earlier)))
    remote = FakeRemote()
    remote.apply(_plan(earlier, remote, dialect).pending(prune=True))
    for _ in range(data.draw(st.integers(0, 3))):
        _edit(data, remote)
    live = remote.state().items
    pending = _plan(desired, remote, dialect).pending(prune)
    assert problems(pending, live) == []
    foreign = [i for i in live if i.key is None and i.kind is not Kind.FRESHNESS]
    targets = [c for c in pending if c.kind is not Kind.FRESHNESS]
    if foreign and targets:
        victim = data.draw(st.sampled_from(foreign))
        change = data.draw(st.sampled_from(targets))
        action = data.draw(st.sampled_from([Action.UPDATE, Action.REPLACE, Action.DELETE]))
        hijacked = replace(change, action=action, remote_id=victim.remote_id,
                           kind=victim.kind, data_source=victim.data_source)  # fmt: skip
        assert problems([hijacked], live)
