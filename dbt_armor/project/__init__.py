"""The dbt project as dbt-armor sees it: manifest subset, qualified names, DAG walks.

Re-exports the public names of ``manifest``, ``naming`` and ``graph``; holds no logic.
"""

from __future__ import annotations

from dbt_armor.project.graph import (
    descendants,
    parents_of,
    relationship_parent_id,
    tested_node_id,
    upstream_nodes,
    upstream_sources,
)
from dbt_armor.project.manifest import (
    Exposure,
    FreshnessRule,
    Manifest,
    Metadata,
    Node,
    NodeConfig,
    Quoting,
    Source,
    TestMetadata,
    Threshold,
    UnitTest,
    decode_manifest,
    load_manifest,
)
from dbt_armor.project.naming import (
    NameResolver,
    NamingError,
    QualifiedName,
    default_data_source,
)

__all__ = [
    "Exposure",
    "FreshnessRule",
    "Manifest",
    "Metadata",
    "NameResolver",
    "NamingError",
    "Node",
    "NodeConfig",
    "QualifiedName",
    "Quoting",
    "Source",
    "TestMetadata",
    "Threshold",
    "UnitTest",
    "decode_manifest",
    "default_data_source",
    "descendants",
    "load_manifest",
    "parents_of",
    "relationship_parent_id",
    "tested_node_id",
    "upstream_nodes",
    "upstream_sources",
]
