"""DBT_ARMOR_RESULTS chunking, the child environment without secrets, and dbt argv splitting."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from examples_budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from dbt_armor.dbt import child_env, join_results, results_env, split_args
from dbt_armor.dbt.env import CHUNK_BYTES, raise_stack_limit
from dbt_armor.dbt.selection import parse_ls_lines, selection_from_rows
from dbt_armor.errors import DbtError

KEY = "aa_live_emulator_readwrite_000000000000000000000000"


def big_results(n_sources: int) -> str:
    sources = {
        f"source.armor_shop.raw.table_{i:05d}": {
            "qn": f"warehouse.warehouse.raw.table_{i:05d}",
            "status": "fresh",
            "outcome": "pass",
            "hours": 1.5,
            "threshold": 24.0,
            "last_updated": "2026-11-25T11:30:00Z",
            "reasons": ["fresh: 1.5h <= 24.0h"],
        }
        for i in range(n_sources)
    }
    doc = {"version": 1, "decision": "pass", "mode": "block", "sources": sources}
    return json.dumps(doc, separators=(",", ":"))


def test_small_results_are_one_variable() -> None:
    text = big_results(3)
    assert results_env(text) == {"DBT_ARMOR_RESULTS": text}


def test_large_results_are_chunked_under_the_limit_and_join_back() -> None:
    text = big_results(2_000)
    env = results_env(text)
    header = json.loads(env["DBT_ARMOR_RESULTS"])
    assert header == {"version": 1, "chunks": len(env) - 1}
    assert header["chunks"] > 1
    assert all(len(v.encode()) <= CHUNK_BYTES for v in env.values())
    assert join_results(env) == text


@settings(max_examples=examples(60), deadline=None)
@given(st.text(min_size=0, max_size=400), st.integers(min_value=4, max_value=50))
def test_chunks_never_split_a_utf8_character(text: str, size: int) -> None:
    env = results_env(text, chunk_bytes=size)
    assert join_results(env) == text
    for name, value in env.items():
        if name != "DBT_ARMOR_RESULTS":
            assert len(value.encode()) <= size


def test_ten_thousand_sources_reach_a_child_process_intact() -> None:
    text = big_results(10_000)
    assert len(text) > 2_000_000  # more than the default ARG_MAX of an 8 MiB stack
    env = child_env({"PATH": "/usr/bin:/bin"}, results_env(text))
    script = (
        "import os, sys, json\n"
        "h = json.loads(os.environ['DBT_ARMOR_RESULTS'])\n"
        "t = ''.join(os.environ[f'DBT_ARMOR_RESULTS_{i}'] for i in range(1, h['chunks'] + 1))\n"
        "sys.stdout.write(t)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        preexec_fn=raise_stack_limit,
    )
    assert done.stdout == text


def test_child_env_drops_the_api_key_and_stale_chunks() -> None:
    base = {
        "PATH": "/bin",
        "ARMOR_API_KEY": KEY,
        "COPY_OF_KEY": KEY,
        "DBT_ARMOR_RESULTS": "old",
        "DBT_ARMOR_RESULTS_7": "old chunk",
        "DBT_ARMOR_RESULTS_DIR": "kept",
    }
    env = child_env(base, {"DBT_ARMOR_RESULTS": "{}"})
    assert env == {"PATH": "/bin", "DBT_ARMOR_RESULTS_DIR": "kept", "DBT_ARMOR_RESULTS": "{}"}
    assert KEY not in repr(env)


def test_child_env_refuses_to_pass_a_secret() -> None:
    with pytest.raises(DbtError, match="API key"):
        child_env({"ARMOR_API_KEY": KEY}, {"DBT_ARMOR_RESULTS": f'{{"k": "{KEY}"}}'})
    with pytest.raises(DbtError):
        child_env({}, {"X": "token-123"}, extra_secrets=["token-123"])


def test_split_args_forwards_selection_and_project_flags_only() -> None:
    args = split_args(
        "run",
        [
            "-s",
            "+fct_orders",
            "tag:mart",
            "--exclude=stg_payments",
            "--full-refresh",
            "--threads",
            "4",
            "-t",
            "prod",
            "--vars",
            "{day: 1}",
            "--state",
            "prod-artifacts",
            "--defer",
            "--fail-fast",
            "--target-path",
            "out",
        ],
    )
    assert args.parse_args == ("--target", "prod", "--vars", "{day: 1}", "--target-path", "out")
    assert args.select_args == (
        *args.parse_args,
        "--select",
        "+fct_orders",
        "tag:mart",
        "--exclude",
        "stg_payments",
        "--state",
        "prod-artifacts",
        "--defer",
    )
    assert args.resource_types == ("model",)
    assert (args.target, args.target_path) == ("prod", "out")
    assert "--threads" not in args.ls_args() and "--full-refresh" not in args.ls_args()
    assert args.ls_args()[-2:] == ["--resource-type", "model"]


@pytest.mark.parametrize(
    ("command", "argv", "expected"),
    [
        ("run", [], ("model",)),
        ("build", [], ("model", "seed", "snapshot")),
        ("seed", ["--full-refresh"], ("seed",)),
        ("snapshot", [], ("snapshot",)),
        ("build", ["--resource-type", "seed", "test"], ("seed",)),
        ("build", ["--resource-type", "test"], ()),
    ],
)
def test_resource_types_follow_the_command(
    command: str, argv: list[str], expected: tuple[str, ...]
) -> None:
    assert split_args(command, argv).resource_types == expected


def test_ls_lines_skip_noise_and_build_selectors() -> None:
    lines = [
        "13:00:00  Running with dbt=1.11.16",
        '{"unique_id": "model.p.b", "resource_type": "model", "fqn": ["p", "marts", "b"]}',
        "{not json",
        '{"unique_id": "model.p.a", "resource_type": "model"}',
        '["a list"]',
    ]
    rows = parse_ls_lines(lines)
    assert [r["unique_id"] for r in rows] == ["model.p.b", "model.p.a"]
    selection = selection_from_rows(rows, ["p.staging.a", "p.marts.b"])
    assert selection.selectors == {"model.p.a": "p.staging.a", "model.p.b": "p.marts.b"}
    assert not selection.empty and selection.warning is None
    empty = selection_from_rows([])
    assert empty.empty and empty.warning is not None
