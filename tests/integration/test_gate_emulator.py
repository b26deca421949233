"""The gate's platform reads and decisions against the real emulator: freshness states, failing
rules and checks, each on_api_error mode with the platform down, 429/5xx storms within the
time budget, and the API key absent from every output.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from gate_project import (
    DATA_SOURCE,
    NOW,
    control,
    fault,
    gate,
    manifest_doc,
    model_id,
    outcomes,
    prepare,
    register,
    set_freshness,
    source_id,
)

from dbt_armor.api import ArmorClient
from dbt_armor.api.models.quality import ReferentialCheckCreate, ValidityRuleCreate
from dbt_armor.emulator import EmulatorConfig, EmulatorServer
from dbt_armor.errors import AuthenticationError, ExitCode

TABLES = ["orders", "customers", "payments", "events", "refunds"]  # > 3: the list strategy


def _all_fresh(emulator: EmulatorServer, tables: list[str] = TABLES) -> None:
    register(emulator, tables)
    for t in tables:
        set_freshness(emulator, t, "fresh", 2.0)


@pytest.fixture()
def closed_url() -> str:
    """An API URL on a loopback port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/v1"


@pytest.fixture()
def down_client(closed_url: str, api_key: str) -> Iterator[ArmorClient]:
    with ArmorClient(api_key=api_key, base_url=closed_url, max_retries=1, retry_budget=2) as c:
        yield c


# ---------------------------------------------------------------- freshness


@pytest.mark.parametrize("tables", [TABLES[:2], TABLES], ids=["per-asset-get", "list"])
def test_fresh_passes_and_stale_blocks(
    emulator: EmulatorServer, client: ArmorClient, tmp_path: Path, tables: list[str]
) -> None:
    _all_fresh(emulator, tables)
    prepared = prepare(tmp_path, manifest_doc(tables))
    result = gate(prepared, client)
    assert (result.label, result.exit_code) == ("pass", 0)
    assert set(outcomes(result).values()) == {"pass"}
    assert (tmp_path / "target" / "armor_gate.json").is_file()

    set_freshness(emulator, tables[1], "stale", 30.0)
    result = gate(prepared, client)
    assert (result.label, result.exit_code) == ("block", int(ExitCode.BLOCKED))
    assert outcomes(result)[source_id(tables[1])] == "block"
    assert outcomes(result)[source_id(tables[0])] == "pass"
    reason = result.decision.blocked[0].reasons[0]
    assert reason.key == "stale" and "30 h old (threshold 24 h)" in reason.message


def test_skip_mode_skips_only_the_stale_branch(
    emulator: EmulatorServer, client: ArmorClient, tmp_path: Path
) -> None:
    _all_fresh(emulator)
    set_freshness(emulator, "orders", "stale", 48.0)
    prepared = prepare(tmp_path, manifest_doc(TABLES))
    result = gate(prepared, client, overrides={"mode": "skip"})
    assert result.exit_code == 0  # other models still run
    assert result.skipped == [model_id("orders")]
    skipped = (tmp_path / "target" / "armor_skipped.txt").read_text().split()
    assert skipped == ["shop.staging.stg_orders"]


def test_max_age_overrides_the_platform_threshold(
    emulator: EmulatorServer, client: ArmorClient, tmp_path: Path
) -> None:
    _all_fresh(emulator)
    set_freshness(emulator, "events", "fresh", 10.0)
    prepared = prepare(tmp_path, manifest_doc(TABLES))
    assert gate(prepared, client).label == "pass"
    result = gate(prepared, client, overrides={}, flags=["max_age=6"])
    assert outcomes(result)[source_id("events")] == "block"
    assert result.label == "block"


