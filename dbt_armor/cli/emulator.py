"""`dbt-armor emulator`: run the local AnomalyArmor-compatible server until SIGINT/SIGTERM.

Parses options and wires EmulatorServer; owns no server logic. Binds 127.0.0.1 only.
"""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import click

from dbt_armor.cli.options import (
    FILE,
    output_format_option,
    project_dir_option,
    project_invocation,
    target_option,
)
from dbt_armor.cli.output import say
from dbt_armor.errors import CommandOutcome, ManifestError, UsageError
from dbt_armor.files import write_atomic

if TYPE_CHECKING:
    from dbt_armor.emulator import ApiKey, EmulatorServer


def _keys(specs: tuple[str, ...]) -> list[ApiKey]:
    from dbt_armor.emulator import ApiKey

    keys: list[ApiKey] = []
    for spec in specs:
        try:
            keys.append(ApiKey.parse(spec))
        except (ValueError, TypeError) as exc:
            raise UsageError(
                f"--key {spec!r}: {exc}", hint="e.g. --key mykey:read-only:growth"
            ) from None
    return keys


@click.command(name="emulator")
@click.option("--port", type=int, default=0, show_default=True, help="Port (0 = a free one).")
@click.option(
    "--warehouse",
    metavar="PATH|URL",
    help="Warehouse for freshness probes and rule checks: a DuckDB file, or a PostgreSQL "
    "database as postgresql://USER[:PASSWORD]@HOST:PORT/DBNAME.",
)
@click.option(
    "--manifest",
    type=FILE,
    help="dbt manifest.json whose sources/seeds/models/snapshots become assets.",
)
@click.option(
    "--data-source",
    help="Data-source name for --manifest assets [default: from dbt_armor.yml data_sources "
    "for --target, else the adapter's default name].",
)
@project_dir_option("Where dbt_armor.yml is read for the data-source default.")
@target_option()
@click.option("--fixture", type=FILE, help="YAML file of data sources and tables to register.")
@click.option(
    "--state",
    "state_file",
    type=FILE,
    help="SQLite file that keeps state across restarts.",
)
@click.option(
    "--dialect",
    type=click.Choice(["seed", "sdk"]),
    default="seed",
    show_default=True,
    help="Response shapes: the documented ones (seed) or the official SDK's (sdk).",
)
@click.option(
    "--key",
    "key_specs",
    multiple=True,
    metavar="KEY[:SCOPE[:TIER]]",
    help="Accepted bearer key (repeatable). Default: one read-write, one read-only.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for ids.")
@click.option("--url-file", type=FILE, help="Write the server URL to this file once it listens.")
@click.option("--no-rate-limits", is_flag=True, help="Do not enforce per-key rate limits.")
@click.option(
    "--freshness-cache",
    type=float,
    default=1.0,
    show_default=True,
    help="Seconds a warehouse freshness reading is reused before probing again.",
)
@click.option(
    "--check-interval",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    metavar="SECONDS",
    help="Re-run every active validity rule and referential check this often (default: off).",
)
@output_format_option("table: the banner for people; json: one JSON line (url, api_url, keys).")
def command(
    port: int,
    warehouse: str | None,
    manifest: Path | None,
    data_source: str | None,
    project_dir: Path,
    target: str | None,
    fixture: Path | None,
    state_file: Path | None,
    dialect: str,
    key_specs: tuple[str, ...],
    seed: int,
    url_file: Path | None,
    no_rate_limits: bool,
    freshness_cache: float,
    check_interval: float | None,
    fmt: str,
) -> CommandOutcome:
    """Run the local AnomalyArmor-compatible server (loopback only) until interrupted."""
    from dbt_armor.emulator import EmulatorConfig, EmulatorServer
    from dbt_armor.emulator.seeding import load_fixture, register_manifest
    from dbt_armor.emulator.warehouse import WarehouseError

    keys = _keys(key_specs)
    config = EmulatorConfig(
        port=port,
        dialect=dialect,
        warehouse=_warehouse(warehouse) if warehouse else None,
        state_file=state_file,
        seed=seed,
        rate_limits=not no_rate_limits,
        freshness_cache_seconds=freshness_cache,
        check_interval=check_interval,
    )
    if keys:
        config.keys = keys
    server = EmulatorServer(config)
    if server.app.warehouse is not None:
        try:
            server.app.warehouse.ping()
        except WarehouseError as exc:
            server.app.warehouse.close()
            raise UsageError(
                f"--warehouse: {exc}", hint="start the database, or check the URL"
            ) from None
    if manifest is not None:
        source = data_source or _default_data_source(manifest, project_dir, target)
        try:
            doc = json.loads(manifest.read_text())
            register_manifest(server.state, doc, source)
        except (OSError, ValueError) as exc:
            raise ManifestError(
                f"cannot read manifest {manifest}: {exc}",
                hint="run `dbt parse` to produce target/manifest.json",
            ) from None
    if fixture is not None:
        try:
            load_fixture(server.state, fixture)
        except (OSError, ValueError) as exc:
            raise UsageError(f"cannot load fixture {fixture}: {exc}") from None
    try:
        server.start()
    except OSError as exc:
        raise UsageError(
            f"cannot listen on 127.0.0.1:{port}: {exc.strerror}",
            hint="pick another --port or use 0",
        ) from None
    _announce(server, url_file, fmt)
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
        if url_file is not None:
            url_file.unlink(missing_ok=True)
        say("emulator stopped", fmt)
    return CommandOutcome.OK


