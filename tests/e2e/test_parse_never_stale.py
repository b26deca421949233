"""A parse the wrapper reads back must be today's: with dbt told to write no JSON
(DBT_WRITE_JSON=false), no dbt mode may hand the gate the manifest.json of an older parse."""

from __future__ import annotations

from pathlib import Path

import pytest
from project_copy import DbtProject

from dbt_armor.dbt import make_invoker
from dbt_armor.dbt.invoker import DbtInvoker, dbt_core_available
from dbt_armor.errors import DbtError
from dbt_armor.project.manifest import load_manifest

pytestmark = pytest.mark.e2e

NEW_MODEL = "model.armor_shop.added_after_last_parse"


@pytest.fixture
def project(dbt_project: DbtProject, tmp_path: Path) -> DbtProject:
    """The session's project whose manifest.json predates a model added since."""
    copy = dbt_project.clone(tmp_path / "shop")
    assert copy.manifest_path.is_file()
    sql = copy.path / "models" / "added_after_last_parse.sql"
    sql.write_text("select 1 as id\n")
    return copy


def _invoker(project: DbtProject, kind: str) -> DbtInvoker:
    if kind == "inprocess":
        if not dbt_core_available():
            pytest.skip("dbt-core is not importable here")
        return make_invoker(project.path, project.profiles_dir, mode="inprocess")
    return make_invoker(
        project.path, project.profiles_dir, mode="subprocess", driver=kind == "driver"
    )


@pytest.mark.parametrize("kind", ["inprocess", "driver", "subprocess"])
def test_dbt_told_to_write_no_json_never_yields_an_older_manifest(
    project: DbtProject, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    for key, value in project.env({"DBT_WRITE_JSON": "false"}).items():
        monkeypatch.setenv(key, value)
    assert NEW_MODEL not in load_manifest(project.manifest_path).nodes  # the older parse
    invoker = _invoker(project, kind)
    try:
        path = invoker.parse([], command="run")
    except DbtError as exc:  # refusing is fail-closed too, when the flag cannot be forced
        assert kind == "subprocess", f"{kind} refused instead of parsing: {exc}"
        assert "did not rewrite" in str(exc) and "DBT_WRITE_JSON" in (exc.hint or "")
        return
    finally:
        close = getattr(invoker, "close", None)
        if close is not None:
            close()
    assert NEW_MODEL in load_manifest(Path(path)).nodes
