"""The Dagster resource: dbt-armor settings configured the Dagster way, gating on the manifest
a ``@dbt_assets`` definition already carries (no second dbt parse).

Blocked sources fail the step with a ``Failure`` whose metadata tables the sources; in skip
mode only the selected assets downstream of a blocked source are left out and reported.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg

from dbt_armor.errors import ArmorError
from dbt_armor.gate.engine import GateResult
from dbt_armor.integrations._gate import gate_on_manifest
from dbt_armor.integrations.dagster.tables import failure, source_table

UNIQUE_ID = "dagster_dbt/unique_id"  # the metadata key dagster-dbt puts on each dbt asset spec


@dataclass
class DbtGate:
    """The gate's verdict for one ``@dbt_assets`` step: extra dbt args and what was skipped."""

    result: GateResult
    skipped: list[dg.AssetKey] = field(default_factory=list)
    dbt_args: list[str] = field(default_factory=list)

    def events(self) -> Iterator[dg.AssetObservation]:
        """One observation per skipped asset, saying which sources blocked it."""
        reasons = "; ".join(r.message for d in self.result.decision.blocked for r in d.reasons)
        for key in self.skipped:
            yield dg.AssetObservation(
                asset_key=key,
                metadata={"dbt_armor/skipped": True, "dbt_armor/reasons": reasons},
            )


def manifest_of(assets_def: dg.AssetsDefinition) -> tuple[Mapping[str, Any], Any, Any]:
    """The manifest dict, translator and DbtProject dagster-dbt stored on the definition."""
    from dagster_dbt.asset_utils import get_manifest_and_translator_from_dbt_assets

    manifest, translator, project = get_manifest_and_translator_from_dbt_assets([assets_def])
    return manifest, translator, project


def unique_ids(assets_def: dg.AssetsDefinition, keys: Iterable[dg.AssetKey]) -> dict[str, Any]:
    """unique_id -> asset key for the dbt nodes behind ``keys``."""
    out: dict[str, Any] = {}
    for key in keys:
        uid = assets_def.get_asset_spec(key).metadata.get(UNIQUE_ID)
        if uid:
            out[str(uid)] = key
    return out


class ArmorResource(dg.ConfigurableResource):  # type: ignore[misc]
    """dbt-armor for Dagster. Set ``api_key=dg.EnvVar("ARMOR_API_KEY")`` (or leave it unset:
    ARMOR_API_KEY is then read from the environment); never put the key in run config."""

    api_key: str | None = None
    api_url: str | None = None
    project_dir: str | None = None  # where dbt_armor.yml lives (data sources, policy)
    target: str | None = None
    mode: str | None = None  # block | skip
    on_api_error: str | None = None  # fail | open | cached
    policy: dict[str, str] = {}
    max_age: float | None = None
    deadline: float | None = None
    refresh: bool = False
    target_dir: str | None = None  # where armor_gate.json and the fact cache go

    def _settings(self) -> Any:
        from dbt_armor.config import resolve_settings

        project = Path(self.project_dir) if self.project_dir else None
        overrides = {"api_key": self.api_key or None, "api_url": self.api_url}
        return resolve_settings(overrides, project_dir=project)

    def gate(
        self,
        manifest: Any,
        *,
        nodes: Iterable[str] | None = None,
        select: Sequence[str] = (),
        exclude: Sequence[str] = (),
        command: str = "build",
        target_dir: Path | None = None,
        wait: str | float | None = None,
        say: Any = None,
    ) -> GateResult:
        """One gate evaluation (same policy, outcome and exit codes as ``dbt-armor gate``)."""
        settings = self._settings()
        settings.require_key()
        where = target_dir or (Path(self.target_dir) if self.target_dir else None)
        return gate_on_manifest(
            manifest,
            nodes=nodes,
            select=select,
            exclude=exclude,
            command=command,
            settings=settings,
            target=self.target,
            policy=self.policy,
            mode=self.mode,
            on_api_error=self.on_api_error,
            deadline=self.deadline,
            max_age=self.max_age,
            refresh=self.refresh,
            target_dir=where,
            write=where is not None,
            wait=wait,
            say=say or (lambda _: None),
        )

    def gate_dbt_assets(self, context: Any, *, wait: str | float | None = None) -> DbtGate:
        """Gate the assets this ``@dbt_assets`` step is about to build.

        Raises ``dg.Failure`` (metadata: a table of sources, statuses and reasons) when the
        gate blocks or the platform is unavailable under ``on_api_error: fail``.
        """
        assets_def = context.assets_def
        manifest, _, project = manifest_of(assets_def)
        ids = unique_ids(assets_def, context.selected_asset_keys)
        target_dir = None
        if self.target_dir is None and project is not None:
            target_dir = Path(project.project_dir) / project.target_path
        try:
            result = self.gate(manifest, nodes=ids, target_dir=target_dir, wait=wait,
                               say=context.log.info)  # fmt: skip
        except ArmorError as exc:
            raise dg.Failure(description=f"dbt-armor: {exc}", allow_retries=False) from None
        if result.blocked:
            raise failure(result)
        gate = DbtGate(result)
        if result.options.mode == "skip" and result.skipped:
            gate.skipped = [ids[u] for u in result.skipped if u in ids]
            gate.dbt_args = ["--exclude", " ".join(result.skipped_selectors)]
            names = ", ".join(k.to_user_string() for k in gate.skipped)
            context.log.warning(f"dbt-armor: skipping {len(gate.skipped)} asset(s): {names}")
        context.log.info(f"dbt-armor gate: {result.label}\n{source_table(result).text}")
        return gate

    def cli(
        self, context: Any, dbt: Any, args: Sequence[str] = ("build",), **kwargs: Any
    ) -> Iterator[Any]:
        """Gate, then ``dbt.cli(args, context=context).stream()`` without the skipped assets.

        dbt's environment carries the gate results (DBT_ARMOR_RESULTS, for the macros) and
        never the API key.
        """
        from dbt_armor.dbt import results_env
        from dbt_armor.dbt.inprocess import scoped_environ

        gate = self.gate_dbt_assets(context, **kwargs)
        yield from gate.events()
        secrets = [self.api_key] if self.api_key else []
        with scoped_environ(results_env(gate.result.results_json), secrets):
            invocation = dbt.cli([*args, *gate.dbt_args], context=context)  # spawns dbt now
        yield from invocation.stream()
