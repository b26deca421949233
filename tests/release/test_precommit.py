"""Another repository runs `dbt-armor validate` as a pre-commit hook from our
.pre-commit-hooks.yaml (a `repo:` at a local path and a tag, installed by pre-commit itself)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import dbt_armor

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "manifests" / "integration_v12.json"
# what `pip install .` of the hook repository needs
HOOK_REPO_FILES = (
    "pyproject.toml", "MANIFEST.in", "README.md", "LICENSE", "CHANGELOG.md",
    "dbt_project.yml", ".pre-commit-hooks.yaml", "dbt_armor", "macros",
)  # fmt: skip


def _git(cwd: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com"}
    env.update(GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com")
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def _hook_repo(dest: Path) -> str:
    """A git repository holding this tree's package, tagged like a release."""
    dest.mkdir()
    for name in HOOK_REPO_FILES:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, dest / name)
    tag = f"v{dbt_armor.__version__}"
    _git(dest, "init", "-q")
    _git(dest, "add", "-A")
    _git(dest, "commit", "-q", "-m", "release")
    _git(dest, "tag", tag)
    return tag


def _offline_env(home: Path) -> dict[str, str]:
    """pre-commit installs the hook with pip, offline: the build backend comes from
    virtualenv's bundled wheels, the runtime dependencies from this test environment."""
    import virtualenv

    embedded = Path(virtualenv.__file__).parent / "seed" / "wheels" / "embed"
    site = [p for p in sys.path if p.endswith("site-packages")]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARMOR_", "PIP_", "PRE_"))}
    env.update(
        PRE_COMMIT_HOME=str(home),
        PIP_NO_INDEX="1",
        PIP_FIND_LINKS=str(embedded),
        PIP_NO_DEPS="1",
        PYTHONPATH=os.pathsep.join(site),
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    )
    return env


def test_pre_commit_runs_validate_from_the_hooks_file(tmp_path: Path) -> None:
    tag = _hook_repo(tmp_path / "dbt-armor")
    project = tmp_path / "analytics"
    (project / "target").mkdir(parents=True)
    manifest = json.loads(FIXTURE.read_text())
    (project / "target" / "manifest.json").write_text(json.dumps(manifest))
    (project / "dbt_armor.yml").write_text("data_sources:\n  '*': warehouse\n")
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {tmp_path / 'dbt-armor'}\n    rev: {tag}\n"
        "    hooks:\n      - id: dbt-armor-validate\n"
    )
    _git(project, "init", "-q")
    _git(project, "add", "-A")
    env = _offline_env(tmp_path / "pre-commit-home")

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pre_commit", "run", "--all-files", "--color", "never"],
            cwd=project, env=env, capture_output=True, text=True, timeout=400,
        )  # fmt: skip

    # the fixture's manifest has two policies placed directly under meta.armor: a failure
    failed = run()
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "dbt-armor validate" in failed.stdout and "Failed" in failed.stdout
    assert "unknown key meta.armor.stale" in failed.stdout
    installed = list((tmp_path / "pre-commit-home").rglob("site-packages/dbt_armor/__init__.py"))
    assert installed, "pre-commit did not install the hook repository"

    for section, uid, key in (
        ("sources", "source.armor_shop.shop.orders", "stale"),
        ("nodes", "model.armor_shop.fct_orders", "unknown"),
    ):
        node = manifest[section][uid]
        for meta in (node["meta"], node["config"]["meta"]):
            meta["armor"] = {"gate": {key: meta["armor"][key]}}
    (project / "target" / "manifest.json").write_text(json.dumps(manifest))
    passed = run()
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout
