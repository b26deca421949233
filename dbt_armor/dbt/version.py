"""Which dbt version an executable runs, read from its ``dbt --version`` output.

The one reader of that output (doctor, and the tests choosing a project layout, use it); it
never imports dbt. Parsing is pure; ``executable_version`` is the only function that runs dbt.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["DbtVersion", "executable_version", "parse_version_output"]

_INSTALLED = re.compile(r"^\s*-?\s*installed(?: version)?:\s*v?(\d+\.\d+\.\d+\S*)", re.M | re.I)
_ANY_VERSION = re.compile(r"\b(dbt[\w-]*)?\s*v?(\d+\.\d+\.\d+[\w.+-]*)")
_PLUGIN = re.compile(r"^\s*-\s*([\w-]+):\s*v?(\d+\.\d+\.\d+[\w.+-]*)", re.M)


@dataclass(frozen=True)
class DbtVersion:
    """An engine's name and version (``dbt-core`` 1.11.16) and its adapter plugins."""

    engine: str
    version: str
    plugins: dict[str, str] = field(default_factory=dict)

    @property
    def minor(self) -> tuple[int, int]:
        """(major, minor), e.g. (1, 9): what project layouts and macros depend on."""
        major, minor = self.version.split(".")[:2]
        return int(major), int(minor)

    def describe(self) -> str:
        plugins = ", ".join(f"{name} {ver}" for name, ver in sorted(self.plugins.items()))
        return f"{self.engine} {self.version}" + (f"; {plugins}" if plugins else "")


def parse_version_output(text: str) -> DbtVersion | None:
    """The version in ``dbt --version`` output: dbt-core 1.x's ``Core: - installed: X`` block
    with its ``Plugins:`` list, or the first ``name X.Y.Z`` of another engine; None if absent.
    """
    core = _INSTALLED.search(text)
    if core is not None:
        plugins_text = text.split("Plugins:", 1)[1] if "Plugins:" in text else ""
        plugins = {name: ver for name, ver in _PLUGIN.findall(plugins_text)}
        return DbtVersion("dbt-core", core.group(1), plugins)
    other = _ANY_VERSION.search(text)
    if other is None:
        return None
    return DbtVersion(other.group(1) or "dbt", other.group(2))


def executable_version(
    executable: str, env: Mapping[str, str] | None = None, timeout: float = 180.0
) -> DbtVersion | None:
    """Run ``executable --version`` and parse it; None when it cannot run or says no version.

    dbt-core asks its package index for the latest release while printing this; ``env`` lets a
    caller keep that request off the network.
    """
    try:
        done = subprocess.run(
            [executable, "--version"],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env=dict(env) if env is not None else None,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return parse_version_output(done.stdout + "\n" + done.stderr)
