"""Lineage publish: the dbt DAG (sources, seeds, models, snapshots, exposures) to the platform.

``slim`` and ``payload`` build the upload (pure / manifest reading), ``state`` remembers the last
publish, ``publish`` is the shell. The wrapper calls ``publish_best_effort`` after dbt finishes.
"""

from __future__ import annotations

from dbt_armor.lineage.publish import (
    PublishOutcome,
    publish,
    publish_best_effort,
    resolve_asset_id,
    resolve_data_source,
)

__all__ = [
    "PublishOutcome",
    "publish",
    "publish_best_effort",
    "resolve_asset_id",
    "resolve_data_source",
]
