"""Property: the manifest reader (and the pure readers built on it) given a mutated manifest
either raise a one-line ManifestError or return a usable result, never another exception.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from examples_budget import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dbt_armor.errors import ArmorError, ManifestError
from dbt_armor.project import decode_manifest
from dbt_armor.project.graph import descendants, upstream_sources
from dbt_armor.project.naming import NameResolver

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "manifests"
BASES = {
    name: (FIXTURES / name).read_bytes()
    for name in ("v2_preview_duckdb.json", "v11_snowflake.json")
}

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


def _containers(doc: Any, depth: int = 0) -> list[Any]:
    """Every dict and list in ``doc`` (bounded depth), the root first."""
    out = [doc]
    if depth < 6:
        children = doc.values() if isinstance(doc, dict) else doc
        for child in children:
            if isinstance(child, dict | list):
                out += _containers(child, depth + 1)
    return out


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    base = BASES[draw(st.sampled_from(sorted(BASES)))]
    doc = json.loads(base)
    for _ in range(draw(st.integers(1, 4))):
        boxes = [c for c in _containers(doc) if c]
        box = draw(st.sampled_from(boxes))
        key = draw(st.sampled_from(sorted(box) if isinstance(box, dict) else range(len(box))))
        if draw(st.booleans()):
            del box[key]
        else:
            box[key] = draw(json_values)
    return json.dumps(doc).encode()


def _use(manifest: Any) -> None:
    """What the gate and map do with a manifest: names, meta, graph walks."""
    resolver = NameResolver(manifest, None, {"*": "wh"}, "auto")
    names = resolver.resolve_all()
    for item in [*manifest.sources.values(), *manifest.nodes.values()]:
        assert isinstance(item.armor_meta, dict)
        assert isinstance(item.tags, list)
    selected = [uid for uid in manifest.nodes if uid.startswith("model.")]
    feeds = upstream_sources(manifest, selected)
    assert set(feeds) <= set(manifest.sources)
    descendants(manifest, set(feeds))
    for uid, q in names.items():
        assert manifest.get(uid) is not None
        assert q.full.count(".") >= 3


@pytest.mark.parametrize("name", sorted(BASES))
def test_unmutated_fixtures_are_read(name: str) -> None:
    manifest = decode_manifest(BASES[name], name)
    assert manifest.sources and manifest.nodes
    _use(manifest)


@settings(max_examples=examples(100), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_manifest_is_a_manifest_error_or_a_result(data: bytes) -> None:
    try:
        manifest = decode_manifest(data, "target/manifest.json")
    except ManifestError as exc:
        assert "\n" not in str(exc) and str(exc)
        return
    doc = json.loads(data)
    assert set(manifest.sources) <= set(doc.get("sources") or {})
    assert set(manifest.nodes) <= set(doc.get("nodes") or {})
    try:
        _use(manifest)
    except ArmorError as exc:
        assert "\n" not in str(exc)


@settings(max_examples=examples(60), deadline=None)
@given(st.sampled_from(sorted(BASES)), st.floats(0.0, 0.999))
def test_truncated_manifest_is_a_one_line_manifest_error(name: str, fraction: float) -> None:
    data = BASES[name]
    with pytest.raises(ManifestError) as info:
        decode_manifest(data[: int(len(data) * fraction)], name)
    assert "\n" not in str(info.value)


def test_wrong_type_before_a_truncation_is_a_manifest_error() -> None:
    """A value of the wrong type, then the file ends: found by the mutation property."""
    doc = json.loads(BASES["v11_snowflake.json"])
    first = next(iter(doc["nodes"].values()))
    first["fqn"] = [None]
    data = json.dumps(doc).encode()
    cut = data.index(b"[null]") + len(b"[null]") + 10
    with pytest.raises(ManifestError):
        decode_manifest(data[:cut], "target/manifest.json")


def test_a_number_then_garbage_is_a_manifest_error() -> None:
    with pytest.raises(ManifestError):
        decode_manifest(b"0\x00", "target/manifest.json")


@settings(max_examples=examples(50), deadline=None)
@given(st.binary(max_size=64))
def test_random_bytes_are_a_manifest_error(data: bytes) -> None:
    with pytest.raises(ManifestError):
        decode_manifest(data)
