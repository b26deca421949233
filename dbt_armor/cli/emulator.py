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

from dbt_armor.cli.options import FILE
from dbt_armor.errors import ManifestError, UsageError
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
@click.option("--data-source", help="Data-source name for --manifest assets.")
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
def command(
    port: int,
    warehouse: str | None,
    manifest: Path | None,
    data_source: str | None,
    fixture: Path | None,
    state_file: Path | None,
    dialect: str,
    key_specs: tuple[str, ...],
    seed: int,
    url_file: Path | None,
    no_rate_limits: bool,
    freshness_cache: float,
    check_interval: float | None,
) -> None:
    """Run the local AnomalyArmor-compatible server (loopback only) until interrupted."""
    from dbt_armor.emulator import EmulatorConfig, EmulatorServer
    from dbt_armor.emulator.seeding import load_fixture, register_manifest
    from dbt_armor.emulator.warehouse import WarehouseError

    if manifest is not None and not data_source:
        raise UsageError(
            "--manifest needs --data-source NAME", hint="the platform data-source name"
        )
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
        try:
            doc = json.loads(manifest.read_text())
            register_manifest(server.state, doc, str(data_source))
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
    _announce(server, url_file)
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
        click.echo("emulator stopped")


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


def _announce(server: EmulatorServer, url_file: Path | None) -> None:
    cfg = server.config
    warehouse = server.app.warehouse.describe() if server.app.warehouse else "none"
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
    if url_file is not None:
        url_file.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(url_file, server.url + "\n")
