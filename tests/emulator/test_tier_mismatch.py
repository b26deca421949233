"""A client configured for a higher tier than its key (issue 13, item 5), over HTTP against an
emulator whose key is on the growth tier (500/min, 25/s): the client drops to the server's rate
after the first answer, so four threads in a hurry meet (almost) no 429."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from dbt_armor.api import ArmorClient
from dbt_armor.emulator import ApiKey, EmulatorConfig, EmulatorServer

KEY = "aa_test_growth_tier_key_00000000000000000000"
REQUESTS = 60


def test_enterprise_setting_on_a_growth_key_converges_at_the_servers_rate(
    caplog: pytest.LogCaptureFixture,
) -> None:
    key = ApiKey(KEY, "read-write", "growth")
    with (
        EmulatorServer(EmulatorConfig(port=0, keys=[key])) as emu,
        ArmorClient(
            KEY, emu.api_url, allow_http=True, rate_limit_per_min=5000, burst=100, max_retries=8
        ) as client,
        caplog.at_level(logging.WARNING, logger="dbt_armor.api"),
    ):
        left = iter(range(REQUESTS))
        lock = threading.Lock()

        def work() -> None:
            while True:
                with lock:
                    if next(left, None) is None:
                        return
                client.freshness.summary()

        started = time.monotonic()
        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        elapsed = time.monotonic() - started
        refused = sum(1 for e in emu.app.request_log() if e.get("status") == 429)
    assert refused <= 2, refused
    assert client.limiter is not None and client.limiter.published == (500, 25)
    # the bucket the server's tier allows (15 at once), then 0.95 * 500/min
    assert elapsed >= (REQUESTS - 15 - 4) / (0.95 * 500 / 60), elapsed
    warnings = [r.getMessage() for r in caplog.records if "tier growth" in r.getMessage()]
    assert len(warnings) == 1