@pytest.mark.parametrize(
    ("status", "flags", "expected"),
    [
        ("unknown", [], "warn"),
        ("unknown", ["unknown=error"], "block"),
        ("unknown", ["unknown=off"], "pass"),
        ("disabled", [], "warn"),
        ("disabled", ["disabled=error"], "block"),
        ("not_monitored", [], "warn"),
        ("not_monitored", ["not_monitored=error"], "block"),
        ("not_monitored", ["not_monitored=off"], "pass"),
    ],
)
@pytest.mark.parametrize("tables", [TABLES[:2], TABLES], ids=["per-asset-get", "list"])
def test_no_verdict_states_follow_policy(
    emulator: EmulatorServer,
    client: ArmorClient,
    tmp_path: Path,
    tables: list[str],
    status: str,
    flags: list[str],
    expected: str,
) -> None:
    odd = tables[-1]
    _all_fresh(emulator, tables[:-1])
    if status != "not_monitored":  # not registered at all: a 404 / absent from the list
        register(emulator, [odd])
        control(
            emulator,
            "freshness",
            {"qualified_name": f"{DATA_SOURCE}.demo.raw.{odd}", "status": status},
        )
    result = gate(prepare(tmp_path, manifest_doc(tables)), client, flags=flags)
    decision = {d.info.unique_id: d for d in result.decision.sources}[source_id(odd)]
    assert decision.fact.status == status
    assert decision.outcome.value == expected
    assert result.label == expected


def test_policy_in_source_meta_is_applied(
    emulator: EmulatorServer, client: ArmorClient, tmp_path: Path
) -> None:
    _all_fresh(emulator, TABLES[:-1])
    meta = {"refunds": {"armor": {"gate": {"not_monitored": "error"}}}}
    result = gate(prepare(tmp_path, manifest_doc(TABLES, meta)), client)
    assert outcomes(result)[source_id("refunds")] == "block"
    # a model-level policy cannot relax it, a run flag can
    assert (
        gate(
            prepare(tmp_path, manifest_doc(TABLES, meta)), client, flags=["not_monitored=warn"]
        ).label
        == "warn"
    )


# ---------------------------------------------------------------- rules and checks


def _failing_rule(client: ArmorClient, emulator: EmulatorServer, table: str, severity: str) -> str:
    spec = ValidityRuleCreate(
        rule_type="NOT_NULL",
        table_path=f"demo.raw.{table}",
        column_name="id",
        severity=severity,
        name=f"{table}_id_not_null_{severity}",
    )
    rule = client.validity.create(DATA_SOURCE, spec)
    control(emulator, "outcome", {"id": rule.uuid, "status": "fail", "invalid_count": 3})
    assert client.validity.check(DATA_SOURCE, rule.uuid).status == "fail"
    return str(rule.uuid)


@pytest.mark.parametrize(
    ("severity", "expected"),
    [("critical", "block"), ("error", "block"), ("warning", "warn"), ("info", "pass")],
)
def test_failing_validity_rule_by_severity(
    emulator: EmulatorServer, client: ArmorClient, tmp_path: Path, severity: str, expected: str
) -> None:
    _all_fresh(emulator)
    _failing_rule(client, emulator, "orders", severity)
    result = gate(prepare(tmp_path, manifest_doc(TABLES)), client)
    got = outcomes(result)
    assert got[source_id("orders")] == expected
    assert {v for k, v in got.items() if k != source_id("orders")} == {"pass"}
    assert result.label == expected


def test_passing_or_inactive_rule_does_not_block(
    emulator: EmulatorServer, client: ArmorClient, tmp_path: Path
) -> None:
    _all_fresh(emulator)
    uuid = _failing_rule(client, emulator, "orders", "critical")
    prepared = prepare(tmp_path, manifest_doc(TABLES))
    assert gate(prepared, client).label == "block"
    client.validity.update(DATA_SOURCE, uuid, is_active=False)
    assert gate(prepared, client).label == "pass"
    client.validity.update(DATA_SOURCE, uuid, is_active=True)
    control(emulator, "outcome", {"id": uuid, "status": "pass"})
    client.validity.check(DATA_SOURCE, uuid)
    assert gate(prepared, client).label == "pass"


def test_failing_referential_check_blocks_the_child(
    emulator: EmulatorServer, client: ArmorClient, tmp_path: Path
) -> None:
    _all_fresh(emulator)
    spec = ReferentialCheckCreate(
        child_table_path="demo.raw.payments",
        child_column_name="order_id",
        parent_table_path="demo.raw.orders",
        parent_column_name="id",
        name="payments_order_fk",
    )
    check = client.referential.create(DATA_SOURCE, spec)
    control(emulator, "outcome", {"id": check.id, "status": "fail", "invalid_count": 2})
    assert client.referential.execute(DATA_SOURCE, check.id).status == "fail"
    prepared = prepare(tmp_path, manifest_doc(TABLES))
    result = gate(prepared, client)
    got = outcomes(result)
    assert got[source_id("payments")] == "block"
    assert got[source_id("orders")] == "pass"  # the parent is not blamed
    assert result.decision.blocked[0].reasons[0].key == "referential"
    assert gate(prepared, client, flags=["referential=warn"]).label == "warn"


def test_facts_computed_from_a_duckdb_warehouse(tmp_path: Path, api_key: str) -> None:
    """Freshness and a NOT_NULL rule evaluated by the emulator on a real DuckDB file."""
    import duckdb

    db = tmp_path / "demo.duckdb"
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    with duckdb.connect(str(db)) as con:
        con.execute("create schema raw")
        con.execute("create table raw.orders (id integer, _loaded_at timestamp)")
        con.execute(
            "insert into raw.orders values (1, ?), (null, ?)", [now - timedelta(hours=30)] * 2
        )
        con.execute("create table raw.customers (id integer, _loaded_at timestamp)")
        con.execute("insert into raw.customers values (1, ?)", [now - timedelta(hours=1)])
    server = EmulatorServer(EmulatorConfig(port=0, warehouse=db, seed=1)).start()
    try:
        for t in ("orders", "customers"):
            server.state.add_table(DATA_SOURCE, "demo", "raw", t, freshness_column="_loaded_at")
        with ArmorClient(api_key=api_key, base_url=server.api_url) as c:
            prepared = prepare(tmp_path / "p", manifest_doc(["orders", "customers"]))
            at = datetime.now(timezone.utc)
            result = gate(prepared, c, now=at)
            facts = {d.info.unique_id: d.fact for d in result.decision.sources}
            assert facts[source_id("orders")].status == "stale"
            assert 29.9 < (facts[source_id("orders")].hours_since_update or 0) < 30.5
            assert facts[source_id("customers")].status == "fresh"
            assert outcomes(result)[source_id("orders")] == "block"

            spec = ValidityRuleCreate(
                rule_type="not_null",
                table_path="raw.customers",
                column_name="id",
                severity="critical",
            )
            rule = c.validity.create(DATA_SOURCE, spec)
            assert c.validity.check(DATA_SOURCE, rule.uuid).status == "pass"
            result = gate(prepared, c, now=at, flags=["stale=warn"])
            assert result.label == "warn"
            spec = ValidityRuleCreate(
                rule_type="not_null", table_path="raw.orders", column_name="id", severity="critical"
            )
            rule = c.validity.create(DATA_SOURCE, spec)
            assert c.validity.check(DATA_SOURCE, rule.uuid).status == "fail"  # the NULL row
            result = gate(prepared, c, now=at, flags=["stale=warn"])
            assert outcomes(result)[source_id("orders")] == "block"
            keys = {r.key for r in result.decision.blocked[0].reasons}
            assert keys == {"stale", "validity_critical"}
    finally:
        server.stop()


# ---------------------------------------------------------------- platform down


def test_platform_down_fail_mode_exits_4(down_client: ArmorClient, tmp_path: Path) -> None:
    result = gate(prepare(tmp_path, manifest_doc(TABLES)), down_client)
    assert (result.label, result.exit_code) == ("error", int(ExitCode.PLATFORM_UNAVAILABLE))
    assert result.facts_from == "none" and result.api_error
    assert result.blocked
    doc = (tmp_path / "target" / "armor_gate.json").read_text()
    assert '"exit_code": 4' in doc or '"exit_code":4' in doc


