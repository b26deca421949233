"""`dbt-armor seed --publish-lineage`: the wrapper publishes after dbt, and a platform outage
during the publish is one warning line that leaves dbt's exit code alone."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from dbt_armor.emulator import EmulatorServer
from dbt_armor.lineage.state import STATE_FILE

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
from project_copy import DbtProject  # type: ignore[import-not-found,unused-ignore]

pytestmark = pytest.mark.e2e

CLI = str(Path(sys.executable).with_name("dbt-armor"))


@pytest.fixture(scope="module")
def shop(dbt_project: DbtProject, tmp_path_factory: pytest.TempPathFactory) -> DbtProject:
    return dbt_project.clone(tmp_path_factory.mktemp("publish_run") / "armor_shop")


def _seed(shop: DbtProject, api_url: str, key: str) -> subprocess.CompletedProcess[str]:
    env = shop.env({"ARMOR_API_KEY": key, "ARMOR_API_URL": api_url})
    args = ["seed", "--publish-lineage", "--select", "country_codes"]
    return subprocess.run(
        [CLI, *args, "--project-dir", str(shop.path), "--profiles-dir", str(shop.profiles_dir)],
        cwd=shop.path,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def test_run_publishes_lineage_after_dbt(
    shop: DbtProject, emulator: EmulatorServer, api_key: str
) -> None:
    fixture = Path(__file__).resolve().parents[1] / "fixtures" / "manifests"
    manifest = json.loads((fixture / "integration_v12.json").read_text())
    httpx.post(emulator.url + "/_emulator/manifest?data_source=warehouse", json=manifest)
    done = _seed(shop, emulator.api_url, api_key)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "lineage published to data source 'warehouse'" in output
    uploads = [e for e in emulator.app.request_log() if e["path"].endswith("/lineage/upload")]
    assert len(uploads) == 1
    assert (shop.path / "target" / STATE_FILE).exists() and api_key not in output

    emulator.app.clear_request_log()
    httpx.post(  # the gate's reads pass; the upload answers 503 every time
        emulator.url + "/_emulator/faults",
        json={"match": "POST */lineage/upload", "status": 503, "count": None},
    )
    (shop.path / "target" / STATE_FILE).unlink()
    done = _seed(shop, emulator.api_url, api_key)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    warnings = [line for line in output.splitlines() if "lineage not published" in line]
    assert len(warnings) == 1 and warnings[0].startswith("dbt-armor: warning:")
    assert "Traceback" not in output
