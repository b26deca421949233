"""Fault injection: rules matched by ``METHOD path-glob`` that add latency, answer 429/5xx,
HTML or malformed JSON, drop the connection before or after the commit, or trickle the body.

Owns matching, counts and expiry only; server.py carries the faults out.
"""

from __future__ import annotations

import fnmatch
import threading
import time
from dataclasses import dataclass, field
from typing import Any

FIELDS = (
    "latency_ms",
    "status",
    "retry_after",
    "retry_after_date",
    "drop_after_commit",
    "drop_before_commit",
    "malformed_json",
    "html",
    "large_bytes",
    "drip_ms",
)


@dataclass
class Fault:
    method: str
    glob: str
    count: int | None = 1  # None = until it expires
    expires_at: float | None = None  # time.monotonic() deadline
    latency_ms: int = 0
    status: int | None = None
    retry_after: int | None = None
    retry_after_date: str | None = None
    drop_after_commit: bool = False
    drop_before_commit: bool = False
    malformed_json: bool = False
    html: bool = False
    large_bytes: int = 0
    drip_ms: int = 0
    hits: int = field(default=0)

    def matches(self, method: str, path: str) -> bool:
        return self.method in ("*", method) and fnmatch.fnmatchcase(path, self.glob)

    def describe(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in FIELDS if getattr(self, k)}
        return {
            "match": f"{self.method} {self.glob}",
            "count": self.count,
            "hits": self.hits,
            **out,
        }


def parse_fault(spec: dict[str, Any]) -> Fault:
    """Build a Fault from the control-endpoint body; raises ValueError on a bad spec."""
    match = str(spec.get("match", "* *")).strip()
    method, _, glob = match.partition(" ")
    if not glob:
        method, glob = "*", method
    count = spec.get("count", 1)
    ttl = spec.get("expires_in_s") or spec.get("ttl_s")
    fault = Fault(
        method=method.upper(),
        glob=glob.strip(),
        count=None if count in (None, 0, "unlimited") else int(count),
        expires_at=time.monotonic() + float(ttl) if ttl else None,
    )
    for name in FIELDS:
        if spec.get(name) is not None:
            current = getattr(fault, name)
            value = spec[name]
            setattr(fault, name, type(current)(value) if current is not None else value)
    if fault.status is not None and not 100 <= int(fault.status) <= 599:
        raise ValueError("status must be an HTTP status code")
    if fault.html and fault.status is None:
        fault.status = 502
    return fault


class FaultSet:
    """The active faults; ``take`` consumes one use of the first live match."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            self._expire()
            return [f.describe() for f in self._faults]

    def take(self, method: str, path: str) -> Fault | None:
        with self._lock:
            self._expire()
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.hits += 1
                    if fault.count is not None:
                        fault.count -= 1
                    self._expire()
                    return fault
        return None

    def _expire(self) -> None:
        now = time.monotonic()
        self._faults = [
            f
            for f in self._faults
            if (f.count is None or f.count > 0) and (f.expires_at is None or f.expires_at > now)
        ]
