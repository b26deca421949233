"""evaluate(): on_api_error modes, cache fallback and skip-mode exit codes, with a MockTransport."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import httpx
from gate_helpers import NOW, info

from dbt_armor.api.client import ArmorClient
from dbt_armor.gate.engine import GateResult, evaluate
from dbt_armor.gate.fetch import FetchTarget
from dbt_armor.gate.policy import Policy, RunOptions

KEY = "aa_live_enginetest_000000000000000000000000000"
STALE = {"orders"}


def _ok(request: httpx.Request) -> httpx.Response:
    name = request.url.path.rsplit("/", 1)[1]
    if request.url.path.startswith("/api/v1/sdk/freshness/"):
        table = name.rsplit(".", 1)[1]
        stale = table in STALE
        return httpx.Response(
            200,
            json={
                "data": {
                    "qualified_name": name,
                    "status": "stale" if stale else "fresh",
                    "hours_since_update": 30.0 if stale else 1.0,
                    "threshold_hours": 24,
                }
            },
        )
    return httpx.Response(200, json={"data": [], "pagination": {"total": 0, "has_more": False}})


def _down(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused")


def _client(handler: object) -> ArmorClient:
    return ArmorClient(
        KEY,
        "https://armor.test/api/v1",
        transport=httpx.MockTransport(handler),  # type: ignore[arg-type]
        sleep=lambda s: None,
        max_retries=1,
        retry_budget=1.0,
    )


def _run(handler: object, tmp: Path, at: datetime = NOW, **opts: object) -> GateResult:
    infos = {i.unique_id: i for i in (info("orders"), info("customers"))}
    targets = [
        FetchTarget(i.unique_id, i.qualified_name, "warehouse", "demo.raw." + n)
        for n, i in (
            ("orders", infos["source.pkg.raw.orders"]),
            ("customers", infos["source.pkg.raw.customers"]),
        )
    ]
    children = {
        "source.pkg.raw.orders": {"model.pkg.stg_orders", "model.pkg.fct"},
        "source.pkg.raw.customers": {"model.pkg.stg_customers", "model.pkg.fct"},
    }
    return evaluate(
        infos=infos,
        policies={k: Policy() for k in infos},
        targets=targets,
        selected=frozenset({"model.pkg.stg_orders", "model.pkg.stg_customers", "model.pkg.fct"}),
        options=RunOptions(**opts),  # type: ignore[arg-type]
        client=_client(handler),
        now=lambda: at,
        target_dir=tmp,  # type: ignore[arg-type,return-value]
        descendants=lambda ids: set().union(*(children[i] for i in ids)),
        selectors={"model.pkg.stg_orders": "pkg.staging.stg_orders", "model.pkg.fct": "pkg.fct"},
    )


def test_block_and_skip_modes(tmp_path: Path) -> None:
    r = _run(_ok, tmp_path)
    assert (r.label, r.exit_code) == ("block", 3)
    s = _run(_ok, tmp_path, mode="skip")
    assert s.exit_code == 0
    assert s.skipped == ["model.pkg.fct", "model.pkg.stg_orders"]
    assert s.skipped_selectors == ["pkg.fct", "pkg.staging.stg_orders"]
    assert '"blocked_nodes":["model.pkg.fct","model.pkg.stg_orders"]' in s.results_json
    assert KEY not in s.results_json and KEY not in str(s.artifact)


def test_api_down_fail_open_and_cached(tmp_path: Path) -> None:
    fail = _run(_down, tmp_path / "a")
    assert (fail.label, fail.exit_code, fail.facts_from) == ("error", 4, "none")
    opened = _run(_down, tmp_path / "a", on_api_error="open")
    assert (opened.label, opened.exit_code) == ("warn", 0)
    # no cache yet: cached behaves like fail
    assert _run(_down, tmp_path / "b", on_api_error="cached").exit_code == 4
    _run(_ok, tmp_path / "b")  # a good fetch fills the cache
    later = NOW + timedelta(hours=1)
    cached = _run(_down, tmp_path / "b", at=later, on_api_error="cached")
    assert (cached.facts_from, cached.label, cached.exit_code) == ("cache", "block", 3)
    expired = _run(_down, tmp_path / "b", at=NOW + timedelta(hours=7), on_api_error="cached")
    assert expired.exit_code == 4
