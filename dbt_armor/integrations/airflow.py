"""dbt-armor for Airflow: a gate operator that needs only a manifest (no dbt in the worker), and
a sensor (deferrable) that waits for late sources, both on the CLI's gate and exit semantics.

The API key comes from ARMOR_API_KEY in the worker's (or triggerer's) environment; it is never
an operator argument, a template field, an XCom value or part of a serialized trigger.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Any

try:  # Airflow 3
    from airflow.sdk import BaseOperator, BaseSensorOperator
    from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException
except ImportError:  # Airflow 2
    from airflow.exceptions import AirflowFailException, AirflowSkipException
    from airflow.models import BaseOperator
    from airflow.sensors.base import BaseSensorOperator
from airflow.triggers.base import BaseTrigger, TriggerEvent

from dbt_armor.gate.engine import GateResult
from dbt_armor.gate.wait import Backoff, waiting_for
from dbt_armor.integrations._gate import gate_on_manifest

XCOM_GATE = "armor_gate"  # armor_gate.json content
XCOM_RESULTS = "armor_results"  # DBT_ARMOR_RESULTS for a downstream dbt task


def run_gate(spec: Mapping[str, Any], log: Any = None) -> GateResult:
    """One gate evaluation from an operator's plain settings (``GateSpec`` keys)."""
    from dbt_armor.config import resolve_settings

    project = Path(spec["project_dir"]) if spec.get("project_dir") else None
    settings = resolve_settings({"api_url": spec.get("api_url")}, project_dir=project)
    settings.require_key()
    target_dir = spec.get("target_dir")
    return gate_on_manifest(
        spec["manifest_path"],
        select=list(spec.get("select") or ()),
        exclude=list(spec.get("exclude") or ()),
        command=spec.get("command") or "build",
        settings=settings,
        target=spec.get("target"),
        policy=spec.get("policy"),
        mode=spec.get("mode"),
        on_api_error=spec.get("on_api_error"),
        deadline=spec.get("deadline"),
        max_age=spec.get("max_age"),
        refresh=bool(spec.get("refresh")),
        target_dir=Path(target_dir) if target_dir else None,
        wait=spec.get("wait_for_fresh"),
        say=(log.info if log is not None else (lambda _: None)),
    )


def _summary(result: GateResult) -> str:
    lines = [f"dbt-armor gate: {result.label} (exit {result.exit_code})"]
    for d in result.decision.sources:
        reasons = "; ".join(r.message for r in d.reasons)
        lines.append(f"  {d.outcome.value:<5} {d.info.display} ({d.fact.status}) {reasons}")
    if result.note:
        lines.append(f"  note: {result.note}")
    return "\n".join(lines)


_FIELDS = (
    "manifest_path", "select", "exclude", "command", "project_dir", "target", "mode", "policy",
    "on_api_error", "deadline", "max_age", "refresh", "target_dir", "api_url", "wait_for_fresh",
)  # fmt: skip


