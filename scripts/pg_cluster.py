"""A private, throw-away PostgreSQL cluster for tests and the demo (never a system cluster).

Runs Debian's initdb/pg_ctl in a fresh temp directory, listening on 127.0.0.1 at a free port
with its socket in that directory; as root the server runs as an unprivileged user. Usable as
a context manager, or from the shell: `python scripts/pg_cluster.py run -- CMD...` starts a
cluster, runs CMD with ARMOR_PG_* set, and always stops the cluster afterwards.
"""

from __future__ import annotations

import argparse
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PG_ROOT = Path("/usr/lib/postgresql")
PREFERRED_VERSION = "15"
SUPERUSER = "armor"
DATABASE = "armor_shop"
RUN_AS = ("postgres", "nobody")  # unprivileged users the server may run as when we are root


class ClusterError(RuntimeError):
    """The cluster could not be created, started or stopped; the message says which step."""


def find_bindir() -> Path | None:
    """The bin directory holding initdb and pg_ctl (ARMOR_PG_BINDIR, else 15, else newest)."""
    override = os.environ.get("ARMOR_PG_BINDIR")
    candidates = [Path(override)] if override else []
    if PG_ROOT.is_dir():
        versions = sorted(
            (p.name for p in PG_ROOT.iterdir() if p.name.isdigit()), key=int, reverse=True
        )
        if PREFERRED_VERSION in versions:
            versions.remove(PREFERRED_VERSION)
            versions.insert(0, PREFERRED_VERSION)
        candidates += [PG_ROOT / v / "bin" for v in versions]
    for bindir in candidates:
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            return bindir
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Cluster:
    """Connection facts of a running private cluster (trust auth on loopback only)."""

    host: str
    port: int
    user: str
    dbname: str
    root: Path

    @property
    def dsn(self) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.dbname}"

    def env(self) -> dict[str, str]:
        """ARMOR_PG_* variables the integration project's `postgres` target reads."""
        return {
            "ARMOR_PG_HOST": self.host,
            "ARMOR_PG_PORT": str(self.port),
            "ARMOR_PG_USER": self.user,
            "ARMOR_PG_DATABASE": self.dbname,
        }


def _run_as() -> str | None:
    if os.geteuid() != 0:
        return None
    for name in RUN_AS:
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise ClusterError("running as root and no unprivileged user (postgres, nobody) exists")


def _call(argv: list[str], user: str | None, step: str) -> None:
    if user is not None:
        argv = ["runuser", "-u", user, "--", *argv]
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120)
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise ClusterError(f"{step} failed: {detail[-1] if detail else done.returncode}")


@contextmanager
def cluster(bindir: Path | None = None) -> Iterator[Cluster]:
    """Create and start a cluster with database DATABASE; stop and delete it on exit."""
    bindir = bindir or find_bindir()
    if bindir is None:
        raise ClusterError("no PostgreSQL binaries (initdb, pg_ctl) under /usr/lib/postgresql")
    user = _run_as()
    root = Path(tempfile.mkdtemp(prefix="armor-pg-"))
    data, log = root / "data", root / "server.log"
    started = False
    try:
        if user is not None:
            entry = pwd.getpwnam(user)
            os.chown(root, entry.pw_uid, entry.pw_gid)
        init = [str(bindir / "initdb"), "-D", str(data), "-U", SUPERUSER, "--auth=trust"]
        _call([*init, "-E", "UTF8", "--locale=C", "--no-sync"], user, "initdb")
        port = _start(bindir, data, root, log, user)
        started = True
        createdb = [str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port)]
        _call([*createdb, "-U", SUPERUSER, DATABASE], user, "createdb")
        yield Cluster("127.0.0.1", port, SUPERUSER, DATABASE, root)
    finally:
        if started:
            stop = [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]
            _call(stop, user, "pg_ctl stop")
        shutil.rmtree(root, ignore_errors=True)


def _start(bindir: Path, data: Path, root: Path, log: Path, user: str | None) -> int:
    """Start the server on a free loopback port (a few tries: another process may take it)."""
    last: ClusterError | None = None
    for _ in range(3):
        port = free_port()
        opts = (
            f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        argv = [str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", opts, "-w"]
        try:
            _call([*argv, "-t", "60", "start"], user, "pg_ctl start")
            return port
        except ClusterError as exc:
            last = exc
            time.sleep(0.2)
    assert last is not None
    raise last


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    run = sub.add_parser("run", help="start a cluster, run a command with ARMOR_PG_* set, stop")
    run.add_argument("command", nargs=argparse.REMAINDER, help="-- CMD [ARGS...]")
    sub.add_parser("check", help="exit 0 when PostgreSQL binaries exist, 1 otherwise")
    args = parser.parse_args(argv)
    if args.cmd == "check":
        bindir = find_bindir()
        print(bindir or "no PostgreSQL binaries found")
        return 0 if bindir else 1
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("run needs a command after --")
    try:
        with cluster() as pg:
            print(f"pg_cluster: PostgreSQL at {pg.dsn}", file=sys.stderr, flush=True)
            return subprocess.call(command, env={**os.environ, **pg.env()})
    except ClusterError as exc:
        print(f"pg_cluster: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
