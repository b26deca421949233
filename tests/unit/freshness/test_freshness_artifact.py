"""The sources.json document built from platform facts: statuses, omissions, and that dbt's own
artifact class reads it (schema v3) and compares it the way source_status:fresher does."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from dbt_armor.freshness.artifact import SCHEMA_V3, build_document, max_loaded, status_for
from dbt_armor.gate.facts import SourceFact
from dbt_armor.project.manifest import FreshnessRule, Source, Threshold

NOW = datetime(2026, 11, 25, 13, 0, tzinfo=timezone.utc)


def _source(table: str, warn: int | None = None, error: int | None = None) -> Source:
    rule = FreshnessRule(
        warn_after=Threshold(warn, "hour") if warn else None,
        error_after=Threshold(error, "hour") if error else None,
    )
    return Source(
        unique_id=f"source.shop.raw.{table}",
        source_name="raw",
        name=table,
        freshness=rule if rule.configured else None,
    )


def _fact(table: str, status: str, hours: float | None) -> SourceFact:
    last = NOW - timedelta(hours=hours) if hours is not None else None
    return SourceFact(f"source.shop.raw.{table}", f"w.d.raw.{table}", status, hours, 24, last)


@pytest.mark.parametrize(
    ("hours", "expected"), [(1.0, "pass"), (13.0, "warn"), (25.0, "error"), (12.0, "pass")]
)
def test_dbt_thresholds_decide_the_status_on_the_platform_age(hours: float, expected: str) -> None:
    src = _source("orders", warn=12, error=24)
    # the platform's own verdict is ignored when dbt thresholds exist
    assert status_for(src, _fact("orders", "fresh", hours), hours * 3600) == expected


@pytest.mark.parametrize(("platform", "expected"), [("fresh", "pass"), ("stale", "error")])
def test_without_dbt_thresholds_the_platform_verdict_decides(platform: str, expected: str) -> None:
    assert status_for(_source("events"), _fact("events", platform, 5.0), 5 * 3600) == expected


def test_document_omits_sources_without_a_last_update() -> None:
    sources = {s.unique_id: s for s in (_source("a", 1, 2), _source("b"), _source("c"))}
    facts = {
        "source.shop.raw.a": _fact("a", "fresh", 0.5),
        "source.shop.raw.b": _fact("b", "not_monitored", None),
    }
    doc = build_document(sources, facts, NOW, dbt_version="1.11.16")
    assert doc.written == ("source.shop.raw.a",)
    assert doc.unknown == ("source.shop.raw.b", "source.shop.raw.c")
    (entry,) = doc.document["results"]
    assert entry["max_loaded_at"] == "2026-11-25T12:30:00+00:00"
    assert entry["max_loaded_at_time_ago_in_s"] == 1800.0
    assert entry["criteria"]["warn_after"] == {"count": 1, "period": "hour"}
    assert doc.document["metadata"]["dbt_schema_version"] == SCHEMA_V3
    assert max_loaded(doc.document) == {"source.shop.raw.a": NOW - timedelta(hours=0.5)}


def test_dbt_reads_the_document_and_its_timestamps_compare_with_its_own(tmp_path: Path) -> None:
    schemas = pytest.importorskip("dbt.artifacts.schemas.freshness")
    sources = {s.unique_id: s for s in (_source("a", 1, 2), _source("b"))}
    facts = {
        "source.shop.raw.a": _fact("a", "fresh", 3.0),
        "source.shop.raw.b": _fact("b", "stale", 1),
    }
    path = tmp_path / "sources.json"
    path.write_text(json.dumps(build_document(sources, facts, NOW, dbt_version="1.11.16").document))
    read = schemas.FreshnessExecutionResultArtifact.read_and_check_versions(str(path))
    by_id = {r.unique_id: r for r in read.results}
    assert str(by_id["source.shop.raw.a"].status) == "error"  # 3 h > error_after 2 h
    assert str(by_id["source.shop.raw.b"].status) == "error"  # no dbt rule: platform says stale
    # dbt compares max_loaded_at across artifacts; ours must be tz-aware like the ones it writes
    theirs = datetime.fromisoformat("2026-11-25T09:00:00+00:00")
    assert by_id["source.shop.raw.a"].max_loaded_at > theirs - timedelta(seconds=1)
    assert by_id["source.shop.raw.a"].max_loaded_at.tzinfo is not None