def _warehouse(spec: str) -> Path | str:
    """A postgresql:// URL as given, else the path of an existing DuckDB file."""
    from dbt_armor.emulator.warehouse import is_postgres_url

    if is_postgres_url(spec):
        return spec
    if "://" in spec:
        raise UsageError(
            f"--warehouse: unsupported URL scheme in {spec.split('://')[0]!r}",
            hint="use a DuckDB file path or postgresql://USER@HOST:PORT/DBNAME",
        )
    path = Path(spec)
    if not path.is_file():
        raise UsageError(f"warehouse file {path} does not exist", hint="build it with dbt first")
    return path


def _default_data_source(manifest: Path, project_dir: Path, target: str | None) -> str:
    """The data source the project's names use: the same reader as map/sync/lineage."""
    from dbt_armor.config import resolve_settings
    from dbt_armor.project import NameResolver, load_manifest

    invocation = project_invocation(project_dir, target)
    settings = resolve_settings({}, project_dir=invocation.project_dir)
    loaded = load_manifest(manifest)
    return NameResolver(loaded, invocation.target.value, settings.data_sources).default_source


def _announce(server: EmulatorServer, url_file: Path | None, fmt: str) -> None:
    cfg = server.config
    warehouse = server.app.warehouse.describe() if server.app.warehouse else "none"
    _write_url_file(server, url_file)
    if fmt == "json":
        banner = {
            "url": server.url,
            "api_url": server.api_url,
            "dialect": cfg.dialect,
            "tables": len(server.state.tables),
            "warehouse": warehouse,
            "keys": [{"key": k.key, "scope": k.scope, "tier": k.tier} for k in cfg.keys],
        }
        click.echo(json.dumps({"schema_version": 1, "command": "emulator", **banner}))
        return
    click.echo(f"AnomalyArmor emulator listening on {server.url} (API: {server.api_url})")
    click.echo(
        f"dialect: {cfg.dialect}; tables: {len(server.state.tables)}; "
        f"warehouse: {warehouse}; state: {cfg.state_file or 'in memory'}; "
        f"scheduled checks: {f'every {cfg.check_interval:g} s' if cfg.check_interval else 'off'}"
    )
    click.echo("accepted keys (local test keys, not secrets):")
    for key in cfg.keys:
        click.echo(f"  {key.key}  scope={key.scope} tier={key.tier}")
    click.echo(
        f"try: ARMOR_API_URL={server.api_url} ARMOR_API_KEY={cfg.keys[0].key} dbt-armor doctor"
    )


def _write_url_file(server: EmulatorServer, url_file: Path | None) -> None:
    if url_file is not None:
        url_file.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(url_file, server.url + "\n")
