"""`sync.apply_budget` in dbt_armor.yml and the `--budget` flag: one reader (config.Settings)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dbt_armor.config import resolve_settings
from dbt_armor.errors import ConfigError


def test_budget_from_the_project_file_and_the_flag(tmp_path: Path) -> None:
    (tmp_path / "dbt_armor.yml").write_text("sync:\n  apply_budget: 120\n")
    settings = resolve_settings(env={}, project_dir=tmp_path, home=tmp_path)
    assert settings.apply_budget == 120.0
    flag = resolve_settings({"apply_budget": 7.5}, env={}, project_dir=tmp_path, home=tmp_path)
    assert flag.apply_budget == 7.5
    assert resolve_settings(env={}, project_dir=None, home=tmp_path).apply_budget is None


@pytest.mark.parametrize("value", ["0", "-3", "soon"])
def test_a_bad_budget_names_the_key_and_the_file(tmp_path: Path, value: str) -> None:
    (tmp_path / "dbt_armor.yml").write_text(f"sync:\n  apply_budget: {value}\n")
    with pytest.raises(ConfigError, match=r"sync\.apply_budget from .*dbt_armor\.yml"):
        resolve_settings(env={}, project_dir=tmp_path, home=tmp_path)
