"""Rewrite a copy of integration_project into the YAML older dbt-core minors parse.

integration_project stays modern (dbt-core 1.10+ spellings); the support matrix builds a copy
for 1.8 and 1.9 with this: test ``arguments:`` flattened into the test, source ``config:``
keys (loaded_at_field, freshness, meta, tags) moved back to the source or table, and, below
1.9, YAML snapshots (``relation:``) written as ``{% snapshot %}`` SQL blocks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

_TEST_LISTS = ("data_tests", "tests")
_SOURCE_KEYS = ("loaded_at_field", "freshness", "meta", "tags")
_SNAPSHOT_CONFIG_NAMES = {"schema": "target_schema", "database": "target_database"}


def adapt_project(path: Path, minor: tuple[int, int]) -> list[Path]:
    """Rewrite the project's property files in place for dbt ``minor``; returns the files
    changed (none from 1.10 on)."""
    if minor >= (1, 10):
        return []
    changed: list[Path] = []
    for yml in sorted(path.glob("models/**/*.yml")) + sorted(path.glob("snapshots/**/*.yml")):
        doc = yaml.safe_load(yml.read_text())
        if not isinstance(doc, dict):
            continue
        _flatten_tests(doc)
        for source in doc.get("sources") or []:
            _lift_source_config(source)
            for table in source.get("tables") or []:
                _lift_source_config(table)
        if minor < (1, 9):
            doc["snapshots"] = [_snapshot_as_sql(yml.parent, s) for s in doc.get("snapshots") or []]
            if not doc["snapshots"]:
                del doc["snapshots"]
        yml.write_text(yaml.safe_dump(doc, sort_keys=False))
        changed.append(yml)
    return changed


def _flatten_tests(node: Any) -> None:
    """Every test entry ``{name: {arguments: {...}, config: ...}}`` becomes ``{name: {...,
    config: ...}}``, at any depth (models, columns, sources, tables)."""
    if isinstance(node, list):
        for item in node:
            _flatten_tests(item)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key in _TEST_LISTS and isinstance(value, list):
            for test in value:
                if isinstance(test, dict):
                    for body in test.values():
                        if isinstance(body, dict) and isinstance(body.get("arguments"), dict):
                            body.update(body.pop("arguments"))
        else:
            _flatten_tests(value)


def _lift_source_config(entry: dict[str, Any]) -> None:
    config = entry.get("config")
    if not isinstance(config, dict):
        return
    for key in _SOURCE_KEYS:
        if key in config:
            entry[key] = config.pop(key)
    if not config:
        del entry["config"]


def _snapshot_as_sql(folder: Path, snapshot: dict[str, Any]) -> dict[str, Any]:
    """Write ``<name>.sql`` for a YAML snapshot; what stays in YAML is its description."""
    relation = snapshot.get("relation")
    if relation is None:
        return snapshot
    name = snapshot["name"]
    config = {
        _SNAPSHOT_CONFIG_NAMES.get(k, k): v for k, v in (snapshot.get("config") or {}).items()
    }
    arguments = ", ".join(f"{k}={v!r}" for k, v in config.items())
    (folder / f"{name}.sql").write_text(
        f"{{% snapshot {name} %}}\n{{{{ config({arguments}) }}}}\n"
        f"select * from {{{{ {relation} }}}}\n{{% endsnapshot %}}\n"
    )
    return {k: v for k, v in snapshot.items() if k not in ("relation", "config")}
