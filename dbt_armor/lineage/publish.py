"""Publishes the dbt lineage to the platform: resolve the data source, skip or upload, wait.

The I/O shell around ``payload`` and ``state``. Never changes dbt's outcome: the wrapper calls
``publish_best_effort``, which turns any failure into one warning line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from dbt_armor.errors import ArmorError, ConfigError, NotFoundError
from dbt_armor.lineage.payload import build_payload, qualified_names
from dbt_armor.lineage.state import PublishRecord, iso, load_record, save_record, state_key
from dbt_armor.project.manifest import decode_manifest, read_manifest_bytes
from dbt_armor.timestamps import utc_now

if TYPE_CHECKING:
    from dbt_armor.api import ArmorClient
    from dbt_armor.config import Settings
    from dbt_armor.project.manifest import Manifest


@dataclass(frozen=True)
class PublishOutcome:
    """What ``publish`` did, for the console, JSON output and tests."""

    action: Literal["uploaded", "skipped"]
    data_source: str
    asset_id: str | None
    content_hash: str
    slim: bool
    bytes_sent: int
    manifest_bytes: int
    nodes: int
    sources: int
    exposures: int
    edges: int
    sync_stats: dict[str, Any] = field(default_factory=dict)
    job_id: str | None = None
    job_status: str | None = None
    previous_at: str | None = None

    def summary(self) -> str:
        if self.action == "skipped":
            return (
                f"lineage unchanged since {self.previous_at} for data source "
                f"'{self.data_source}': upload skipped (use --force to upload anyway)"
            )
        stats = ", ".join(f"{k} {v}" for k, v in self.sync_stats.items()) or "no stats returned"
        kind = "slim" if self.slim else "full"
        line = (
            f"lineage published to data source '{self.data_source}' "
            f"({kind}, {self.bytes_sent:,} bytes): {stats}"
        )
        if self.job_id:
            line += f"; catalog sync job {self.job_id}" + (
                f" {self.job_status}" if self.job_status else ""
            )
        return line

    def to_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def resolve_data_source(
    settings: Settings, target: str | None, override: str | None, default: str | None = None
) -> str:
    """The platform data-source name: flag > per-target > ``*`` > the naming default."""
    if override:
        return override
    mapping = settings.data_sources
    if target and target in mapping:
        return str(mapping[target])
    if "*" in mapping:
        return str(mapping["*"])
    if default:
        return default
    where = f"target '{target}'" if target else "this project"
    raise ConfigError(
        f"no platform data source is configured for {where}",
        hint="add `data_sources: {<target>: <name>}` to dbt_armor.yml or pass --data-source",
    )


def resolve_asset_id(client: ArmorClient, data_source: str) -> str:
    """The data-source asset's id: by id or name first, then by searching the asset list."""
    try:
        asset = client.assets.get(data_source)
        return str(asset.id)
    except NotFoundError:
        pass
    for asset in client.assets.iter(search=data_source):
        if data_source in (asset.name, asset.qualified_name, str(asset.id)):
            return str(asset.id)
    raise ConfigError(
        f"data source '{data_source}' was not found on the platform",
        hint="check data_sources in dbt_armor.yml or pass --asset-id with the data source's id",
    )


