"""The `make demo` story: a gated dbt run on integration_project/ against the local emulator.

Starts the emulator on a loopback port backed by the project's DuckDB warehouse, syncs the
project's dbt tests into platform rules, runs dbt through the gate while the data is fresh,
then ages one source and lands a bad row in another and shows the gate refusing, then skip
mode, then lineage publish. Needs no account and no network.

`--warehouse postgres` runs the same story on the project's `postgres` target, in a private
PostgreSQL cluster (scripts/pg_cluster.py) that the emulator probes too; needs the `postgres`
extra (`make demo-postgres`).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
PROJECT = ROOT / "integration_project"
BIN = Path(sys.executable).parent
KEY = "aa_live_emulator_readwrite_000000000000000000000000"
DATA_SOURCE = "warehouse"


def heading(text: str) -> None:
    print(f"\n\033[1;36m▶ {text}\033[0m", flush=True)


def run(args: list[str], env: dict[str, str], expect: set[int] | None = None) -> int:
    print(f"\033[2m$ {' '.join(args)}\033[0m", flush=True)
    code = subprocess.call(args, cwd=PROJECT, env=env)
    if expect is not None and code not in expect:
        print(f"demo: `{' '.join(args)}` exited {code}, expected {sorted(expect)}")
        raise SystemExit(1)
    print(f"\033[2m(exit code {code})\033[0m", flush=True)
    return code


def start_emulator(
    work: Path, db: Path | str, env: dict[str, str]
) -> tuple[subprocess.Popen[bytes], str]:
    url_file = work / "emulator.url"
    url_file.unlink(missing_ok=True)
    proc = subprocess.Popen(
        [
            str(BIN / "dbt-armor"),
            "emulator",
            "--port",
            "0",
            "--warehouse",
            str(db),
            "--manifest",
            str(PROJECT / "target" / "manifest.json"),
            "--data-source",
            DATA_SOURCE,
            "--url-file",
            str(url_file),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if url_file.exists() and url_file.read_text().strip():
            return proc, url_file.read_text().strip()
        if proc.poll() is not None:
            err = proc.stderr.read().decode() if proc.stderr else ""
            raise SystemExit(f"demo: the emulator did not start: {err.strip()}")
        time.sleep(0.1)
    proc.kill()
    raise SystemExit("demo: the emulator did not start within 30 s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The dbt-armor demo story.")
    parser.add_argument("--warehouse", choices=("duckdb", "postgres"), default="duckdb")
    args = parser.parse_args(argv)
    if args.warehouse == "duckdb":
        return story(PROJECT / "target" / "warehouse.duckdb", [], {})
    sys.path.insert(0, str(ROOT / "scripts"))
    from pg_cluster import ClusterError, cluster

    try:
        with cluster() as pg:
            print(f"private PostgreSQL cluster at {pg.dsn}")
            return story(pg.dsn, ["--target", "postgres"], pg.env())
    except ClusterError as exc:
        print(f"demo: {exc}")
        return 1


def story(db: Path | str, target: list[str], extra_env: dict[str, str]) -> int:
    """The story on the DuckDB file ``db`` or the PostgreSQL database at URL ``db``."""
    started = time.monotonic()
    work = PROJECT / "target"
    work.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update({"DBT_PROFILES_DIR": str(PROJECT), **extra_env})
    if isinstance(db, Path):
        env["ARMOR_DUCKDB_PATH"] = str(db)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    dbt = str(BIN / "dbt")
    armor = str(BIN / "dbt-armor")
    kind = "DuckDB" if isinstance(db, Path) else "PostgreSQL"

    heading(f"1. Load raw data into the {kind} warehouse (timestamps: now)")
    cleanup = [work / "armor_gate_cache.json", work / "armor_lineage_state.json"]
    for path in [*cleanup, *([db] if isinstance(db, Path) else [])]:
        path.unlink(missing_ok=True)
    shutil.rmtree(PROJECT / "dbt_packages", ignore_errors=True)
    run([dbt, "deps", "--quiet"], env, {0})
    run([dbt, "seed", "--quiet", *target], env, {0})
    run([dbt, "parse", "--quiet", *target], env, {0})
    sys.path.insert(0, str(PROJECT / "scripts"))
    from load_raw import refresh_raw_timestamps

    refresh_raw_timestamps(db, {"customers": 2.0, "orders": 1.0, "payments": 0.5})

    heading("2. Start the AnomalyArmor emulator on a loopback port")
    proc, url = start_emulator(work, db, env)
    env.update({"ARMOR_API_URL": f"{url}/api/v1", "ARMOR_API_KEY": KEY})
    shown = db.relative_to(ROOT) if isinstance(db, Path) else db
    print(f"emulator at {url} (warehouse {shown})")
    try:
        heading("3. Sync the project's dbt tests into platform rules")
        run([armor, "sync", "apply", "--prune", *target], env, {0})
        run([armor, "sync", "plan", "--fail-on-changes", *target], env, {0})

        heading("4. Gated run: sources are fresh and valid, so dbt builds")
        run([armor, "run", *target], env, {0})

        heading("5. The orders loader stops, and a duplicate payment lands")
        refresh_raw_timestamps(db, {"orders": 40.0})
        duplicate_payment(db)
        print("raw.orders: newest row 40 h old; raw.payments: payment id 1 appears twice")

        heading("6. The platform runs its scheduled checks")
        counts = httpx.post(f"{url}/_emulator/run-checks", timeout=60).json()["data"]
        print(f"validity rules: {counts['validity']}; referential checks: {counts['referential']}")

        heading("7. Gated run refuses to build on stale or invalid data (exit 3)")
        run([armor, "run", *target], env, {3})

        heading("8. Skip mode: build only what does not depend on the bad sources")
        run([armor, "run", "--on-fail", "skip", *target], env, {0})

        heading("9. Publish lineage to the platform (the second publish is skipped: unchanged)")
        run([armor, "lineage", "publish", *target], env, {0})
        run([armor, "lineage", "publish", *target], env, {0})
    finally:
        heading("10. Stop the emulator")
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    print(f"\ndemo finished in {time.monotonic() - started:.0f} s")
    return 0


def duplicate_payment(db: Path | str) -> None:
    sql = "insert into raw.payments select * from raw.payments where id = 1"
    if isinstance(db, Path):
        import duckdb

        with duckdb.connect(str(db)) as con:
            con.execute(sql)
        return
    import psycopg2

    with contextlib.closing(psycopg2.connect(db)) as pg, pg, pg.cursor() as cur:
        cur.execute(sql)


if __name__ == "__main__":
    sys.exit(main())
