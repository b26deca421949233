"""``import dbt_armor``, the CLI and ``dbt_armor.integrations`` never import an orchestrator:
checked in a fresh interpreter's ``sys.modules`` (meaningful where dagster/airflow are installed,
as in ``make test-integrations``)."""

from __future__ import annotations

import subprocess
import sys

ORCHESTRATORS = ("dagster", "dagster_dbt", "airflow", "cosmos")


def _loaded_after(code: str) -> list[str]:
    probe = (
        f"{code}\nimport sys\nprint(','.join(m for m in {ORCHESTRATORS!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True)
    return [m for m in out.stdout.strip().split(",") if m]


def test_import_dbt_armor_loads_no_orchestrator() -> None:
    assert _loaded_after("import dbt_armor, dbt_armor.gate, dbt_armor.integrations") == []


def test_the_cli_loads_no_orchestrator() -> None:
    code = (
        "from click.testing import CliRunner\n"
        "from dbt_armor.cli.main import cli\n"
        "for cmd in (['--help'], ['gate', '--help'], ['run', '--help']):\n"
        "    assert CliRunner().invoke(cli, cmd).exit_code == 0, cmd\n"
        "import dbt_armor.integrations._gate, dbt_armor.gate.wait\n"
    )
    assert _loaded_after(code) == []
