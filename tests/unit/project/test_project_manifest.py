"""Manifest reader: every supported schema version, dbt's quirks, and one-line refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dbt_armor.errors import ManifestError
from dbt_armor.project import decode_manifest, load_manifest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "manifests"
GOOD = ["v10_postgres.json", "v11_snowflake.json", "v2_preview_duckdb.json"]


@pytest.fixture(params=GOOD)
def any_manifest(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    return load_manifest(FIXTURES / request.param)


def test_metadata_is_read() -> None:
    m = load_manifest(FIXTURES / "v11_snowflake.json")
    assert m.metadata.schema_version == 11
    assert m.metadata.dbt_version == "1.7.19"
    assert m.metadata.project_name == "shop"
    assert m.adapter_type == "snowflake"
    assert m.metadata.invocation_id is not None and m.metadata.invocation_id.endswith("11")
    assert m.metadata.quoting is not None and m.metadata.quoting.identifier is False
    assert m.warning is None
    assert m.path.endswith("v11_snowflake.json")


def test_every_version_has_the_same_entries(any_manifest) -> None:  # type: ignore[no-untyped-def]
    m = any_manifest
    assert set(m.sources) == {
        "source.shop.raw.orders",
        "source.shop.raw.customers",
        "source.shop.raw.payments",
        "source.shop.legacy.events",
    }
    kinds = sorted({n.resource_type for n in m.nodes.values()})
    assert kinds == ["model", "seed", "snapshot", "test"]
    assert len(m.generic_tests()) == 8
    assert set(m.exposures) == {"exposure.shop.weekly"}
    assert m.parent_map is not None and m.child_map is not None
    assert "test.shop.assert_positive_totals.0a1b2c3d4e" in m.child_map["model.shop.fct_orders"]


def test_null_dict_freshness_is_not_configured(any_manifest) -> None:  # type: ignore[no-untyped-def]
    src = any_manifest.sources
    orders = src["source.shop.raw.orders"].freshness
    assert orders is not None
    assert orders.warn_after is not None and (
        orders.warn_after.count,
        orders.warn_after.period,
    ) == (
        12,
        "hour",
    )
    assert orders.error_after is not None and orders.error_after.count == 24
    # every threshold null -> not configured; explicit `freshness: null` -> not configured
    assert src["source.shop.raw.customers"].freshness is None
    assert src["source.shop.raw.payments"].freshness is None
    assert src["source.shop.raw.orders"].loaded_at_field == "_loaded_at"
    assert src["source.shop.legacy.events"].loaded_at_field is None


def test_half_configured_freshness_keeps_only_the_set_threshold() -> None:
    doc = json.loads((FIXTURES / "v2_preview_duckdb.json").read_text())
    doc["sources"]["source.shop.raw.orders"]["freshness"] = {
        "warn_after": {"count": None, "period": None},
        "error_after": {"count": 6, "period": "hour"},
        "filter": "id > 0",
    }
    rule = decode_manifest(json.dumps(doc).encode()).sources["source.shop.raw.orders"].freshness
    assert rule is not None and rule.warn_after is None
    assert rule.error_after is not None and rule.error_after.count == 6
    assert rule.filter == "id > 0"


def test_freshness_read_from_config_when_top_level_is_absent() -> None:
    doc = json.loads((FIXTURES / "v2_preview_duckdb.json").read_text())
    src = doc["sources"]["source.shop.raw.customers"]
    del src["freshness"]
    del src["loaded_at_field"]
    src["config"]["freshness"] = {"warn_after": {"count": 2, "period": "day"}}
    src["config"]["loaded_at_field"] = "updated_at"
    got = decode_manifest(json.dumps(doc).encode()).sources["source.shop.raw.customers"]
    assert got.freshness is not None and got.freshness.warn_after is not None
    assert got.freshness.warn_after.period == "day"
    assert got.loaded_at_field == "updated_at"


def test_source_meta_layers(any_manifest) -> None:  # type: ignore[no-untyped-def]
    m = any_manifest
    payments = m.sources["source.shop.raw.payments"]
    assert payments.armor_meta["data_source"] == "pay_ds"
    assert m.sources["source.shop.raw.orders"].armor_meta == {"stale": "error"}
    assert m.sources["source.shop.raw.customers"].armor_meta == {}


def test_v10_source_meta_is_the_lowest_layer() -> None:
    m = load_manifest(FIXTURES / "v10_postgres.json")
    payments = m.sources["source.shop.raw.payments"]
    # source-level says warn, table-level says error: the table wins, other keys inherited
    assert payments.armor_meta == {"data_source": "pay_ds", "stale": "error"}
    assert m.sources["source.shop.raw.orders"].meta["owner"] == "data-eng"


def test_config_meta_wins_over_top_level_meta() -> None:
    doc = json.loads((FIXTURES / "v11_snowflake.json").read_text())
    model = doc["nodes"]["model.shop.stg_orders"]
    model["meta"] = {"armor": {"stale": "warn"}, "team": "core"}
    model["config"]["meta"] = {"armor": {"stale": "error"}}
    got = decode_manifest(json.dumps(doc).encode()).nodes["model.shop.stg_orders"]
    assert got.armor_meta == {"stale": "error"}
    assert got.meta["team"] == "core"


@pytest.mark.parametrize("value", [None, "text", ["a"], 3])
def test_armor_meta_that_is_not_a_dict_reads_as_empty(value: object) -> None:
    doc = json.loads((FIXTURES / "v11_snowflake.json").read_text())
    doc["nodes"]["model.shop.stg_orders"]["config"]["meta"] = {"armor": value}
    doc["nodes"]["model.shop.stg_orders"]["meta"] = None
    got = decode_manifest(json.dumps(doc).encode()).nodes["model.shop.stg_orders"]
    assert got.armor_meta == {}


def test_severity_is_lower_case_whatever_the_engine_wrote(any_manifest) -> None:  # type: ignore[no-untyped-def]
    tests = {n.name: n for n in any_manifest.generic_tests()}
    assert tests["accepted_values_stg_orders_status"].severity == "warn"
    assert tests["dbt_utils_expression_is_true_fct_orders"].severity == "warn"
    assert tests["not_null_stg_orders_id"].severity == "error"


def test_generic_and_singular_tests(any_manifest) -> None:  # type: ignore[no-untyped-def]
    nodes = {n.name: n for n in any_manifest.nodes.values()}
    singular = nodes["assert_positive_totals"]
    assert singular.resource_type == "test" and singular.test_metadata is None
    assert not singular.is_generic_test
    utils = nodes["dbt_utils_expression_is_true_fct_orders"]
    assert utils.test_metadata is not None and utils.test_metadata.namespace == "dbt_utils"
    assert utils.config.where == "amount is not null"
    assert (utils.config.warn_if, utils.config.error_if) == (">10", ">100")
    expect = nodes["dbt_expectations_expect_column_values_to_be_between_fct_orders_amount"]
    assert expect.test_metadata is not None
    assert expect.test_metadata.namespace == "dbt_expectations"
    assert expect.test_metadata.kwargs["max_value"] == 10000
    av = nodes["accepted_values_stg_orders_status"]
    assert av.test_metadata is not None and av.test_metadata.kwargs["values"] == [
        "placed",
        "shipped",
    ]
    assert nodes["not_null_stg_orders_id"].test_metadata.namespace is None


def test_v2_preview_omits_namespace_and_source_meta() -> None:
    raw = json.loads((FIXTURES / "v2_preview_duckdb.json").read_text())
    test = raw["nodes"]["test.shop.not_null_stg_orders_id.0a1b2c3d4e"]
    assert "namespace" not in test["test_metadata"]
    assert all("source_meta" not in s for s in raw["sources"].values())
    m = load_manifest(FIXTURES / "v2_preview_duckdb.json")
    assert m.nodes["test.shop.not_null_stg_orders_id.0a1b2c3d4e"].test_metadata is not None


def test_model_fields() -> None:
    m = load_manifest(FIXTURES / "v11_snowflake.json")
    fct = m.nodes["model.shop.fct_orders"]
    assert (fct.database, fct.schema_, fct.alias) == ("analytics", "marts", "Fct_Orders")
    assert fct.materialized == "table" and not fct.is_ephemeral
    assert fct.config.quoting is not None and fct.config.quoting.identifier is True
    assert fct.depends_on.nodes == [
        "model.shop.int_joined",
        "source.shop.raw.payments",
        "seed.shop.country_codes",
    ]
    assert fct.checksum is not None and fct.checksum.name == "sha256"
    assert m.nodes["model.shop.int_joined"].is_ephemeral
    exp = m.exposures["exposure.shop.weekly"]
    assert (exp.type, exp.owner.email, exp.maturity) == ("dashboard", "bi@example.com", "high")
    assert exp.armor_meta == {"tier": 1}


def test_config_tags_as_string_are_merged() -> None:
    doc = json.loads((FIXTURES / "v11_snowflake.json").read_text())
    doc["nodes"]["model.shop.stg_orders"]["tags"] = ["nightly"]
    doc["nodes"]["model.shop.stg_orders"]["config"]["tags"] = "pii"
    got = decode_manifest(json.dumps(doc).encode()).nodes["model.shop.stg_orders"]
    assert got.tags == ["nightly", "pii"]


def test_future_version_loads_with_a_warning() -> None:
    m = load_manifest(FIXTURES / "future_v13.json")
    assert m.metadata.schema_version == 13
    assert m.warning is not None and "v13" in m.warning
    assert len(m.sources) == 4


def _error(path: Path) -> str:
    with pytest.raises(ManifestError) as info:
        load_manifest(path)
    text = str(info.value)
    assert "\n" not in text
    assert str(path) in text
    return text


def test_missing_file_says_run_dbt_parse(tmp_path: Path) -> None:
    assert "run `dbt parse` first" in _error(tmp_path / "target" / "manifest.json")


def test_directory_instead_of_file(tmp_path: Path) -> None:
    assert "is a directory" in _error(tmp_path)


def test_not_json() -> None:
    text = _error(FIXTURES / "truncated.json")
    assert "expected JSON" in text


def test_json_but_not_a_manifest(tmp_path: Path) -> None:
    assert "run-results/v6" in _error(FIXTURES / "run_results.json")
    array = tmp_path / "array.json"
    array.write_text("[1, 2]")
    assert "expected a dbt manifest.json" in _error(array)
    empty = tmp_path / "obj.json"
    empty.write_text('{"nodes": {}}')
    assert "no manifest metadata" in _error(empty)


def test_too_old_version_is_named() -> None:
    text = _error(FIXTURES / "unsupported_v9.json")
    assert "v9 is too old" in text and "v10-v12" in text


def test_unknown_schema_string(tmp_path: Path) -> None:
    odd = tmp_path / "m.json"
    odd.write_text('{"metadata": {"dbt_schema_version": "https://x/manifest/latest.json"}}')
    assert "unknown manifest schema" in _error(odd)


def test_wrong_field_type_reports_the_json_path() -> None:
    text = _error(FIXTURES / "bad_shape.json")
    assert "$.sources[...].freshness.warn_after.count" in text


def test_newer_schema_is_named_once_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    doc = json.loads((FIXTURES / "future_v13.json").read_text())
    doc["metadata"]["dbt_schema_version"] = "https://schemas.getdbt.com/dbt/manifest/v98.json"
    data = json.dumps(doc).encode()
    first, second = decode_manifest(data, "a.json"), decode_manifest(data, "b.json")
    err = capsys.readouterr().err
    assert err.count("manifest/v98.json") == 1, err  # said once, not per manifest
    assert "fields it does not know are ignored" in err and first.warning == second.warning
    assert len(first.sources) == 4


def test_a_config_of_the_wrong_shape_is_one_line_naming_the_node() -> None:
    doc = json.loads((FIXTURES / "v11_snowflake.json").read_text())
    doc["nodes"]["model.shop.stg_orders"]["config"] = {"enabled": "maybe"}
    node = decode_manifest(json.dumps(doc).encode()).nodes["model.shop.stg_orders"]
    with pytest.raises(ManifestError, match=r"model\.shop\.stg_orders: config"):
        _ = node.config


def test_fields_few_commands_read_are_decoded_on_first_use() -> None:
    doc = json.loads((FIXTURES / "integration_v12.json").read_text())
    test_id = next(u for u, n in doc["nodes"].items() if n.get("test_metadata"))
    model_id = "model.armor_shop.stg_orders"
    typed = decode_manifest(json.dumps(doc).encode())
    assert typed.nodes[test_id].test_metadata == typed.nodes[test_id].test_metadata is not None
    assert typed.nodes[test_id].test_metadata.name == doc["nodes"][test_id]["test_metadata"]["name"]
    assert typed.nodes[model_id].test_metadata is None
    checksum = typed.nodes[model_id].checksum
    assert checksum is not None
    assert checksum.checksum == doc["nodes"][model_id]["checksum"]["checksum"]
    assert typed.child_map == doc["child_map"]
    # a wrong shape in one of them does not stop the commands that never read it
    doc["nodes"][test_id]["test_metadata"] = ["not", "an", "object"]
    doc["nodes"][model_id]["checksum"] = 7
    doc["child_map"] = {"x": "not a list"}
    typed = decode_manifest(json.dumps(doc).encode(), "m.json")
    assert typed.nodes[model_id].fqn == doc["nodes"][model_id]["fqn"]
    for read in (
        lambda: typed.nodes[test_id].test_metadata,
        lambda: typed.nodes[model_id].checksum,
        lambda: typed.child_map,
    ):
        with pytest.raises(ManifestError, match="does not have the expected shape"):
            read()
    doc["child_map"] = None
    assert decode_manifest(json.dumps(doc).encode()).child_map == {}
