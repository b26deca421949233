"""The API key never leaks: one sweep over every CLI command with a recognisable canary key.

Each case runs the real ``dbt-armor`` entry point (in-process, ``ARMOR_API_KEY`` set to the
canary, the root logger at DEBUG) and then looks for the canary, and fragments of it a masking
bug would print, in stdout, stderr, every log record, every file the command wrote (reports,
plan, emit-env file, everything under target/) and in what dbt received (argv and environment,
recorded by a stand-in ``dbt`` executable). Failure paths are included: a closed port, a key
the platform rejects (401) and a platform answering 500.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import shutil
import socket
import stat
import sys
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from click.testing import CliRunner

from dbt_armor.api import ArmorClient
from dbt_armor.api.retry import RetryPolicy
from dbt_armor.cli.main import main
from dbt_armor.emulator import EmulatorConfig, EmulatorServer
from dbt_armor.emulator.config import ApiKey
from dbt_armor.errors import ArmorError

if TYPE_CHECKING:
    from project_copy import DbtProject

CANARY = "aa_test_LEAKCANARY0123456789abcdefghijklmnop"
# The whole key, its distinctive middle, a tail longer than a mask shows, and encodings an
# Authorization header could end up in.
FRAGMENTS = (
    CANARY,
    "LEAKCANARY",
    CANARY[-12:],
    base64.b64encode(CANARY.encode()).decode(),
    base64.b64encode(f"Bearer {CANARY}".encode()).decode(),
)
MANIFESTS = Path(__file__).resolve().parents[1] / "fixtures" / "manifests"
CATALOGUE = MANIFESTS / "sync_catalogue.json"
EXIT_CODES = {0, 1, 2, 3, 4}

FAKE_DBT = '''#!{python}
"""Stand-in dbt: records argv and environment, answers parse and ls from a fixture manifest."""
import json, os, sys
from pathlib import Path

argv = sys.argv[1:]
with open({dump!r}, "a", encoding="utf-8") as out:
    out.write(json.dumps({{"argv": argv, "env": dict(os.environ)}}) + "\\n")
project = Path(argv[argv.index("--project-dir") + 1]) if "--project-dir" in argv else Path(".")
manifest = project / "target" / "manifest.json"
if argv[0] == "parse":  # dbt rewrites the file on every parse: the same project, again
    manifest.parent.mkdir(parents=True, exist_ok=True)
    text = manifest.read_text() if manifest.exists() else Path({fixture!r}).read_text()
    manifest.write_text(text)
elif argv[0] == "ls":
    for uid, node in json.loads(manifest.read_text())["nodes"].items():
        if node["resource_type"] == "model":
            keys = ("unique_id", "resource_type", "name", "package_name", "fqn")
            print(json.dumps({{k: node[k] for k in keys}}))
sys.exit(0)
'''


def leaks(text: str | bytes) -> list[str]:
    """The canary fragments found in ``text``."""
    data = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return [f for f in FRAGMENTS if f in data]


def exception_text(exc: BaseException) -> str:
    """Everything an exception could show: the formatted chain, each repr and its attributes."""
    parts = ["".join(traceback.format_exception(exc))]
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        parts += [str(current), repr(current), repr(current.args)]
        parts += [f"{k}={v!r}" for k, v in vars(current).items()]
        current = current.__cause__ or current.__context__
    return "\n".join(parts)


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    logs: str
    crash: str = ""
    files: dict[str, bytes] = field(default_factory=dict)


@dataclass
class Project:
    path: Path
    home: Path
    state: Path
    dbt: Path
    dump: Path

    def write_config(self, api_url: str) -> None:
        (self.path / "dbt_armor.yml").write_text(
            f'api_url: {api_url}\nallow_http: true\ntimeout: 2\ndata_sources:\n  "*": warehouse\n'
        )

    def dbt_calls(self) -> list[dict[str, Any]]:
        if not self.dump.exists():
            return []
        return [json.loads(line) for line in self.dump.read_text().splitlines() if line]


@pytest.fixture(scope="module")
def canary_server() -> Iterator[EmulatorServer]:
    """An emulator that accepts only the canary key."""
    config = EmulatorConfig(port=0, keys=[ApiKey(CANARY, "read-write", "enterprise")])
    config.rate_limits = False
    server = EmulatorServer(config).start()
    yield server
    server.stop()


def _control(server: EmulatorServer, path: str, body: Any, method: str = "POST") -> None:
    url = f"{server.url}/_emulator/{path}"
    httpx.request(method, url, json=body, timeout=10).raise_for_status()


@pytest.fixture()
def platform(canary_server: EmulatorServer) -> Iterator[EmulatorServer]:
    """The canary emulator, reset, with the catalogue project's tables and one stale source."""
    canary_server.app.reset()
    _control(canary_server, "manifest?data_source=warehouse", json.loads(CATALOGUE.read_text()))
    body = {"qualified_name": "warehouse.warehouse.raw.orders", "status": "stale"}
    _control(canary_server, "freshness", {**body, "hours_since_update": 50, "threshold_hours": 24})
    yield canary_server
    canary_server.app.reset()