def test_platform_down_open_mode_warns_and_runs(down_client: ArmorClient, tmp_path: Path) -> None:
    result = gate(
        prepare(tmp_path, manifest_doc(TABLES)), down_client, overrides={"on_api_error": "open"}
    )
    assert (result.label, result.exit_code) == ("warn", 0)
    assert not result.blocked and result.facts_from == "none"
    assert result.note and "on_api_error=open" in result.note


def test_platform_down_cached_mode_uses_last_known_good_within_ttl(
    emulator: EmulatorServer, client: ArmorClient, down_client: ArmorClient, tmp_path: Path
) -> None:
    _all_fresh(emulator)
    set_freshness(emulator, "orders", "stale", 40.0)
    prepared = prepare(tmp_path, manifest_doc(TABLES))
    live = gate(prepared, client)
    assert live.label == "block" and live.facts_from == "platform"

    opts = {"on_api_error": "cached", "cache_ttl": 6}
    cached = gate(prepared, down_client, overrides=opts, now=NOW + timedelta(hours=5))
    assert cached.facts_from == "cache"
    assert (cached.label, cached.exit_code) == ("block", int(ExitCode.BLOCKED))
    assert outcomes(cached) == outcomes(live)

    expired = gate(prepared, down_client, overrides=opts, now=NOW + timedelta(hours=7))
    assert (expired.label, expired.exit_code) == ("error", int(ExitCode.PLATFORM_UNAVAILABLE))
    assert expired.facts_from == "none"


def test_cached_mode_without_a_cache_fails(down_client: ArmorClient, tmp_path: Path) -> None:
    result = gate(
        prepare(tmp_path, manifest_doc(TABLES)), down_client, overrides={"on_api_error": "cached"}
    )
    assert result.exit_code == int(ExitCode.PLATFORM_UNAVAILABLE)


def test_stopped_emulator_is_platform_unavailable(api_key: str, tmp_path: Path) -> None:
    server = EmulatorServer(EmulatorConfig(port=0)).start()
    url = server.api_url
    server.stop()
    with ArmorClient(api_key=api_key, base_url=url, max_retries=1, retry_budget=2) as c:
        result = gate(prepare(tmp_path, manifest_doc(TABLES)), c)
    assert result.exit_code == int(ExitCode.PLATFORM_UNAVAILABLE)


def test_slow_platform_hits_the_deadline(
    emulator: EmulatorServer, client: ArmorClient, tmp_path: Path
) -> None:
    _all_fresh(emulator)
    fault(emulator, match="GET /api/v1/sdk/*", latency_ms=3000, count=None, expires_in_s=5)
    started = time.monotonic()
    result = gate(prepare(tmp_path, manifest_doc(TABLES)), client, overrides={"deadline": 0.5})
    assert time.monotonic() - started < 2.5
    assert result.exit_code == int(ExitCode.PLATFORM_UNAVAILABLE)
    assert result.api_error and "deadline" in result.api_error


def test_wrong_key_is_a_configuration_error(emulator: EmulatorServer, tmp_path: Path) -> None:
    key = "aa_live_not_a_known_key_00000000"
    with (
        ArmorClient(api_key=key, base_url=emulator.api_url) as c,
        pytest.raises(AuthenticationError),
    ):
        gate(prepare(tmp_path, manifest_doc(TABLES)), c)


# ---------------------------------------------------------------- storms


@pytest.mark.parametrize(
    "spec",
    [
        {"status": 429, "retry_after": 1, "count": 2},
        {"status": 429, "retry_after_date": "1", "count": 2},
        {"status": 503, "count": 3},
        {"status": 502, "html": True, "count": 2},
    ],
    ids=["429-seconds", "429-http-date", "503-burst", "502-html"],
)
def test_storms_still_reach_the_right_decision_in_budget(
    emulator: EmulatorServer, client: ArmorClient, tmp_path: Path, spec: dict[str, Any]
) -> None:
    tables = TABLES + [f"extra_{i}" for i in range(6)]
    _all_fresh(emulator, tables)
    set_freshness(emulator, "customers", "stale", 50.0)
    _failing_rule(client, emulator, "payments", "error")
    prepared = prepare(tmp_path, manifest_doc(tables))
    expected = outcomes(gate(prepared, client))
    emulator.app.clear_request_log()

    fault(emulator, match="GET /api/v1/sdk/*", **spec)
    budget = 8.0
    started = time.monotonic()
    result = gate(prepared, client, overrides={"deadline": budget})
    elapsed = time.monotonic() - started
    assert elapsed < budget
    assert result.api_error is None and result.facts_from == "platform"
    assert outcomes(result) == expected
    assert result.label == "block"
    statuses = [e.get("status") for e in emulator.app.request_log() if e["path"].startswith("/api")]
    assert statuses.count(spec["status"]) == spec["count"]  # the storm really happened


