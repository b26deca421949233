"""A stand-in dbt-core package (on PYTHONPATH) and console script for the driver's tests.

Its dbtRunner appends each invocation (pid, argv, what it was given) to $FAKE_DBT_LOG; parse
writes target/manifest.json from a fixture. Asserts nothing.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

FIXTURE = Path(__file__).parents[2] / "fixtures" / "manifests" / "integration_v12.json"

RUNNER = """
import json, os, sys
from pathlib import Path


class Result:
    def __init__(self, success, result=None, exception=None):
        self.success, self.result, self.exception = success, result, exception


class dbtRunner:
    def __init__(self, manifest=None, callbacks=None):
        self.manifest = manifest

    def invoke(self, args):
        with open(os.environ["FAKE_DBT_LOG"], "a") as log:
            log.write(json.dumps({
                "pid": os.getpid(), "argv": args, "manifest": self.manifest,
                "results": os.environ.get("DBT_ARMOR_RESULTS"),
                "key": os.environ.get("ARMOR_API_KEY"),
            }) + "\\n")
        project = Path(args[args.index("--project-dir") + 1]) if "--project-dir" in args else Path()
        if args[0] == "parse":
            if os.environ.get("FAKE_PARSE_FAILS"):
                print("Parsing Error: models/x.yml is not valid YAML")
                return Result(False, exception=RuntimeError("Parsing Error"))
            (project / "target").mkdir(exist_ok=True)
            fixture = Path(os.environ["FAKE_MANIFEST"]).read_text()
            (project / "target" / "manifest.json").write_text(fixture)
            return Result(True, result="the-manifest-object")
        if args[0] == "ls":
            print("ls output is captured")
            uid = "model.armor_shop.stg_orders"
            row = {"unique_id": uid, "resource_type": "model", "fqn": ["armor_shop", "stg_orders"]}
            return Result(True, result=[json.dumps(row)])
        print("fake dbt " + args[0] + " on stdout")
        if os.environ.get("FAKE_STARTED_FILE"):  # wait for Ctrl-C, as dbtRunner catches it
            import time
            try:
                Path(os.environ["FAKE_STARTED_FILE"]).write_text(str(os.getpid()))
                time.sleep(60)
            except KeyboardInterrupt as exc:
                return Result(False, exception=exc)
        return Result(not os.environ.get("FAKE_RUN_FAILS"))


def cli():
    with open(os.environ["FAKE_DBT_LOG"], "a") as log:
        log.write(json.dumps({"pid": os.getpid(), "argv": sys.argv[1:], "script": True}) + "\\n")
    runner = dbtRunner()
    result = runner.invoke(sys.argv[1:])
    if isinstance(result.result, list):
        print("\\n".join(result.result))
    return 0 if result.success else 1
"""


def install(root: Path, version: str = "1.11.99") -> tuple[Path, str]:
    """A fake dbt-core ``version`` under ``root``: its PYTHONPATH entry and console script."""
    site = root / "site"
    main = site / "dbt" / "cli" / "main.py"
    main.parent.mkdir(parents=True)
    (site / "dbt" / "__init__.py").write_text("")
    (site / "dbt" / "cli" / "__init__.py").write_text("")
    main.write_text(RUNNER)
    info = site / f"dbt_core-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: dbt-core\nVersion: {version}\n")
    script = root / "bin" / "dbt"
    script.parent.mkdir()
    script.write_text(
        f"#!{sys.executable}\nimport sys\nfrom dbt.cli.main import cli\n"
        "if __name__ == '__main__':\n    sys.exit(cli())\n"
    )
    script.chmod(0o755)
    return site, str(script)


def calls(log: Path) -> list[dict[str, Any]]:
    """What the fake dbt recorded, in order."""
    if not log.is_file():
        return []
    return [json.loads(line) for line in log.read_text().splitlines() if line]
