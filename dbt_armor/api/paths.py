"""URL building for the client: base-URL validation and percent-encoding of path segments.

Owns how identifiers become one path segment; it must not do any I/O.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import quote, urlsplit, urlunsplit

from dbt_armor.errors import ConfigError

API_PREFIX = "/api/v1"


def segment(value: object) -> str:
    """Percent-encode ``value`` so that it stays exactly one path segment.

    ``/ ? # %`` and every other reserved character are encoded; dots inside a name (as in
    ``duckdb.db.raw.orders``) are kept, but a segment made only of dots (``.`` / ``..``) is
    encoded fully so that no client, proxy or server can normalise it away.
    """
    text = str(value)
    if not text:
        raise ValueError("an empty identifier cannot be used in a URL path")
    if set(text) == {"."}:
        return "%2E" * len(text)
    return quote(text, safe="")


def join(*parts: object) -> str:
    """Build ``/a/b/c`` from already-literal route parts and identifiers (all encoded)."""
    return "/" + "/".join(segment(p) for p in parts)


def is_loopback(host: str) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def normalise_base_url(url: str, *, allow_http: bool = False) -> str:
    """Validate the API base URL and append ``/api/v1`` when the path lacks it.

    Plain ``http://`` is accepted only for loopback hosts unless ``allow_http`` is set.
    """
    raw = url.strip()
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"invalid API URL {raw!r}",
            hint="set ARMOR_API_URL to e.g. https://api.anomalyarmor.ai/api/v1",
        )
    if parts.scheme == "http" and not allow_http and not is_loopback(parts.hostname):
        raise ConfigError(
            f"refusing plain http:// to non-loopback host {parts.hostname!r}: the API key "
            "would travel unencrypted",
            hint="use https://, or pass allow_http=True / --allow-http if you really mean it",
        )
    if parts.username or parts.password:
        raise ConfigError(
            "the API URL must not contain credentials",
            hint="remove user:password@ from ARMOR_API_URL; the key goes in ARMOR_API_KEY",
        )
    path = parts.path.rstrip("/")
    if not path.endswith(API_PREFIX):
        path = path + API_PREFIX
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))