# ---------------------------------------------------------------- the key never leaks


def _outputs(result: Any, out: Path) -> dict[str, str]:
    """Every report the gate can produce for ``result``, rendered as the CLI would."""
    import io

    from rich.console import Console

    from dbt_armor.report.annotations import render_annotations
    from dbt_armor.report.console import render_console
    from dbt_armor.report.junit import render_junit
    from dbt_armor.report.markdown import render_markdown

    buf = io.StringIO()
    render_console(
        Console(file=buf, width=200),
        result.decision,
        mode=result.options.mode,
        skipped=result.skipped,
        note=result.note,
    )
    texts = {
        "console": buf.getvalue(),
        "junit": render_junit(result.decision),
        "markdown": render_markdown(
            result.decision, mode=result.options.mode, skipped=result.skipped
        ),
        "annotations": "\n".join(render_annotations(result.decision)),
        "results_json": result.results_json,
        "repr": repr(result) + str(result.note) + str(result.api_error),
    }
    texts.update({f"file:{p.name}": p.read_text() for p in out.rglob("*") if p.is_file()})
    return texts


def test_api_key_is_absent_from_every_output(
    emulator: EmulatorServer, client: ArmorClient, api_key: str, tmp_path: Path
) -> None:
    _all_fresh(emulator)
    set_freshness(emulator, "orders", "stale", 30.0)
    _failing_rule(client, emulator, "customers", "warning")
    secret_part = api_key[8:-4]  # whatever masking is used, this middle never appears
    seen: dict[str, str] = {}

    blocked = gate(
        prepare(tmp_path / "a", manifest_doc(TABLES)), client, overrides={"mode": "skip"}
    )
    assert blocked.label == "block" and blocked.skipped
    seen.update({f"block/{k}": v for k, v in _outputs(blocked, tmp_path / "a").items()})

    fault(emulator, match="GET /api/v1/sdk/*", status=500, count=None, expires_in_s=10)
    with ArmorClient(api_key=api_key, base_url=emulator.api_url, max_retries=1) as c:
        failed = gate(
            prepare(tmp_path / "b", manifest_doc(TABLES)), c, overrides={"on_api_error": "open"}
        )
    assert failed.api_error and failed.label == "warn"
    seen.update({f"5xx/{k}": v for k, v in _outputs(failed, tmp_path / "b").items()})

    assert "file:armor_gate.json" in " ".join(seen)
    assert "file:armor_gate_cache.json" in " ".join(seen)
    assert "file:armor_skipped.txt" in " ".join(seen)
    leaked = [name for name, text in seen.items() if secret_part in text]
    assert leaked == []
    assert secret_part not in repr(client)
    log = repr(emulator.app.request_log())
    assert "Bearer" not in log and secret_part not in log


def test_rule_and_check_lists_are_read_beside_the_freshness_probe(
    emulator: EmulatorServer, client: ArmorClient, tmp_path: Path
) -> None:
    _all_fresh(emulator)
    fault(emulator, match="GET /api/v1/sdk/*", latency_ms=1000, count=None, expires_in_s=10)
    emulator.app.clear_request_log()
    assert gate(prepare(tmp_path, manifest_doc(TABLES)), client).label == "pass"
    started = {e["path"].split("/")[4]: e["ts"] for e in emulator.app.request_log()}
    assert set(started) == {"freshness", "validity", "referential"}
    # each answer takes 1 s: all three began before the first could have been answered
    assert max(started.values()) - min(started.values()) < 0.8