@pytest.fixture()
def project(tmp_path: Path) -> Project:
    """A project dir (manifest in target/, production state), a HOME and the stand-in dbt."""
    path = tmp_path / "shop"
    (path / "target").mkdir(parents=True)
    shutil.copy(CATALOGUE, path / "target" / "manifest.json")
    (path / "dbt_project.yml").write_text("name: shop\nprofile: shop\n")
    state = tmp_path / "prod"
    state.mkdir()
    prod = json.loads(CATALOGUE.read_text())
    dropped = next(uid for uid in prod["nodes"] if uid.startswith("test."))
    del prod["nodes"][dropped]  # production lacks one test: ci sees a change
    (state / "manifest.json").write_text(json.dumps(prod))
    home = tmp_path / "home"
    home.mkdir()
    dump = tmp_path / "dbt_calls.jsonl"
    dbt = tmp_path / "bin" / "dbt"
    dbt.parent.mkdir()
    dbt.write_text(FAKE_DBT.format(python=sys.executable, dump=str(dump), fixture=str(CATALOGUE)))
    dbt.chmod(dbt.stat().st_mode | stat.S_IXUSR)
    return Project(path, home, state, dbt, dump)


def invoke(argv: list[str], project: Project, caplog: pytest.LogCaptureFixture, **env: str) -> Run:
    """Run the dbt-armor entry point in-process, as a user would, and collect what it left."""
    runner = CliRunner()
    environ = {
        "ARMOR_API_KEY": CANARY,
        "HOME": str(project.home),
        "ARMOR_API_URL": None,
        "GITHUB_STEP_SUMMARY": None,
        "GITHUB_ACTIONS": None,
        # A variable that merely contains the key must not reach dbt either.
        "TOOL_AUTH_HEADER": f"Bearer {CANARY}",
        **env,
    }
    caplog.clear()
    crash = ""
    cwd = os.getcwd()
    with caplog.at_level(logging.DEBUG), runner.isolation(env=environ) as streams:
        os.chdir(project.path)
        try:
            main(argv)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
        except BaseException as exc:  # a crash is itself reported below
            crash = exception_text(exc)
            code = -1
        finally:
            os.chdir(cwd)
        stdout = streams[0].getvalue().decode("utf-8", "replace")
        stderr = streams[1].getvalue().decode("utf-8", "replace")
    fmt = logging.Formatter("%(name)s %(levelname)s %(message)s")
    logs = "\n".join(fmt.format(r) for r in caplog.records)
    files = {
        str(p.relative_to(project.path.parent)): p.read_bytes()
        for root in (project.path, project.home)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }
    return Run(code, stdout, stderr, logs, crash, files)


def assert_no_leak(run: Run, project: Project) -> None:
    where = {"stdout": run.stdout, "stderr": run.stderr, "logs": run.logs, "crash": run.crash}
    for name, text in where.items():
        assert not leaks(text), f"key fragment {leaks(text)} in {name}:\n{text[-2000:]}"
    for name, data in run.files.items():
        assert not leaks(data), f"key fragment {leaks(data)} in file {name}"
    for call in project.dbt_calls():
        assert not leaks(json.dumps(call["argv"])), f"key in dbt argv {call['argv']}"
        bad = sorted(k for k, v in call["env"].items() if leaks(k + v))
        assert not bad, f"key reached dbt's environment in {bad}"
    assert not run.crash, f"a traceback reached the user:\n{run.crash}"
    assert "Traceback" not in run.stdout + run.stderr
    assert run.code in EXIT_CODES, (run.code, run.stderr)


def _dbt_flags(project: Project) -> list[str]:
    return ["--dbt-mode", "subprocess", "--dbt-executable", str(project.dbt)]


