"""YAML selectors (``selectors.yml``, kept in ``manifest.selectors``) evaluated by dbt's rules.

Pure: turns a selector's definition into unions, intersections and differences of single
criteria, and asks the caller to resolve each criterion; never reads files or runs dbt.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from dbt_armor.errors import UsageError

Match = Callable[[str], set[str]]
_HINT = "fix selectors.yml and run `dbt parse`, or run without --manifest so dbt selects"


def default_selector(selectors: Mapping[str, Any]) -> str | None:
    """The name of the selector declared ``default: true``, if any (dbt allows one)."""
    found = [
        name
        for name, sel in selectors.items()
        if isinstance(sel, dict) and sel.get("default") is True
    ]
    if len(found) > 1:
        raise UsageError(
            f"several YAML selectors are default: {', '.join(sorted(found))}", hint=_HINT
        )
    return found[0] if found else None


def choose_selector(
    selectors: Mapping[str, Any], selector: str | None, select: object, exclude: object
) -> str | None:
    """dbt's precedence: ``--selector`` first, else the default selector when neither
    ``--select`` nor ``--exclude`` was given, else none (use the flags)."""
    if selector:
        return selector
    return None if select or exclude else default_selector(selectors)


def evaluate(selectors: Mapping[str, Any], name: str, match: Match) -> set[str]:
    """The unique_ids selector ``name`` picks; ``match`` resolves one single-spec string
    (such as ``2+tag:nightly+``) with its graph operators."""
    return _Evaluator(selectors, match).selector(name, ())


class _Evaluator:
    def __init__(self, selectors: Mapping[str, Any], match: Match) -> None:
        self.selectors = selectors
        self.match = match

    def selector(self, name: str, seen: tuple[str, ...]) -> set[str]:
        entry = self.selectors.get(name)
        if not isinstance(entry, dict) or "definition" not in entry:
            known = ", ".join(sorted(self.selectors)) or "none"
            raise UsageError(
                f"no YAML selector named {name!r} in the manifest (declared: {known})",
                hint="check the name in selectors.yml, then run `dbt parse`",
            )
        if name in seen:
            raise UsageError(f"YAML selector {name!r} refers to itself", hint=_HINT)
        return self.definition(entry["definition"], (*seen, name))

    def definition(self, node: Any, seen: tuple[str, ...]) -> set[str]:
        if isinstance(node, str):
            return self.match(node)
        if not isinstance(node, dict):
            raise UsageError(f"YAML selector part {node!r} is not a string or mapping", hint=_HINT)
        for operator in ("union", "intersection"):
            if operator in node:
                return self.combine(operator, node[operator], seen)
        if len(node) == 1:
            key, value = next(iter(node.items()))
            return self.criterion({"method": key, "value": value}, seen)
        if "method" in node and "value" in node:
            return self.criterion(node, seen)
        raise UsageError(
            f"YAML selector part has keys {sorted(node)}, expected method and value", hint=_HINT
        )

    def combine(self, operator: str, parts: Any, seen: tuple[str, ...]) -> set[str]:
        if not isinstance(parts, list):
            raise UsageError(f"YAML selector {operator}: expects a list", hint=_HINT)
        included: list[set[str]] = []
        excluded: set[str] | None = None
        for part in parts:
            if isinstance(part, dict) and "exclude" in part:
                if excluded is not None:
                    raise UsageError(f"one {operator} holds two exclude: parts", hint=_HINT)
                excluded = self.exclusions(part["exclude"], seen)
            else:
                included.append(self.definition(part, seen))
        if operator == "union":
            chosen = set().union(*included)
        else:
            chosen = set.intersection(*included) if included else set()
        return chosen - excluded if excluded is not None else chosen

    def exclusions(self, parts: Any, seen: tuple[str, ...]) -> set[str]:
        items = parts if isinstance(parts, list) else [parts]
        return set().union(*(self.definition(p, seen) for p in items))

    def criterion(self, node: dict[str, Any], seen: tuple[str, ...]) -> set[str]:
        method, value = str(node["method"]), node["value"]
        if method == "selector":
            chosen = self.selector(str(value), seen)
        else:
            chosen = self.match(_spec(node, method, value))
        if "exclude" in node:
            chosen -= self.exclusions(node["exclude"], seen)
        return chosen


def _spec(node: Mapping[str, Any], method: str, value: Any) -> str:
    """The single-spec string of a YAML criterion (``{method: tag, value: x, children: true}``
    is ``tag:x+``), so both spellings go through the one parser."""
    if isinstance(value, bool | int | float):
        value = str(value).lower() if isinstance(value, bool) else str(value)
    if not isinstance(value, str) or not value:
        raise UsageError(f"YAML selector value {value!r} for {method} is not a string", hint=_HINT)
    head = "@" if node.get("childrens_parents") else ""
    if node.get("parents"):
        head += f"{node.get('parents_depth') or ''}+"
    tail = f"+{node.get('children_depth') or ''}" if node.get("children") else ""
    return f"{head}{method}:{value}{tail}"
