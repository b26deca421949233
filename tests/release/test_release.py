"""The release artefacts: wheel + sdist build offline, pass `twine check`, the wheel installs
into a fresh virtualenv, and the sdist's files are a dbt package that `dbt deps` installs."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest

import dbt_armor

REPO = Path(__file__).resolve().parents[2]


def _run(*args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=240
    )
    failed = f"{args[:3]} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    assert proc.returncode == 0, failed
    return proc.stdout


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """`python -m build` (no isolation: the build backend comes from the dev extra, offline)."""
    out = tmp_path_factory.mktemp("dist")
    _run(sys.executable, "-m", "build", "--no-isolation", "--outdir", out, REPO)
    wheels = list(out.glob("*.whl"))
    sdists = list(out.glob("*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, sorted(p.name for p in out.iterdir())
    return {"wheel": wheels[0], "sdist": sdists[0]}


def test_artefacts_carry_the_single_version_and_pass_twine_check(dist: dict[str, Path]) -> None:
    version = dbt_armor.__version__
    assert dist["wheel"].name == f"dbt_armor-{version}-py3-none-any.whl"
    assert dist["sdist"].name == f"dbt_armor-{version}.tar.gz"
    out = _run(sys.executable, "-m", "twine", "check", "--strict", dist["wheel"], dist["sdist"])
    assert out.count("PASSED") == 2, out


def test_wheel_has_the_package_and_metadata_urls(dist: dict[str, Path]) -> None:
    with zipfile.ZipFile(dist["wheel"]) as whl:
        names = whl.namelist()
        meta_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = whl.read(meta_name).decode()
    assert "dbt_armor/py.typed" in names
    assert "dbt_armor/cli/main.py" in names
    assert not any(n.startswith("tests/") for n in names)
    assert f"Version: {dbt_armor.__version__}" in metadata
    assert "Project-URL: Source, https://github.com/anomalyarmor/dbt-armor" in metadata


def test_sdist_carries_the_dbt_package(dist: dict[str, Path]) -> None:
    with tarfile.open(dist["sdist"]) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    repo_macros = {p.relative_to(REPO).as_posix() for p in (REPO / "macros").rglob("*.sql")}
    assert repo_macros and repo_macros <= names, sorted(repo_macros - names)
    assert "dbt_project.yml" in names
    assert not any(n.startswith(("tests/", "integration_project/")) for n in names)


def test_wheel_installs_into_a_fresh_venv_and_reports_its_version(
    dist: dict[str, Path], tmp_path: Path
) -> None:
    """The fresh venv gets the wheel itself; its third-party dependencies are borrowed from the
    test environment's site-packages (appended after its own, so dbt_armor comes from the wheel)
    because the tests must not download anything."""
    env_dir = tmp_path / "fresh"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    fresh_py = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    _run(
        sys.executable, "-m", "pip", "--python", fresh_py, "install", "--quiet",
        "--no-deps", "--no-index", dist["wheel"],
    )  # fmt: skip
    purelib = "import sysconfig; print(sysconfig.get_path('purelib'))"
    fresh_site = Path(_run(fresh_py, "-c", purelib).strip())
    ours = [p for p in sys.path if p.endswith("site-packages")]
    (fresh_site / "zz_borrowed_deps.pth").write_text("\n".join(ours) + "\n")
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    out = _run(env_dir / "bin" / "dbt-armor", "--version", cwd=tmp_path, env=env)
    assert out.strip() == f"dbt-armor, version {dbt_armor.__version__}"
    probe = (
        "import dbt_armor, importlib.metadata as m;"
        "print(dbt_armor.__file__); print(m.version('dbt-armor'))"
    )
    where = _run(fresh_py, "-c", probe, cwd=tmp_path, env=env).split()
    assert Path(where[0]).is_relative_to(env_dir), where
    assert where[1] == dbt_armor.__version__


@pytest.mark.e2e
def test_dbt_deps_installs_the_macro_package_from_the_sdist(
    dist: dict[str, Path], tmp_path: Path
) -> None:
    with tarfile.open(dist["sdist"]) as tar:
        if hasattr(tarfile, "data_filter"):  # Python >= 3.10.12 / 3.11.4
            tar.extractall(tmp_path / "unpacked", filter="data")
        else:  # pragma: no cover - our own sdist, built a moment ago
            tar.extractall(tmp_path / "unpacked")
    package_dir = tmp_path / "unpacked" / dist["sdist"].name.removesuffix(".tar.gz")
    project = tmp_path / "consumer"
    project.mkdir()
    (project / "dbt_project.yml").write_text(
        "name: consumer\nversion: '1.0'\nconfig-version: 2\nprofile: consumer\n"
    )
    (project / "packages.yml").write_text(f"packages:\n  - local: {package_dir.as_posix()}\n")
    dbt = Path(sys.executable).with_name("dbt")
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    _run(dbt, "deps", cwd=project, env=env)
    installed = project / "dbt_packages" / "dbt_armor"
    assert (installed / "dbt_project.yml").is_file()
    assert (installed / "macros" / "require_fresh.sql").is_file()