def commands(project: Project) -> dict[str, list[str]]:
    """Every CLI command, with the outputs it can write (all inside the project dir)."""
    p = str(project.path)
    t = project.path / "target"
    dbt = _dbt_flags(project)
    return {
        "doctor": ["doctor", "--project-dir", p],
        "doctor-json": ["doctor", "--project-dir", p, "--format", "json"],
        "map": ["map", "--project-dir", p, "--format", "json"],
        "map-check": ["map", "--project-dir", p, "--check"],
        "gate": [  # a selection makes the wrapper ask dbt's `ls`, whose env is checked too
            "gate", *dbt, "--select", "+fct_orders", "--on-fail", "skip",
            "--on-api-error", "cached",
            "--emit-env", str(t / "armor.env"), "--markdown", str(t / "gate.md"),
            "--junit-xml", str(t / "gate.xml"), "--format", "json", "--project-dir", p,
        ],
        "sync-plan": ["sync", "plan", "--project-dir", p, "--out", str(t / "plan.json"), "-v"],
        "sync-apply": ["sync", "apply", "--project-dir", p, "-v"],
        "lineage-publish": ["lineage", "publish", "--project-dir", p, "--json", "--wait"],
        "ci": [
            "ci", "--project-dir", p, "--state", str(project.state), "--fail-on", "none",
            "--markdown", str(t / "ci.md"), "--junit", str(t / "ci.xml"),
            "--json", str(t / "ci.json"), "--comment-file", str(t / "comment.md"),
            "--annotations",
        ],
        "run": [
            "run", *dbt, "--on-fail", "skip", "--publish-lineage", "--junit-xml",
            str(t / "run.xml"), "--markdown", str(t / "run.md"), "--project-dir", p,
        ],
        "emulator-help": ["emulator", "--help"],
    }  # fmt: skip


HAPPY = [
    "doctor", "doctor-json", "map", "map-check", "gate", "sync-plan", "sync-apply",
    "lineage-publish", "ci", "run", "emulator-help",
]  # fmt: skip
PLATFORM_CALLS = [
    "doctor", "map-check", "gate", "sync-plan", "sync-apply", "lineage-publish", "ci", "run",
]  # fmt: skip


@pytest.mark.parametrize("name", HAPPY)
def test_no_command_leaks_the_key(
    name: str, platform: EmulatorServer, project: Project, caplog: pytest.LogCaptureFixture
) -> None:
    project.write_config(platform.url + "/api/v1")
    run = invoke(commands(project)[name], project, caplog)
    assert_no_leak(run, project)
    if name != "emulator-help":
        assert run.code in (0, 3), run.stdout + run.stderr
    if name in PLATFORM_CALLS:  # the key was really used
        used = [e for e in platform.app.request_log() if e["path"].startswith("/api/v1/")]
        assert used and all(e["status"] != 401 for e in used)


def test_outputs_were_written_and_dbt_got_results_without_the_key(
    platform: EmulatorServer, project: Project, caplog: pytest.LogCaptureFixture
) -> None:
    """The sweep above is only meaningful if the files and dbt calls it inspects exist."""
    project.write_config(platform.url + "/api/v1")
    every = commands(project)
    for name in ("gate", "sync-plan", "lineage-publish", "ci", "run"):
        assert_no_leak(invoke(every[name], project, caplog), project)
    target = project.path / "target"
    for written in (
        "armor_gate.json", "armor_gate_cache.json", "armor_skipped.txt", "armor.env",
        "armor_lineage_state.json", "plan.json", "gate.md", "gate.xml", "ci.md", "ci.xml",
        "ci.json", "comment.md", "run.xml", "run.md",
    ):  # fmt: skip
        assert (target / written).is_file(), written
    runs = [c for c in project.dbt_calls() if c["argv"][0] == "run"]
    assert len(runs) == 1
    env = runs[0]["env"]
    assert "DBT_ARMOR_RESULTS" in env and "ARMOR_API_KEY" not in env
    assert "TOOL_AUTH_HEADER" not in env and env.get("HOME") == str(project.home)
    assert {c["argv"][0] for c in project.dbt_calls()} == {"parse", "ls", "run"}


def _closed_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/api/v1"


