"""Bearer-key authentication and the scope each request needs.

Owns the 401/403 decision and bodies; never logs or echoes the key itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dbt_armor.emulator.config import ApiKey

_RANK = {"read-only": 0, "read-write": 1, "admin": 2}


class AuthFailure(Exception):
    """A request that must be refused with ``status`` and the documented error body."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


def authenticate(headers: Mapping[str, str], keys: Mapping[str, ApiKey]) -> ApiKey:
    """Return the key named by ``Authorization: Bearer …`` or raise a 401 AuthFailure."""
    raw = headers.get("Authorization") or headers.get("authorization") or ""
    scheme, _, token = raw.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise AuthFailure(401, _unauthorized("Missing API key: send 'Authorization: Bearer <key>'"))
    found = keys.get(token)
    if found is None:
        raise AuthFailure(401, _unauthorized("Invalid API key"))
    return found


def required_scope(method: str, segments: list[str]) -> str:
    """The least scope allowed to make this request (see the API contract, section 1.3)."""
    if segments[:1] == ["api-keys"]:
        if method in ("GET", "HEAD") and segments[1:2] == ["usage"]:
            return "read-only"
        return "admin"
    if method in ("GET", "HEAD", "OPTIONS"):
        return "read-only"
    return "read-write"


def authorize(key: ApiKey, needed: str) -> None:
    """Raise a 403 AuthFailure with the documented body when ``key`` lacks ``needed``."""
    if _RANK[key.scope] >= _RANK[needed]:
        return
    body = {
        "error": {
            "code": "FORBIDDEN",
            "message": f"Insufficient permissions. Required scope: {needed}",
            "details": {"current_scope": key.scope, "required_scope": needed},
        }
    }
    raise AuthFailure(403, body)


def _unauthorized(message: str) -> dict[str, Any]:
    return {"error": {"code": "UNAUTHORIZED", "message": message, "details": {}}}
