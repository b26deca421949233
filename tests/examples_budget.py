"""How many examples a property test draws: a quarter of its full count (at least 10) in
``make test``, the full count in ``make test-all`` (which sets ARMOR_TEST_EXAMPLES=full)."""

from __future__ import annotations

import os

FULL = os.environ.get("ARMOR_TEST_EXAMPLES") == "full"


def examples(full: int) -> int:
    """``full`` under make test-all; a quarter of it (at least 10) otherwise."""
    return full if FULL else max(10, full // 4)
