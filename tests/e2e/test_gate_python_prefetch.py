"""``dbt_armor.gate()`` with dbt in the process reads what the last call gated while dbt parses,
as the CLI does, and still decides on the platform's state at the time of the call."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from project_copy import DbtProject
from shop import Shop, open_shop

import dbt_armor
from dbt_armor.emulator.config import DEFAULT_READWRITE_KEY
from dbt_armor.gate import public
from dbt_armor.gate.prefetch import Prefetch

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def shop(dbt_project: DbtProject, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    project = dbt_project.clone(tmp_path_factory.mktemp("python_gate") / "shop")
    with open_shop(project, seed=7) as shop:
        yield shop


def test_the_python_gate_prefetches_during_the_parse(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in shop.project.env({"ARMOR_API_KEY": DEFAULT_READWRITE_KEY}).items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(shop.project.path)
    calls: list[str] = []
    real_start, real_prepare = Prefetch.start, public.prepare

    def start(*args: Any, **kwargs: Any) -> Prefetch:
        calls.append("prefetch")
        return real_start(*args, **kwargs)

    def prepare(*args: Any, **kwargs: Any) -> Any:
        calls.append("prepare")
        return real_prepare(*args, **kwargs)

    monkeypatch.setattr(Prefetch, "start", start)
    monkeypatch.setattr(public, "prepare", prepare)

    def gate() -> Any:
        return dbt_armor.gate(
            shop.project.path,
            profiles_dir=shop.project.profiles_dir,
            command="run",
            api_url=shop.server.api_url,
            deadline=60,
        )

    shop.ages()
    first = gate()
    assert (first.outcome.value, first.exit_code) == ("pass", 0)
    assert calls == ["prepare"], "nothing was gated before: nothing to read early"
    calls.clear()
    second = gate()
    assert calls == ["prefetch", "prepare"], "the reads start before dbt parses"
    assert (second.outcome.value, second.exit_code) == ("pass", 0)
    calls.clear()
    shop.ages(orders=40)  # stale now: the early reads see the platform as it is at the call
    third = gate()
    assert calls == ["prefetch", "prepare"]
    assert (third.outcome.value, third.exit_code) == ("block", 3)
    shop.ages()
