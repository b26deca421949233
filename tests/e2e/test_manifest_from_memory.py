"""An in-process run reads dbt's manifest from memory instead of a manifest.json written before
the gate: the typed manifest must be the one the file gives, field for field, and the file
must still exist whenever dbt does not run after the gate."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
import pytest
from project_copy import DbtProject

from dbt_armor.dbt.inprocess import InProcessInvoker
from dbt_armor.project.manifest import Manifest, load_manifest

pytestmark = pytest.mark.e2e

# Shapes integration_project lacks: a disabled model, an exposure, a unit test, a warn-severity
# test with a where clause, config meta and tags, a source table with its own freshness.
_EXTRA_MODELS = {
    "models/extra/_extra.yml": """
version: 2
models:
  - name: extra_orders
    description: orders again
    config: {tags: [extra], meta: {owner: data, armor: {mode: skip}}}
    columns:
      - name: order_id
        data_tests:
          - not_null:
              config: {severity: warn, where: "order_id > 0"}
  - name: extra_disabled
    config: {enabled: false}
unit_tests:
  - name: extra_orders_keeps_ids
    model: extra_orders
    given:
      - input: ref('stg_orders')
        rows: [{order_id: 1}]
    expect:
      rows: [{order_id: 1}]
exposures:
  - name: extra_dashboard
    type: dashboard
    owner: {name: Data Team, email: data@example.com}
    depends_on: [ref('extra_orders')]
sources:
  - name: extra_raw
    schema: raw
    loaded_at_field: loaded_at
    freshness: {warn_after: {count: 2, period: hour}}
    meta: {armor: {data_source: crm}}
    tables:
      - name: orders
        freshness: {error_after: {count: 1, period: day}, filter: "order_id > 0"}
        meta: {team: sales}
""",
    "models/extra/extra_orders.sql": "select order_id from {{ ref('stg_orders') }}",
    "models/extra/extra_disabled.sql": "select 1 as x",
}


def _plain(value: Any) -> Any:
    """A struct tree as plain values: decoded fields and the accessors commands read, without
    the raw byte views and caches (their bytes differ; what they decode to must not)."""
    if isinstance(value, msgspec.Struct):
        out = {}
        for name in value.__struct_fields__:
            field = getattr(value, name)
            if (
                isinstance(field, msgspec.Raw)
                or name in ("lazy", "path")
                or name.startswith("parsed_")
            ):
                continue
            out[name] = _plain(field)
        for accessor in ("config", "test_metadata", "checksum", "meta", "tags", "child_map"):
            if isinstance(getattr(type(value), accessor, None), property):
                out[f"@{accessor}"] = _plain(getattr(value, accessor))
        return out
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


@pytest.fixture(scope="module")
def project(dbt_project: DbtProject, tmp_path_factory: pytest.TempPathFactory) -> DbtProject:
    copy = dbt_project.clone(tmp_path_factory.mktemp("memory") / "shop")
    for rel, text in _EXTRA_MODELS.items():
        (copy.path / rel).parent.mkdir(parents=True, exist_ok=True)
        (copy.path / rel).write_text(text)
    return copy


def _parse_in_memory(
    project: DbtProject, monkeypatch: pytest.MonkeyPatch
) -> tuple[InProcessInvoker, Manifest, Path]:
    for key, value in project.env().items():
        monkeypatch.setenv(key, value)
    invoker = InProcessInvoker(project.path, project.profiles_dir)
    typed, path = invoker.parse_typed([], command="run")
    return invoker, typed, path


def test_memory_manifest_equals_the_file(
    project: DbtProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    stale = project.path / "target" / "manifest.json"
    stale.unlink()
    invoker, typed, path = _parse_in_memory(project, monkeypatch)
    assert path == stale
    assert not path.exists(), "the parse wrote manifest.json although the run would"
    assert invoker.write_manifest() is True
    assert invoker.write_manifest() is False  # written once
    from_file = load_manifest(path)
    for uid in ("model.armor_shop.extra_orders", "exposure.armor_shop.extra_dashboard"):
        assert typed.get(uid) is not None, uid
    assert "model.armor_shop.extra_disabled" in typed.disabled
    assert typed.unit_tests and typed.selectors and typed.parent_map and typed.child_map
    source = typed.sources["source.armor_shop.extra_raw.orders"]
    assert source.freshness is not None and source.freshness.error_after is not None
    assert _plain(typed) == _plain(from_file)


def test_dbt_plugin_with_artifacts_gets_the_file_at_parse_time(
    project: DbtProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dbt_armor.dbt import memory

    monkeypatch.setattr(memory, "artifact_hooks", lambda _name: True)
    target = project.path / "target" / "manifest.json"
    target.unlink(missing_ok=True)
    invoker, _typed, path = _parse_in_memory(project, monkeypatch)
    assert path.is_file(), "a plugin writing artifacts needs the manifest written as dbt does"
    assert invoker.write_manifest() is False


@pytest.mark.parametrize("step", ["encode", "decode"])
def test_what_the_memory_path_cannot_read_falls_back_to_the_file(
    project: DbtProject, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    """An object msgspec cannot encode, or encoded bytes the reader refuses: dbt writes the
    file and the reader reads that, so any error is the file's own."""
    from dbt_armor.dbt import memory
    from dbt_armor.errors import DbtError, ManifestError

    def refuse(*_args: Any) -> Any:
        if step == "encode":
            raise DbtError("cannot encode Table")
        raise ManifestError("<memory>: nodes does not have the expected shape")

    monkeypatch.setattr(memory, "manifest_bytes" if step == "encode" else "decode_manifest", refuse)
    (project.path / "target" / "manifest.json").unlink(missing_ok=True)
    _invoker, typed, path = _parse_in_memory(project, monkeypatch)
    assert path.is_file()
    assert _plain(typed) == _plain(load_manifest(path))


def test_config_keys_dbt_keeps_apart_are_read_from_the_file(
    project: DbtProject, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A config key dbt's schema does not declare (kept in ``config._extra``, written as an
    ordinary key) must reach the reader as in the file: such a parse falls back to it."""
    copy = project.clone(tmp_path / "shop")
    sql = copy.path / "models" / "extra" / "extra_orders.sql"
    sql.write_text("{{ config(armor_custom_key='kept') }}\n" + sql.read_text())
    (copy.path / "target" / "manifest.json").unlink(missing_ok=True)
    invoker, typed, path = _parse_in_memory(copy, monkeypatch)
    assert path.is_file(), "the parse should have let dbt write manifest.json"
    assert invoker.write_manifest() is False
    assert _plain(typed) == _plain(load_manifest(path))
    config = json.loads(typed.nodes["model.armor_shop.extra_orders"].config_json)
    assert config["armor_custom_key"] == "kept"  # an ordinary config key, as dbt writes it
