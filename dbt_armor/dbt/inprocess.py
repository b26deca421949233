"""In-process dbt through dbtRunner: one parse, whose Manifest object is reused by ls and run.

Owns the dbt-core Python API calls and the temporary environment around them; imports dbt
lazily (about two seconds) and only here.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from dbt_armor.dbt.args import DbtArgs, split_args
from dbt_armor.dbt.driver import exit_code
from dbt_armor.dbt.env import child_env
from dbt_armor.dbt.invoker import DbtInvoker, file_stamp
from dbt_armor.dbt.selection import (
    LS_OUTPUT_KEYS,
    Selection,
    needs_fallback,
    parse_ls_lines,
    selection_from_rows,
)
from dbt_armor.errors import DbtError, ManifestError
from dbt_armor.project.manifest import Manifest, load_manifest


@contextlib.contextmanager
def scoped_environ(extra: Mapping[str, str], secrets: Iterable[str] = ()) -> Iterator[None]:
    """Replace os.environ by a scrubbed copy plus ``extra`` for the block, then restore it."""
    saved = dict(os.environ)
    wanted = child_env(saved, extra, secrets)
    try:
        os.environ.clear()
        os.environ.update(wanted)
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


class InProcessInvoker(DbtInvoker):
    """dbtRunner in this process. Not safe for concurrent use (neither is dbt)."""

    mode = "inprocess"

    def __init__(
        self, project_dir: Path | None, profiles_dir: Path | None, secrets: Iterable[str] = ()
    ) -> None:
        super().__init__(project_dir, profiles_dir, secrets)
        self.dbt_manifest: Any = None  # dbt's own Manifest object, never our typed one
        self.unwritten = False  # parsed without writing manifest.json (parse_typed)

    def _invoke(self, argv: list[str], env_extra: Mapping[str, str] | None = None) -> Any:
        try:
            from dbt.cli.main import dbtRunner
        except ImportError as exc:  # pragma: no cover - guarded by make_invoker
            raise DbtError("dbt-core cannot be imported", hint="use --dbt-mode subprocess") from exc
        runner = dbtRunner(manifest=self.dbt_manifest)
        with scoped_environ(env_extra or {}, self.secrets):
            return runner.invoke(argv)

    def parse_typed(self, argv: Sequence[str], command: str = "run") -> tuple[Manifest, Path]:
        """Parse without writing manifest.json and build our manifest from dbt's memory: the
        run writes the file afterwards, as ``dbt run`` does. Whoever will not run dbt after
        this calls ``write_manifest``. Falls back to the file when dbt's objects cannot be
        encoded, and writes it at once when a dbt plugin writes artifacts beside it."""
        from dbt_armor.dbt.memory import artifact_hooks, typed_manifest

        args = split_args(command, argv)
        self._parse(args, write_json=False)
        path = self.manifest_path = self.target_dir(args) / "manifest.json"
        self.unwritten = True
        try:
            typed = typed_manifest(self.dbt_manifest, path)
        except (DbtError, ManifestError):  # dbt writes the file and that is read, as without
            # this shortcut: any error left is then the file's own, naming the file
            self.write_manifest()
            return load_manifest(path), path
        if artifact_hooks(str(self.dbt_manifest.metadata.project_name or "")):
            self.write_manifest()
        return typed, path

    def write_manifest(self) -> bool:
        """Write manifest.json (and plugin artifacts) the way dbt's parse would have."""
        if not self.unwritten or self.dbt_manifest is None or self.manifest_path is None:
            return False
        from dbt.parser.manifest import write_manifest
        from dbt.plugins import get_plugin_manager

        manifest = self.dbt_manifest
        with scoped_environ({}, self.secrets):
            write_manifest(manifest, str(self.manifest_path.parent))
            plugins = get_plugin_manager(str(manifest.metadata.project_name or ""))
            for where, artifact in plugins.get_manifest_artifacts(manifest).items():
                artifact.write(where)
        self.unwritten = False
        return True

    def _parse(self, args: DbtArgs, write_json: bool = True) -> None:
        # the flag wins over DBT_WRITE_JSON and dbt_project.yml: a parse that is read back must
        # write the file (DbtInvoker.parse refuses one it did not rewrite)
        quiet = ["--quiet", "--write-json" if write_json else "--no-write-json"]
        result = self._invoke(["parse", *args.parse_args, *self._dirs(args), *quiet])
        if not result.success or result.result is None:
            reason = result.exception or "see the dbt output above"
            raise DbtError(
                f"dbt parse failed: {reason}", hint="fix the project so `dbt parse` succeeds"
            )
        self.dbt_manifest = result.result

    def _ls(self, args: DbtArgs, output: list[str]) -> list[str]:
        argv = ["ls", *args.ls_args(), *self._dirs(args), *output, "--log-level", "none"]
        result = self._invoke(argv)
        if not result.success:
            raise DbtError(
                f"dbt ls could not resolve the selection: {result.exception or 'unknown error'}",
                hint="check the --select/--exclude/--selector/--state arguments",
            )
        return [str(line) for line in (result.result or [])]

    def _select(self, args: DbtArgs) -> Selection:
        if self.dbt_manifest is None:
            self._parse(args)
        rows = parse_ls_lines(
            self._ls(args, ["--output", "json", "--output-keys", *LS_OUTPUT_KEYS])
        )
        fallback = None
        if needs_fallback(rows):
            fallback = [s for s in self._ls(args, ["--output", "selector"]) if s.strip()]
        return selection_from_rows(rows, fallback)

    def _run(self, command: str, argv: list[str], env_extra: Mapping[str, str]) -> int:
        before = file_stamp(self.manifest_path)
        code = exit_code(self._invoke([command, *argv], env_extra))
        if self.unwritten and file_stamp(self.manifest_path) == before:
            # dbt did not write manifest.json (a failed on-run-start, an exception): write it
            # as its parse would have, unless this invocation's own flags turned JSON off
            from dbt.flags import get_flags

            if getattr(get_flags(), "WRITE_JSON", True):  # type: ignore[no-untyped-call]
                self.write_manifest()
        self.unwritten = False
        return code
