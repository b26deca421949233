"""Typed request and response models of the AnomalyArmor API (re-exported for callers).

Response models are tolerant readers; request models are strict writers.
"""

from dbt_armor.api.models.base import Page, Strict, Tolerant, build, parse
from dbt_armor.api.models.freshness import (
    Asset,
    FreshnessSchedule,
    FreshnessScheduleCreate,
    FreshnessScheduleUpdate,
    FreshnessState,
    FreshnessStatus,
    FreshnessSummary,
    Job,
)
from dbt_armor.api.models.lineage import (
    LineageEdge,
    LineageGraph,
    LineageListItem,
    LineageNode,
    LineageUploadResult,
)
from dbt_armor.api.models.quality import (
    RULE_TYPE_ALIASES,
    ReferentialCheck,
    ReferentialCheckCreate,
    ReferentialCheckResult,
    ReferentialCheckUpdate,
    ReferentialSummary,
    ValidityCheckResult,
    ValidityRule,
    ValidityRuleCreate,
    ValidityRuleUpdate,
    ValiditySummary,
    canonical_rule_type,
)

__all__ = [
    "RULE_TYPE_ALIASES",
    "Asset",
    "FreshnessSchedule",
    "FreshnessScheduleCreate",
    "FreshnessScheduleUpdate",
    "FreshnessState",
    "FreshnessStatus",
    "FreshnessSummary",
    "Job",
    "LineageEdge",
    "LineageGraph",
    "LineageListItem",
    "LineageNode",
    "LineageUploadResult",
    "Page",
    "ReferentialCheck",
    "ReferentialCheckCreate",
    "ReferentialCheckResult",
    "ReferentialCheckUpdate",
    "ReferentialSummary",
    "Strict",
    "Tolerant",
    "ValidityCheckResult",
    "ValidityRule",
    "ValidityRuleCreate",
    "ValidityRuleUpdate",
    "ValiditySummary",
    "build",
    "canonical_rule_type",
    "parse",
]
