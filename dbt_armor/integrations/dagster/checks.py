"""Asset checks on the dbt source assets of a ``@dbt_assets`` definition and a sensor that
starts a job once no late source holds it back, both from the gate's own facts and policy.

Reads the platform through ``ArmorResource.gate``; never runs dbt.
"""

import hashlib
from collections.abc import Iterator
from typing import Any

import dagster as dg

from dbt_armor.gate.engine import GateResult
from dbt_armor.gate.facts import Outcome
from dbt_armor.gate.wait import waiting_for
from dbt_armor.integrations._gate import load
from dbt_armor.integrations.dagster.resource import ArmorResource, manifest_of, unique_ids

CHECK = "armor_status"


def _sources(assets_def: dg.AssetsDefinition) -> tuple[Any, list[str], dict[str, dg.AssetKey]]:
    """(manifest dict, dbt node ids, source unique_id -> Dagster asset key) for a definition."""
    from dbt_armor.project.graph import upstream_sources

    manifest, translator, project = manifest_of(assets_def)
    nodes = sorted(unique_ids(assets_def, assets_def.keys))
    typed, _ = load(manifest)
    keys = {
        uid: translator.get_asset_spec(manifest, uid, project).key
        for uid in sorted(upstream_sources(typed, nodes))
    }
    return manifest, nodes, keys


def _check_result(key: dg.AssetKey, decision: Any) -> dg.AssetCheckResult:
    outcome = decision.outcome
    fact = decision.fact
    return dg.AssetCheckResult(
        asset_key=key,
        check_name=CHECK,
        passed=outcome is Outcome.PASS,
        severity=dg.AssetCheckSeverity.WARN
        if outcome is Outcome.WARN
        else dg.AssetCheckSeverity.ERROR,
        metadata={
            "outcome": outcome.value,
            "status": fact.status,
            "qualified_name": decision.info.qualified_name,
            "hours_since_update": fact.hours_since_update,
            "threshold_hours": fact.threshold_hours,
            "reasons": "; ".join(r.message for r in decision.reasons) or "none",
        },
    )


def _results(result: GateResult, keys: dict[str, dg.AssetKey]) -> Iterator[dg.AssetCheckResult]:
    decided = {d.info.unique_id: d for d in result.decision.sources}
    for uid, key in keys.items():
        if uid in decided:
            yield _check_result(key, decided[uid])
        else:  # the platform could not be asked: never report a pass
            yield dg.AssetCheckResult(
                asset_key=key,
                check_name=CHECK,
                passed=False,
                metadata={"outcome": result.label, "reasons": result.note or "no facts"},
            )


def armor_source_checks(
    dbt_assets_def: dg.AssetsDefinition, *, resource_key: str = "armor"
) -> dg.AssetChecksDefinition:
    """One ``armor_status`` check per dbt source feeding ``dbt_assets_def``: passes when the
    gate would pass the source, warns or fails as the policy says."""
    manifest, nodes, keys = _sources(dbt_assets_def)
    specs = [
        dg.AssetCheckSpec(CHECK, asset=key, description="AnomalyArmor freshness and quality")
        for key in keys.values()
    ]

    @dg.multi_asset_check(  # type: ignore[untyped-decorator]
        specs=specs, required_resource_keys={resource_key}, name=f"{resource_key}_source_checks"
    )
    def _checks(context: dg.AssetCheckExecutionContext) -> Iterator[dg.AssetCheckResult]:
        armor = getattr(context.resources, resource_key)
        result = armor.gate(manifest, nodes=nodes)
        yield from _results(result, keys)

    return _checks


def armor_fresh_sensor(
    dbt_assets_def: dg.AssetsDefinition,
    *,
    job: Any = None,
    name: str = "armor_fresh_sensor",
    minimum_interval_seconds: int = 300,
) -> dg.SensorDefinition:
    """Requests a run of ``job`` (default: the dbt assets) once nothing waitable blocks.

    The same test as ``--wait-for-fresh``; one run per new set of source load times. Uses the
    resource bound to the key ``armor``.
    """
    manifest, nodes, _ = _sources(dbt_assets_def)
    target: dict[str, Any] = (
        {"job": job} if job is not None else {"asset_selection": [dbt_assets_def]}
    )

    @dg.sensor(  # type: ignore[untyped-decorator]
        name=name, minimum_interval_seconds=minimum_interval_seconds, **target
    )
    def _sensor(
        context: dg.SensorEvaluationContext, armor: ArmorResource
    ) -> dg.SensorResult | dg.SkipReason:
        result: GateResult = armor.gate(manifest, nodes=nodes)
        pending = waiting_for(result)
        if pending:
            return dg.SkipReason(f"waiting for {', '.join(pending)}")
        if result.blocked:
            return dg.SkipReason(f"blocked ({result.label}); waiting cannot cure it: {result.note}")
        loads = sorted(f"{d.info.unique_id}={d.fact.last_updated}" for d in result.decision.sources)
        key = hashlib.sha256("\n".join(loads).encode()).hexdigest()[:16]
        return dg.SensorResult(run_requests=[dg.RunRequest(run_key=key)])

    return _sensor
