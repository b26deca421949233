"""Exit codes are chosen in one place: commands return typed outcomes, ``errors`` maps them to
codes, and only ``cli/main.py`` ends the process. An AST scan keeps new literal codes out."""

from __future__ import annotations

import ast
from pathlib import Path

import click
import pytest

import dbt_armor
from dbt_armor.cli import main as cli_main
from dbt_armor.errors import (
    CommandOutcome,
    ExitCode,
    GateOutcome,
    exit_code_for,
    process_exit_code,
)

PACKAGE = Path(dbt_armor.__file__).resolve().parent
CLI = PACKAGE / "cli"
EXIT_CALLS = frozenset({"exit", "_exit", "SystemExit", "Exit"})


def _int_values(node: ast.expr | None) -> list[ast.Constant]:
    """Int literals an expression can evaluate to (through ``a if c else b`` and ``a or b``)."""
    if isinstance(node, ast.Constant):
        is_int = isinstance(node.value, int) and not isinstance(node.value, bool)
        return [node] if is_int else []
    if isinstance(node, ast.IfExp):
        return _int_values(node.body) + _int_values(node.orelse)
    if isinstance(node, ast.BoolOp):
        return [c for value in node.values for c in _int_values(value)]
    if isinstance(node, ast.UnaryOp):
        return _int_values(node.operand)
    return []


def _callee(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def literal_exit_codes(source: str) -> list[str]:
    """Where ``source`` returns or exits with a literal integer, or names ExitCode itself."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Return):
            found += [f"line {c.lineno}: return {c.value}" for c in _int_values(node.value)]
        elif isinstance(node, ast.Call) and _callee(node) in EXIT_CALLS:
            for arg in node.args:
                found += [f"line {c.lineno}: {_callee(node)}({c.value})" for c in _int_values(arg)]
        elif isinstance(node, ast.Name) and node.id == "ExitCode":
            found.append(f"line {node.lineno}: ExitCode (return an outcome instead)")
        elif isinstance(node, ast.alias) and node.name == "ExitCode":
            found.append("imports ExitCode (return an outcome instead)")
    return found


def test_the_scan_finds_literal_codes() -> None:
    source = (
        "def f(x):\n"
        "    if x:\n"
        "        return 1 if x > 2 else 0\n"
        "    raise SystemExit(3)\n"
        "def g(ctx):\n"
        "    ctx.exit(4)\n"
        "    sys.exit(ExitCode.USAGE)\n"
        "def h(values):\n"
        "    return {'n': 2}, values[0], round(1.5, 1)\n"
    )
    found = literal_exit_codes(source)
    assert found == [
        "line 3: return 1",
        "line 3: return 0",
        "line 4: SystemExit(3)",
        "line 6: exit(4)",
        "line 7: ExitCode (return an outcome instead)",
    ]


@pytest.mark.parametrize("path", sorted(CLI.glob("*.py")), ids=lambda p: p.name)
def test_no_command_picks_its_own_exit_integer(path: Path) -> None:
    assert literal_exit_codes(path.read_text(encoding="utf-8")) == [], (
        f"{path.name}: return a CommandOutcome and add its code to errors._OUTCOME_EXIT"
    )


# the entry points: ours, and the driver dbt's own Python runs (it exits with dbt's code)
ENTRY_POINTS = ("cli/main.py:", "dbt/driver.py:")


def test_only_the_entry_point_ends_the_process() -> None:
    enders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and _callee(node) in {"exit", "_exit", "SystemExit"}:
                enders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert enders and all(e.startswith(ENTRY_POINTS) for e in enders), enders


def test_every_outcome_has_a_documented_code() -> None:
    documented = {0, 1, 2, 3, 4, 130}
    for outcome in [*GateOutcome, *CommandOutcome]:
        assert int(exit_code_for(outcome)) in documented, outcome
    assert exit_code_for(CommandOutcome.DRIFT) == 1 == exit_code_for(CommandOutcome.FINDINGS)
    assert exit_code_for(CommandOutcome.MERGE_BLOCKED) == 3 == exit_code_for(GateOutcome.BLOCK)
    assert exit_code_for(CommandOutcome.UNREACHABLE) == 4
    assert exit_code_for(GateOutcome.UNAVAILABLE) == 4
    assert exit_code_for(CommandOutcome.USAGE) == ExitCode.USAGE == 2


def test_what_a_command_returns_becomes_the_process_code() -> None:
    assert process_exit_code(CommandOutcome.DRIFT) == 1
    assert process_exit_code(GateOutcome.NOT_CONFIGURED) == 2
    assert process_exit_code(5) == 5  # dbt's own code passes through when dbt ran
    assert process_exit_code(None) == 0


def test_an_interrupt_exits_130(monkeypatch: pytest.MonkeyPatch) -> None:
    @click.command()
    def interrupted() -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_main.LazyGroup, "get_command", lambda self, ctx, name: interrupted)
    with pytest.raises(SystemExit) as ended:
        cli_main.main(["doctor"])
    assert ended.value.code == 130