def publish(
    settings: Settings,
    manifest_path: Path,
    *,
    target: str | None = None,
    data_source: str | None = None,
    asset_id: str | None = None,
    slim: bool = True,
    force: bool = False,
    wait: bool = False,
    wait_timeout: float = 300.0,
    sync_to_catalog: bool = True,
    client: ArmorClient | None = None,
    now: datetime | None = None,
    manifest: Manifest | None = None,
    on_poll: Callable[[Any], None] | None = None,
) -> PublishOutcome:
    """Upload the lineage unless it is unchanged since the last publish to the same place.

    ``manifest`` is the already-decoded manifest of ``manifest_path`` when the caller has one
    (the wrapper's gate): it is then not decoded again.
    """
    raw: bytes | None = None
    if manifest is None:
        raw = read_manifest_bytes(manifest_path)
        manifest = decode_manifest(raw, str(manifest_path))
    elif not slim:
        raw = read_manifest_bytes(manifest_path)  # the full upload is dbt's own bytes
    default_ds, names = qualified_names(
        manifest, target, settings.data_sources, settings.naming_case
    )
    ds = resolve_data_source(settings, target, data_source, default_ds)
    payload = build_payload(
        manifest,
        data_source=ds,
        names=names,
        slim=slim,
        raw=None if slim else raw,
        manifest_bytes=len(raw) if raw is not None else _size(manifest_path),
    )
    del raw
    target_dir = manifest_path.parent
    key = state_key(settings.api_url, ds)
    previous = load_record(target_dir, key)
    common: dict[str, Any] = {
        "data_source": ds,
        "content_hash": payload.content_hash,
        "slim": slim,
        "manifest_bytes": payload.manifest_bytes,
        "nodes": payload.node_count,
        "sources": payload.source_count,
        "exposures": payload.exposure_count,
        "edges": payload.edge_count,
    }
    if previous and previous.content_hash == payload.content_hash and not force:
        return PublishOutcome(
            action="skipped",
            asset_id=previous.asset_id,
            bytes_sent=0,
            previous_at=previous.published_at,
            **common,
        )
    owns_client = client is None
    if client is None:
        from dbt_armor.api import ArmorClient

        settings.require_key()
        client = ArmorClient.from_settings(settings)
    try:
        resolved_id = asset_id or resolve_asset_id(client, ds)
        result = client.lineage.upload(
            resolved_id, payload.body, filename="manifest.json", sync_to_catalog=sync_to_catalog
        )
        stats = dict(getattr(result, "sync_stats", None) or {})
        job_id = getattr(result, "catalog_sync_job_id", None)
        stamp = iso(now or utc_now())
        save_record(
            target_dir, key, PublishRecord(payload.content_hash, stamp, resolved_id, slim, stats)
        )
        job_status = None
        if wait and job_id:
            job = client.jobs.wait(str(job_id), timeout=wait_timeout, on_poll=on_poll)
            job_status = str(getattr(job, "status", "")) or None
    finally:
        if owns_client:
            client.close()
    return PublishOutcome(
        action="uploaded",
        asset_id=resolved_id,
        bytes_sent=len(payload.body),
        sync_stats=stats,
        job_id=str(job_id) if job_id else None,
        job_status=job_status,
        previous_at=previous.published_at if previous else None,
        **common,
    )


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def publish_best_effort(
    settings: Settings,
    manifest_path: Path,
    target: str | None,
    console: Any,
    manifest: Manifest | None = None,
) -> None:
    """Publish after a dbt run. Never raises: a failure becomes one warning line.

    Retries are fewer than for an explicit publish: a platform outage must not hold up the run.
    ``manifest``: the gate's decoded manifest of ``manifest_path``, reused instead of a decode.
    """
    try:
        from dbt_armor.api import ArmorClient

        settings.require_key()
        with ArmorClient.from_settings(settings, max_retries=1, retry_budget=10.0) as client:
            outcome = publish(
                settings, manifest_path, target=target, client=client, manifest=manifest
            )
        _say(console, f"dbt-armor: {outcome.summary()}")
    except ArmorError as exc:
        _say(console, f"dbt-armor: warning: lineage not published: {exc}")
    except Exception as exc:  # an observer must never change dbt's outcome
        _say(console, f"dbt-armor: warning: lineage not published: {type(exc).__name__}: {exc}")


def _say(console: Any, text: str) -> None:
    """One line on the wrapper's console (rich), falling back to stderr."""
    try:
        console.print(text, markup=False, highlight=False, soft_wrap=True)
    except Exception:
        import sys

        print(text, file=sys.stderr)
