"""macros/macros.yml: dbt accepts it, and `dbt docs` sees every public macro and argument
described while internal helpers stay hidden."""

from __future__ import annotations

import json
import re

import pytest
from project_copy import REPO_ROOT, DbtProject

pytestmark = pytest.mark.e2e

SIGNATURE = re.compile(r"{%-?\s*macro\s+(\w+)\(([^)]*)\)")


def _signatures() -> dict[str, list[str]]:
    found = {}
    for path in (REPO_ROOT / "macros").rglob("*.sql"):
        for name, args in SIGNATURE.findall(path.read_text()):
            found[name] = [a.split("=")[0].strip() for a in args.split(",") if a.strip()]
    return found


def test_every_public_macro_and_argument_is_documented(dbt_project: DbtProject) -> None:
    manifest = json.loads(dbt_project.manifest_path.read_text())
    ours = {m["name"]: m for m in manifest["macros"].values() if m["package_name"] == "dbt_armor"}
    signatures = _signatures()
    assert set(signatures) == set(ours)
    public = [name for name in ours if not name.startswith("_") and "___" not in name]
    assert {"results", "freshness", "require_fresh", "persist_results"} <= set(public)
    for name in public:
        macro = ours[name]
        assert macro["description"].strip(), f"{name} has no description"
        assert macro["docs"]["show"] is True
        documented = {a["name"]: a for a in macro["arguments"]}
        assert set(signatures[name]) <= set(documented), name
        assert all(a["description"].strip() for a in documented.values()), name
    hidden = [name for name in ours if name not in public]
    assert hidden and all(ours[name]["docs"]["show"] is False for name in hidden)
