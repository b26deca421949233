"""Generate a dbt project of N models on DuckDB for the wrapper benchmark (nothing downloaded).

Layout: ``sources`` raw tables (seeded as DuckDB tables by ``load``), one staging view per
source, then layers of views, each model reading two models of the layer below, so the DAG is
wide and every model has upstream sources. The project installs this repo's macros like
integration_project does.
"""

from __future__ import annotations

from pathlib import Path

PROJECT = "big"


def _profiles(db: Path) -> str:
    return (
        f"{PROJECT}:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
        f'      path: "{db}"\n      threads: 4\n'
    )


def _sources_yml(sources: int) -> str:
    lines = ["version: 2", "sources:", "  - name: raw", "    schema: raw", "    tables:"]
    for i in range(sources):
        lines += [
            f"      - name: t{i}",
            "        loaded_at_field: loaded_at",
            "        freshness: {warn_after: {count: 24, period: hour}}",
        ]
    return "\n".join(lines) + "\n"


def generate(dest: Path, models: int, repo: Path, sources: int = 20) -> Path:
    """Write the project under ``dest`` (created); returns its directory."""
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "models").mkdir(exist_ok=True)
    (dest / "dbt_project.yml").write_text(
        f"name: {PROJECT}\nversion: '1.0'\nprofile: {PROJECT}\nmodel-paths: [models]\n"
        "models:\n  big:\n    +materialized: view\n"
    )
    (dest / "packages.yml").write_text(f"packages:\n  - local: {repo}\n")
    (dest / "dbt_armor.yml").write_text('data_sources:\n  "*": warehouse\n')
    (dest / "profiles.yml").write_text(_profiles(dest / "warehouse.duckdb"))
    (dest / "models" / "sources.yml").write_text(_sources_yml(sources))
    names: list[str] = []
    for i in range(sources):
        name = f"stg_{i}"
        (dest / "models" / f"{name}.sql").write_text(
            f"select id, loaded_at from {{{{ source('raw', 't{i}') }}}}\n"
        )
        names.append(name)
    layer = list(names)
    count = len(names)
    depth = 0
    while count < models:
        depth += 1
        folder = dest / "models" / f"layer_{depth}"
        folder.mkdir(exist_ok=True)
        made: list[str] = []
        for j in range(min(models - count, 100)):
            a, b = layer[j % len(layer)], layer[(j * 7 + 3) % len(layer)]
            name = f"m{depth}_{j}"
            sql = (
                f"select id, loaded_at from {{{{ ref('{a}') }}}}\n"
                f"union all select id, loaded_at from {{{{ ref('{b}') }}}}\n"
            )
            (folder / f"{name}.sql").write_text(sql)
            made.append(name)
        count += len(made)
        layer = made
    return dest


def load(db: Path, sources: int = 20) -> None:
    """Create the raw tables with current timestamps (fresh for the platform)."""
    import duckdb

    with duckdb.connect(str(db)) as con:
        con.execute("create schema if not exists raw")
        for i in range(sources):
            con.execute(
                f"create or replace table raw.t{i} as select range as id, "
                "now()::timestamp - interval 1 hour as loaded_at from range(10)"
            )