class ArmorGateOperator(BaseOperator):  # type: ignore[misc]
    """Gate the sources upstream of a dbt selection on ``manifest_path``.

    Pass: returns armor_gate.json's content (also XCom ``armor_gate``). Blocked (exit 3, or 4
    when the platform is down under ``on_api_error: fail``): ``on_block="fail"`` raises
    AirflowFailException (no retry), ``"skip"`` raises AirflowSkipException so downstream
    tasks are skipped. With ``mode="skip"``, XCom ``armor_gate`` lists ``skipped_selectors``
    for the dbt task's ``--exclude`` (see ``exclude_template``).
    """

    template_fields: Sequence[str] = ("manifest_path", "select", "exclude", "target")
    ui_color = "#d8efe4"

    def __init__(
        self,
        *,
        manifest_path: str,
        select: Sequence[str] = (),
        exclude: Sequence[str] = (),
        command: str = "build",
        project_dir: str | None = None,
        target: str | None = None,
        mode: str | None = None,
        on_block: str = "fail",
        policy: Mapping[str, str] | None = None,
        on_api_error: str | None = None,
        deadline: float | None = None,
        max_age: float | None = None,
        refresh: bool = False,
        target_dir: str | None = None,
        api_url: str | None = None,
        wait_for_fresh: str | float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if on_block not in ("fail", "skip"):
            raise ValueError(f"on_block={on_block!r}: use 'fail' or 'skip'")
        self.manifest_path = manifest_path
        self.select, self.exclude = list(select), list(exclude)
        self.command, self.project_dir, self.target = command, project_dir, target
        self.mode, self.on_block, self.policy = mode, on_block, dict(policy or {})
        self.on_api_error, self.deadline, self.max_age = on_api_error, deadline, max_age
        self.refresh, self.target_dir, self.api_url = refresh, target_dir, api_url
        self.wait_for_fresh = wait_for_fresh

    def spec(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _FIELDS}

    def execute(self, context: Any) -> dict[str, Any]:
        from dbt_armor.errors import ArmorError

        try:
            result = run_gate(self.spec(), self.log)
        except ArmorError as exc:  # configuration, manifest or key problems: not retryable
            raise AirflowFailException(f"dbt-armor: {exc}") from None
        self.log.info(_summary(result))
        ti = context["ti"]
        ti.xcom_push(key=XCOM_GATE, value=result.artifact)
        ti.xcom_push(key=XCOM_RESULTS, value=result.results_json)
        if result.blocked:
            blocked = ", ".join(d.info.display for d in result.decision.blocked)
            message = f"dbt-armor gate: {result.label} (exit {result.exit_code}): "
            message += f"blocked by {blocked}" if blocked else (result.note or "")
            if self.on_block == "skip":
                raise AirflowSkipException(message)
            raise AirflowFailException(message)
        return result.artifact

    @staticmethod
    def exclude_template(task_id: str = "armor_gate") -> str:
        """Jinja for a dbt command line: ``--exclude <skipped>`` when skip mode left any out."""
        pull = f"ti.xcom_pull(task_ids='{task_id}', key='{XCOM_GATE}')"
        return (
            f"{{% set g = {pull} %}}{{% if g and g['skipped_selectors'] %}}"
            "--exclude {{ g['skipped_selectors'] | join(' ') }}{% endif %}"
        )

    @staticmethod
    def results_template(task_id: str = "armor_gate") -> str:
        """Jinja for a dbt task's DBT_ARMOR_RESULTS environment variable (macros read it)."""
        return f"{{{{ ti.xcom_pull(task_ids='{task_id}', key='{XCOM_RESULTS}') or '{{}}' }}}}"


class ArmorFreshSensor(BaseSensorOperator):  # type: ignore[misc]
    """Waits until no source of the selection is blocked for a reason a late loader cures
    (the test of ``--wait-for-fresh``); fails at once when waiting cannot help.

    ``deferrable=True`` hands the waiting to the triggerer (``ArmorFreshTrigger``).
    """

    template_fields: Sequence[str] = ("manifest_path", "select", "exclude", "target")

    def __init__(
        self,
        *,
        manifest_path: str,
        select: Sequence[str] = (),
        exclude: Sequence[str] = (),
        command: str = "build",
        project_dir: str | None = None,
        target: str | None = None,
        policy: Mapping[str, str] | None = None,
        api_url: str | None = None,
        deferrable: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.manifest_path = manifest_path
        self.select, self.exclude = list(select), list(exclude)
        self.command, self.project_dir, self.target = command, project_dir, target
        self.policy, self.api_url, self.deferrable = dict(policy or {}), api_url, deferrable

    def spec(self) -> dict[str, Any]:
        keys = ("manifest_path", "select", "exclude", "command", "project_dir", "target")
        spec = {k: getattr(self, k) for k in keys}
        spec.update(policy=self.policy, api_url=self.api_url, refresh=True)
        return spec

    def poke(self, context: Any) -> bool:
        result = run_gate(self.spec(), self.log)
        return _settled(result, self.log)

    def execute(self, context: Any) -> Any:
        if not self.deferrable:
            return super().execute(context)
        if self.poke(context):
            return None
        self.defer(
            trigger=ArmorFreshTrigger(
                self.spec(), poke_interval=float(self.poke_interval), timeout=float(self.timeout)
            ),
            method_name="execute_complete",
        )
        return None

    def execute_complete(self, context: Any, event: dict[str, Any]) -> None:
        if event.get("status") != "fresh":
            raise AirflowFailException(f"dbt-armor: {event.get('message')}")
        self.log.info("dbt-armor: %s", event.get("message"))


def _settled(result: GateResult, log: Any) -> bool:
    """True when nothing waitable blocks; AirflowFailException when waiting cannot help."""
    pending = waiting_for(result)
    if pending:
        log.info("dbt-armor: waiting for %s", ", ".join(pending))
        return False
    if result.blocked:
        raise AirflowFailException(f"dbt-armor: waiting cannot help: {_summary(result)}")
    return True


class ArmorFreshTrigger(BaseTrigger):  # type: ignore[misc]
    """Re-evaluates the gate in the triggerer until nothing waitable blocks or time is up."""

    def __init__(self, spec: dict[str, Any], poke_interval: float = 60.0, timeout: float = 3600.0):
        super().__init__()
        self.spec, self.poke_interval, self.timeout = dict(spec), poke_interval, timeout

    def serialize(self) -> tuple[str, dict[str, Any]]:
        kwargs = {"spec": self.spec, "poke_interval": self.poke_interval, "timeout": self.timeout}
        return f"{__name__}.ArmorFreshTrigger", kwargs

    async def run(self) -> AsyncIterator[Any]:
        started = time.monotonic()
        steps = Backoff(first=self.poke_interval, factor=1.0, cap=self.poke_interval)
        attempt = 0
        while True:
            result = await asyncio.to_thread(run_gate, self.spec)
            pending = waiting_for(result)
            if not pending:
                status = "blocked" if result.blocked else "fresh"
                yield TriggerEvent({"status": status, "message": _summary(result)})
                return
            left = self.timeout - (time.monotonic() - started)
            if left <= 0:
                message = f"gave up waiting for {', '.join(pending)} after {self.timeout:g} s"
                yield TriggerEvent({"status": "timeout", "message": message})
                return
            await asyncio.sleep(min(steps.delay(attempt), left))
            attempt += 1