@pytest.fixture()
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Back off 10 ms instead of seconds: the failure paths retry, timing is not under test."""
    monkeypatch.setattr(RetryPolicy, "backoff", lambda self, attempt, retry_after=None: 0.01)


@pytest.mark.parametrize("failure", ["closed-port", "bad-key", "server-500"])
@pytest.mark.parametrize("name", PLATFORM_CALLS)
def test_failure_paths_do_not_leak_the_key(
    name: str,
    failure: str,
    canary_server: EmulatorServer,
    emulator: EmulatorServer,
    project: Project,
    caplog: pytest.LogCaptureFixture,
    fast_retries: None,
) -> None:
    canary_server.app.reset()
    if failure == "closed-port":
        project.write_config(_closed_port())
    elif failure == "bad-key":  # the session emulator knows only its default keys: 401
        project.write_config(emulator.url + "/api/v1")
    else:
        _control(canary_server, "manifest?data_source=warehouse", json.loads(CATALOGUE.read_text()))
        _control(canary_server, "faults", {"match": "* /api/v1/*", "status": 500, "count": None})
        project.write_config(canary_server.url + "/api/v1")
    try:
        run = invoke(commands(project)[name], project, caplog)
    finally:
        canary_server.app.reset()
    assert_no_leak(run, project)
    assert run.code != 0 or name == "ci" or "--publish-lineage" in commands(project)[name], (
        f"{name} under {failure} exited 0:\n{run.stdout}\n{run.stderr}"
    )


@pytest.mark.parametrize("failure", ["closed-port", "bad-key", "server-500"])
def test_client_exceptions_never_hold_the_key(
    failure: str,
    canary_server: EmulatorServer,
    emulator: EmulatorServer,
    caplog: pytest.LogCaptureFixture,
    fast_retries: None,
) -> None:
    url = {"closed-port": _closed_port(), "bad-key": emulator.url + "/api/v1"}.get(
        failure, canary_server.url + "/api/v1"
    )
    canary_server.app.reset()
    if failure == "server-500":
        _control(canary_server, "faults", {"match": "* /api/v1/*", "status": 500, "count": None})
    caplog.set_level(logging.DEBUG)
    try:
        with ArmorClient(CANARY, url, allow_http=True, timeout=2, retry_budget=5) as client:
            assert not leaks(repr(client) + repr(vars(client)))
            with pytest.raises(ArmorError) as caught:
                client.freshness.summary()
            with pytest.raises(ArmorError) as posted:
                client.lineage.upload("warehouse", b"{}")
    finally:
        canary_server.app.reset()
    for exc in (caught.value, posted.value):
        assert not leaks(exception_text(exc)), exception_text(exc)
    assert not leaks("\n".join(r.getMessage() for r in caplog.records))


@pytest.mark.parametrize("bad", ["\n", "\r\n", "\t", " ", "\u200b", "\u2026"])
def test_a_key_no_header_can_carry_is_refused_without_quoting_it(
    bad: str, canary_server: EmulatorServer, project: Project, caplog: pytest.LogCaptureFixture
) -> None:
    """A key pasted with a line break or odd character inside: the HTTP layer would quote the
    whole Authorization header in its error, so it is refused first, in one line."""
    project.write_config(canary_server.url + "/api/v1")
    key = CANARY[:20] + bad + CANARY[20:]
    run = invoke(["map", "--project-dir", str(project.path), "--check"], project, caplog,
                 ARMOR_API_KEY=key)  # fmt: skip
    assert_no_leak(run, project)
    assert run.code == 2
    assert "API key contains" in run.stderr and len(run.stderr.strip().splitlines()) == 1


PROBE_MODEL = """{{ config(materialized='table') }}
select '{{ env_var("ARMOR_API_KEY", "absent") }}' as api_key,
       '{{ env_var("TOOL_AUTH_HEADER", "absent") }}' as auth_header,
       '{{ env_var("DBT_ARMOR_RESULTS", "none")[:11] }}' as results_head
"""


@pytest.mark.e2e
def test_real_dbt_run_in_process_never_sees_the_key(
    platform: EmulatorServer,
    dbt_project: DbtProject,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """`dbt-armor run` with in-process dbt on a copy of integration_project: a model renders the
    variables dbt can see; neither they nor dbt's files and logs hold the key."""
    shop = dbt_project.clone(tmp_path / "armor_shop")  # the session's build, packages kept
    (shop.path / "models" / "armor_env_probe.sql").write_text(PROBE_MODEL)
    (shop.path / "dbt_armor.yml").write_text(
        f"api_url: {platform.url}/api/v1\nallow_http: true\ntimeout: 2\n"
        'data_sources:\n  "*": warehouse\n'
    )
    home = tmp_path / "home"
    home.mkdir()
    shell = Project(shop.path, home, tmp_path, tmp_path / "no-dbt", tmp_path / "none")
    argv = ["run", "--dbt-mode", "inprocess", "--select", "armor_env_probe"]
    argv += ["--project-dir", str(shop.path), "--profiles-dir", str(shop.profiles_dir)]
    env = {
        "ARMOR_DUCKDB_PATH": str(shop.db_path),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
    }
    run = invoke(argv, shell, caplog, **env)
    assert run.code == 0, run.stdout + run.stderr
    assert_no_leak(run, shell)
    compiled = list((shop.path / "target" / "compiled").rglob("armor_env_probe.sql"))
    assert len(compiled) == 1  # what dbt rendered from the environment it was given
    sql = compiled[0].read_text()
    assert "'absent' as api_key" in sql and "'absent' as auth_header" in sql
    assert """'{"blocked_n' as results_head""" in sql  # DBT_ARMOR_RESULTS (sorted keys)
    assert os.environ.get("ARMOR_API_KEY") != CANARY  # the process environment was restored
