"""The README's configuration reference names every key the config reader accepts, the
documented shell completion works, and the quick start builds the manifest first."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dbt_armor.config import HOME_KEYS, PROJECT_KEYS, RETIRED_KEYS
from dbt_armor.validation import ARMOR_META_KEYS

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def _reference_rows() -> set[str]:
    start = README.index("| key | where | meaning | default |")
    rows = set()
    for line in README[start:].splitlines()[2:]:
        if not line.startswith("|"):
            break
        rows.update(part.strip("` ") for part in line.split("|")[1].split(","))
    return rows


def test_every_config_key_is_in_the_reference_table() -> None:
    rows = _reference_rows()
    expected = set(HOME_KEYS)
    for key, nested in PROJECT_KEYS.items():
        if key == "gate":
            expected.add("gate.<policy key>")
        elif nested is None:
            expected.add(key)
        else:
            expected.update(f"{key}.{sub}" for sub in nested)
    assert expected <= rows, expected - rows
    for key in RETIRED_KEYS:
        assert f"`{key}:` is not a key" in README
    for key in ARMOR_META_KEYS:
        assert f"`{key}`" in README


def test_quick_start_parses_before_reading_the_manifest() -> None:
    quick = README[README.index("## Quick start") :]
    block = quick[quick.index("```bash") : quick.index("```", quick.index("```bash") + 3)]
    lines = [line.split("#")[0].strip() for line in block.splitlines()[1:]]
    assert lines[0].startswith("dbt deps && dbt parse")


def test_documented_bash_completion_prints_a_script() -> None:
    env = {**os.environ, "_DBT_ARMOR_COMPLETE": "bash_source"}
    done = subprocess.run(
        [str(Path(sys.executable).with_name("dbt-armor"))],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0 and "_dbt_armor_completion" in done.stdout
    assert "_DBT_ARMOR_COMPLETE=bash_source dbt-armor" in README
