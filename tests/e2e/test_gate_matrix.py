"""The gate checks the data source of the target dbt will really use, in every way users set it.

One clone of integration_project whose dbt_armor.yml maps ``prod: warehouse`` and
``"*": dev_sandbox``; only ``warehouse`` is known to the emulator (not ``crm``, which
crm.customers names in meta.armor) and its raw.orders is 90 h old. Target by --target, -t,
DBT_TARGET and the profile default; directories by flag and env; dbt in-process, as a
subprocess and not at all (--manifest). Every prod case must block (exit 3) and name target
prod and data source warehouse; the dev default must not pass silently (exit 2, the
all-not-monitored guard). The --manifest cases need no dbt and stay in the default test run;
the cases that start dbt are marked slow, except one in-process representative.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from project_copy import DbtProject
from shop import explain, refresh_raw_timestamps, serving

from dbt_armor.emulator import EmulatorServer
from dbt_armor.emulator.config import DEFAULT_READWRITE_KEY

pytestmark = pytest.mark.e2e

ARMOR_YML = """data_sources:
  prod: warehouse
  "*": dev_sandbox
naming:
  case: preserve
gate:
  stale: error
  not_monitored: warn
"""


@dataclass
class World:
    project: DbtProject
    server: EmulatorServer
    prod_profiles: Path  # a profiles dir whose default target is prod
    elsewhere: Path  # a directory that is not the project

    def gate(
        self, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        full = self.project.env(
            {
                "ARMOR_API_KEY": DEFAULT_READWRITE_KEY,
                "ARMOR_API_URL": self.server.api_url,
                "ARMOR_TIMEOUT": "5",
                **(env or {}),
            }
        )
        for name in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "DBT_TARGET", "DBT_PROFILE"):
            if name not in (env or {}):
                full.pop(name, None)
        return subprocess.run(
            [sys.executable, "-m", "dbt_armor", "gate", "--command", "run", *args],
            cwd=cwd or self.project.path,
            env=full,
            capture_output=True,
            text=True,
            timeout=240,
        )

    def artifact(self) -> dict[str, Any]:
        return dict(json.loads((self.project.path / "target" / "armor_gate.json").read_text()))


@pytest.fixture(scope="module")
def world(dbt_project: DbtProject, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("matrix")
    project = dbt_project.clone(root / "shop")
    (project.path / "dbt_armor.yml").write_text(ARMOR_YML)
    prod_profiles = root / "prod_profiles"
    prod_profiles.mkdir()
    profiles = (project.path / "profiles.yml").read_text()
    (prod_profiles / "profiles.yml").write_text(profiles.replace("target: dev", "target: prod"))
    elsewhere = root / "elsewhere"
    elsewhere.mkdir()
    refresh_raw_timestamps(project.db_path, {"orders": 90.0, "customers": 1.0, "payments": 1.0})
    with serving(project, project.db_path, seed=5, data_sources=("warehouse",)) as server:
        yield World(project, server, prod_profiles, elsewhere)


def _assert_blocks_prod(world: World, done: subprocess.CompletedProcess[str], origin: str) -> None:
    assert done.returncode == 3, explain(done)
    text = " ".join(done.stdout.split())
    assert f"target prod ({origin})" in text, explain(done)
    assert "warehouse (data_sources['prod'])" in text
    assert "crm (meta.armor.data_source)" in text  # crm.customers names its own
    assert "is 90" in text and "warehouse." in text
    doc = world.artifact()
    assert doc["outcome"] == "block" and doc["exit_code"] == 3
    assert doc["checked"]["target"] == {"value": "prod", "from": origin}
    assert set(doc["checked"]["data_sources"]) == {"warehouse", "crm"}


def _cases(world: World) -> dict[str, tuple[list[str], dict[str, str], Path | None, str]]:
    """name -> (argv, env, cwd, expected target origin)."""
    p = str(world.project.path)
    dirs = ["--project-dir", p, "--profiles-dir", p]
    return {
        "--target": (["--target", "prod", "--profiles-dir", p], {}, None, "flag"),
        "-t": (["-t", "prod", "--profiles-dir", p], {}, None, "flag"),
        "DBT_TARGET": (["--profiles-dir", p], {"DBT_TARGET": "prod"}, None, "env"),
        "profile default": (
            ["--profiles-dir", str(world.prod_profiles)], {}, None, "profile default"
        ),
        "dirs by flag": ([*dirs, "-t", "prod"], {}, world.elsewhere, "flag"),
        "dirs by env": (
            ["-t", "prod"],
            {"DBT_PROJECT_DIR": p, "DBT_PROFILES_DIR": p},
            world.elsewhere,
            "flag",
        ),
    }  # fmt: skip


MANIFEST_CASES = ["--target", "-t", "DBT_TARGET", "profile default", "dirs by env"]
DBT_CASES = ["--target", "-t", "DBT_TARGET", "profile default", "dirs by flag", "dirs by env"]


@pytest.mark.parametrize("case", MANIFEST_CASES)
def test_manifest_mode_checks_the_target_data_source(world: World, case: str) -> None:
    argv, env, cwd, origin = _cases(world)[case]
    manifest = str(world.project.manifest_path)
    done = world.gate("--manifest", manifest, *argv, env=env, cwd=cwd)
    _assert_blocks_prod(world, done, origin)


def test_the_dev_default_is_a_configuration_error_not_a_pass(world: World) -> None:
    """dev maps to dev_sandbox through "*": nothing there is known, so exit 2, named; with
    crm.customers (known under crm) in the selection the coverage is partial: unchanged."""
    base = [
        "--manifest",
        str(world.project.manifest_path),
        "--profiles-dir",
        str(world.project.path),
    ]
    done = world.gate(*base, "--select", "stg_orders", "stg_payments")
    assert done.returncode == 2, explain(done)
    text = " ".join((done.stdout + done.stderr).split())
    assert "target dev" in text and "dev_sandbox" in text and "dbt-armor map --check" in text
    assert "dev_sandbox.warehouse.raw." in text  # a name that was tried
    assert "Gate decision: pass" not in text
    doc = world.artifact()
    assert (doc["outcome"], doc["exit_code"]) == ("not_configured", 2)
    assert doc["checked"]["target"] == {"value": "dev", "from": "profile default"}
    accept = ["--policy", "all_not_monitored=accept"]
    accepted = world.gate(*base, "--select", "stg_orders", "stg_payments", *accept)
    assert accepted.returncode == 0, explain(accepted)
    assert world.artifact()["outcome"] == "warn"
    partial = world.gate(*base)
    assert partial.returncode == 0, explain(partial)
    assert world.artifact()["outcome"] == "warn"  # not_monitored: warn, per source


@pytest.mark.slow
@pytest.mark.parametrize("case", DBT_CASES)
def test_in_process_dbt_checks_the_target_data_source(world: World, case: str) -> None:
    argv, env, cwd, origin = _cases(world)[case]
    done = world.gate("--dbt-mode", "inprocess", *argv, env=env, cwd=cwd)
    _assert_blocks_prod(world, done, origin)


@pytest.mark.slow
@pytest.mark.parametrize("case", ["-t", "DBT_TARGET", "dirs by env"])
def test_subprocess_dbt_checks_the_target_data_source(world: World, case: str) -> None:
    argv, env, cwd, origin = _cases(world)[case]
    done = world.gate("--dbt-mode", "subprocess", *argv, env=env, cwd=cwd)
    _assert_blocks_prod(world, done, origin)


def test_in_process_dbt_with_the_target_in_the_environment(world: World) -> None:
    """The fast representative of the dbt cases (one parse): DBT_TARGET picks prod."""
    argv, env, cwd, origin = _cases(world)["DBT_TARGET"]
    done = world.gate(*argv, env=env, cwd=cwd)
    _assert_blocks_prod(world, done, origin)
    assert os.path.isfile(world.project.path / "target" / "manifest.json")
