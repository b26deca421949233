"""Request/response values, the API error type and the router shared by every route family.

No socket handling here (server.py) and no business rules (the family modules).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dbt_armor.emulator.app import App
    from dbt_armor.emulator.config import ApiKey

JSON = Any


@dataclass
class Request:
    method: str
    segments: list[str]  # percent-decoded path segments after the API prefix
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes = b""
    api_key: ApiKey | None = None  # the authenticated key (never logged)

    def json(self) -> dict[str, Any]:
        """The JSON object body; an empty body is ``{}``; anything else is a 400."""
        if not self.body.strip():
            return {}
        try:
            value = json.loads(self.body)
        except ValueError as exc:
            raise validation(f"request body is not valid JSON: {exc}") from None
        if not isinstance(value, dict):
            raise validation("request body must be a JSON object")
        return value

    def qint(self, name: str, default: int, maximum: int | None = None) -> int:
        raw = self.query.get(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise validation(f"query parameter {name!r} must be an integer", field=name) from None
        if value < 0:
            raise validation(f"query parameter {name!r} must not be negative", field=name)
        return min(value, maximum) if maximum is not None else value

    def qbool(self, name: str) -> bool | None:
        raw = self.query.get(name)
        if raw is None or raw == "":
            return None
        if raw.lower() in ("true", "1", "yes"):
            return True
        if raw.lower() in ("false", "0", "no"):
            return False
        raise validation(f"query parameter {name!r} must be true or false", field=name)


@dataclass
class Response:
    status: int = 200
    body: JSON = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None  # pre-encoded body (HTML pages, files); wins over ``body``
    content_type: str = "application/json"


class ApiFailure(Exception):
    """An error answered with the documented envelope ``{"error": {code, message, details}}``."""

    def __init__(self, status: int, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details

    def response(self) -> Response:
        err = {"code": self.code, "message": self.message, "details": self.details}
        return Response(self.status, {"error": err})


def validation(message: str, **details: Any) -> ApiFailure:
    return ApiFailure(400, "VALIDATION_ERROR", message, **details)


def asset_not_found(asset_id: str) -> ApiFailure:
    return ApiFailure(
        404,
        "ASSET_NOT_FOUND",
        "Asset not found",
        asset_id=asset_id,
        suggestion="Check the qualified name format: source.database.schema.table",
    )


def not_found(kind: str, ident: str) -> ApiFailure:
    return ApiFailure(404, "NOT_FOUND", f"{kind} not found", id=ident)


Handler = Callable[["App", Request, dict[str, str]], Response]


class Router:
    """Routes ``METHOD a/b/{param}`` patterns; literal segments beat parameters."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, list[str], Handler]] = []

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        self._routes.append((method, [p for p in pattern.split("/") if p], handler))

    def route(self, method: str, pattern: str) -> Callable[[Handler], Handler]:
        def deco(fn: Handler) -> Handler:
            self.add(method, pattern, fn)
            return fn

        return deco

    def include(self, other: Router) -> None:
        self._routes.extend(other._routes)

    def match(self, method: str, segments: list[str]) -> tuple[Handler, dict[str, str]] | None:
        """Best route for the path, or None. Raises a 405-style failure on method mismatch."""
        best: tuple[tuple[bool, ...], Handler, dict[str, str]] | None = None
        path_matched = False
        for m, parts, handler in self._routes:
            if len(parts) != len(segments):
                continue
            params: dict[str, str] = {}
            rank: list[bool] = []
            for part, seg in zip(parts, segments, strict=False):
                if part.startswith("{"):
                    params[part[1:-1]] = seg
                    rank.append(False)
                elif part == seg:
                    rank.append(True)
                else:
                    break
            else:
                path_matched = True
                if m != method and not (method == "HEAD" and m == "GET"):
                    continue
                if best is None or tuple(rank) > best[0]:
                    best = (tuple(rank), handler, params)
        if best is not None:
            return best[1], best[2]
        if path_matched:
            raise ApiFailure(405, "METHOD_NOT_ALLOWED", f"{method} is not allowed on this path")
        return None
