"""Real Dagster runs (``materialize``) of integration_project's dbt models through dagster-dbt,
gated by ``ArmorResource`` against the emulator: fresh builds all, stale fails the run with the
reason in its metadata, skip mode builds only unaffected assets. Source asset checks and the
sensor read the same verdict.
"""

import json
from typing import Any

import dagster as dg
import pytest
from conftest import AFFECTED_BY_ORDERS, MODELS, Shop
from dagster_dbt import DbtCliResource, dbt_assets
from project_copy import DBT_EXECUTABLE

from dbt_armor.integrations.dagster import (
    ArmorResource,
    armor_fresh_sensor,
    armor_source_checks,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]


def definitions(shop: Shop) -> dg.AssetsDefinition:
    @dbt_assets(manifest=shop.project.manifest_path, select="resource_type:model")
    def shop_models(
        context: dg.AssetExecutionContext, dbt: DbtCliResource, armor: ArmorResource
    ) -> Any:
        yield from armor.cli(context, dbt, ["run"])

    return shop_models


def resources(shop: Shop, **armor: Any) -> dict[str, Any]:
    dbt = DbtCliResource(
        project_dir=str(shop.project.path),
        profiles_dir=str(shop.project.profiles_dir),
        dbt_executable=DBT_EXECUTABLE,
    )
    return {
        "dbt": dbt,
        "armor": ArmorResource(
            api_key=dg.EnvVar("ARMOR_API_KEY"), project_dir=str(shop.project.path), **armor
        ),
    }


def materialized(result: dg.ExecuteInProcessResult) -> set[str]:
    return {e.asset_key.path[-1] for e in result.get_asset_materialization_events()}


def test_fresh_sources_build_every_model(shop: Shop, armor_env: str) -> None:
    shop.ages()
    shop.drop_models()
    result = dg.materialize([definitions(shop)], resources=resources(shop))
    assert result.success
    assert materialized(result) == set(MODELS) and shop.built() == set(MODELS)


def test_stale_source_fails_the_run_with_the_reason(shop: Shop, armor_env: str) -> None:
    shop.ages(orders=40)
    shop.drop_models()
    result = dg.materialize([definitions(shop)], resources=resources(shop), raise_on_error=False)
    assert not result.success
    assert materialized(result) == set() and shop.built() == set()
    failure = result.get_step_failure_events()[0].step_failure_data
    assert failure.user_failure_data is not None
    assert "blocked by shop.orders" in (failure.user_failure_data.description or "")
    meta = failure.user_failure_data.metadata
    rows = {r.data["source"]: r.data for r in meta["dbt_armor/sources"].value.records}
    assert rows["shop.orders"]["outcome"] == "block"
    assert "is 40.0 h old" in rows["shop.orders"]["reasons"]
    assert rows["shop.payments"]["outcome"] == "pass"
    assert meta["dbt_armor/exit_code"].value == 3


def test_skip_mode_materialises_only_unaffected_assets(shop: Shop, armor_env: str) -> None:
    shop.ages(orders=40)
    shop.drop_models()
    result = dg.materialize([definitions(shop)], resources=resources(shop, mode="skip"))
    assert result.success
    assert materialized(result) == set(MODELS) - AFFECTED_BY_ORDERS
    assert shop.built() == set(MODELS) - AFFECTED_BY_ORDERS
    observed = {
        e.asset_key.path[-1]
        for e in result.get_asset_observation_events()
        if "dbt_armor/skipped" in e.asset_observation_data.asset_observation.metadata
    }
    assert observed == AFFECTED_BY_ORDERS


def test_source_asset_checks_report_the_platform_verdict(shop: Shop, armor_env: str) -> None:
    shop.ages(orders=40, customers=30)
    assets = definitions(shop)
    checks = armor_source_checks(assets)
    result = dg.materialize(
        [assets, checks],
        resources=resources(shop),
        selection=dg.AssetSelection.checks(checks),
    )
    evaluations = {
        e.asset_check_evaluation_data.asset_key.path[-1]: e.asset_check_evaluation_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }
    assert set(evaluations) == {"orders", "payments", "customers"}
    assert not evaluations["orders"].passed
    assert evaluations["orders"].severity == dg.AssetCheckSeverity.ERROR
    assert evaluations["payments"].passed
    # customers: 30 h is between dbt's warn and error thresholds; the project policy warns
    assert evaluations["customers"].metadata["status"].value in {"fresh", "stale"}


def test_sensor_waits_for_a_late_source_then_requests_one_run(shop: Shop, armor_env: str) -> None:
    assets = definitions(shop)
    sensor = armor_fresh_sensor(assets)
    res = resources(shop)
    shop.ages(orders=40)
    with dg.build_sensor_context(resources={"armor": res["armor"]}) as ctx:
        skipped = sensor(ctx)
    assert isinstance(skipped, dg.SkipReason)
    assert "waiting for shop.orders" in (skipped.skip_message or "")
    shop.ages()
    with dg.build_sensor_context(resources={"armor": res["armor"]}) as ctx:
        ran = sensor(ctx)
    assert isinstance(ran, dg.SensorResult) and len(ran.run_requests or []) == 1


def test_the_key_stays_out_of_run_config_and_events(shop: Shop, armor_env: str) -> None:
    shop.ages(orders=40)
    result = dg.materialize([definitions(shop)], resources=resources(shop), raise_on_error=False)
    text = json.dumps([str(e) for e in result.all_events]) + json.dumps(
        result.dagster_run.run_config
    )
    assert armor_env not in text
