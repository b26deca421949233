"""The stored-record side of a rule family (validity rules, referential checks): list in an
asset's scope, find by UUID or integer id, insert, patch, delete, and read their results.

No route is registered here, and no family-specific field is interpreted (``validate`` does that).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dbt_armor.emulator.routes.base import not_found
from dbt_armor.emulator.routes.common import lookup, path_matches, quality_scope
from dbt_armor.emulator.state import Record, iso

if TYPE_CHECKING:
    from dbt_armor.emulator.app import App


@dataclass(frozen=True)
class Family:
    """How one family stores its records; ``collection`` also names its id counter."""

    collection: str  # state collection of the records, e.g. "validity"
    results: str  # state collection of their results, keyed by the record's UUID
    label: str  # for "not found" answers, e.g. "Validity rule"
    uuid_key: str  # the record's UUID field
    int_key: str  # the record's integer id field
    table_key: str  # the field naming the table the record checks
    patchable: tuple[str, ...]
    validate: Callable[[Record], None]

    def records(self, app: App, asset_id: str) -> list[Record]:
        """The records of the asset's data source, narrowed to its table when it is one."""
        ds_id, table = quality_scope(app, asset_id)
        with app.state.lock:
            found = [r for r in app.state.data[self.collection].values() if r["asset_id"] == ds_id]
        if table is not None:
            found = [r for r in found if path_matches(table, r[self.table_key])]
        return sorted(found, key=lambda r: r[self.int_key])

    def find(self, app: App, asset_id: str, ident: str) -> Record:
        """One record in the asset's scope by UUID or integer id, else 404."""
        scoped = {r[self.uuid_key]: r for r in self.records(app, asset_id)}
        record = lookup(scoped, ident, self.int_key)
        if record is None:
            raise not_found(self.label, ident)
        return record

    def history(self, app: App, record: Record) -> list[dict[str, Any]]:
        """The record's results, newest first (a copy)."""
        return list(app.state.data[self.results].get(record[self.uuid_key], []))

    def latest_status(self, app: App, record: Record) -> str | None:
        results = app.state.data[self.results].get(record[self.uuid_key], [])
        return results[0]["status"] if results else None  # type: ignore[no-any-return]

    def insert(self, app: App, record: Record) -> None:
        """Give ``record`` its next integer id and a UUID derived from it, and store it."""
        with app.state.mutate() as st:
            record[self.int_key] = st.next_int(self.collection)
            record[self.uuid_key] = st.name_uuid(f"{self.collection}:{record[self.int_key]}")
            st.data[self.collection][record[self.uuid_key]] = record

    def patch(self, app: App, asset_id: str, ident: str, body: dict[str, Any]) -> Record:
        """Apply the patchable fields of ``body``; nothing changes unless the result validates."""
        with app.state.mutate():
            record = self.find(app, asset_id, ident)
            candidate = dict(record)
            candidate.update({k: body[k] for k in self.patchable if k in body})
            self.validate(candidate)
            candidate["updated_at"] = iso(app.state.now())
            record.update(candidate)
        return record

    def delete(self, app: App, asset_id: str, ident: str) -> Record:
        """Remove the record and its results; returns the removed record."""
        with app.state.mutate() as st:
            record = self.find(app, asset_id, ident)
            st.data[self.collection].pop(record[self.uuid_key], None)
            st.data[self.results].pop(record[self.uuid_key], None)
        return record
