"""Shared fixtures for the sync unit tests: the hand-made catalogue manifest, translated once."""

from __future__ import annotations

import pytest
from sync_helpers import FIXTURES

from dbt_armor.project import Manifest, NameResolver, load_manifest
from dbt_armor.sync.specs import Translation
from dbt_armor.sync.translate import translate


@pytest.fixture(scope="session")
def catalogue() -> Manifest:
    return load_manifest(FIXTURES / "sync_catalogue.json")


@pytest.fixture(scope="session")
def translation(catalogue: Manifest) -> Translation:
    resolver = NameResolver(catalogue, target="dev", data_sources={"*": "warehouse"})
    return translate(catalogue, resolver.resolve)
