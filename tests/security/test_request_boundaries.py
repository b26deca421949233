"""Requests stay where they are aimed: crafted ids cannot leave their path segment or add query
parameters, and the bearer key is never carried across a redirect to another origin."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from dbt_armor.api import ArmorClient
from dbt_armor.errors import ArmorError

CRAFTED = ["../../_emulator/reset", "a?x=1", "a#b", "a/b", "%2e%2e", "..", "."]


@pytest.mark.parametrize("crafted", CRAFTED)
def test_crafted_id_stays_one_path_segment(
    emulator: Any, client: ArmorClient, crafted: str
) -> None:
    emulator.app.clear_request_log()
    with pytest.raises(ArmorError):
        client.freshness.get(crafted)  # no such asset: a clean 404, nothing else touched
    seen = [e for e in emulator.app.request_log() if e["method"] == "GET"]
    assert len(seen) == 1
    assert seen[0]["path"].startswith("/api/v1/sdk/freshness/")
    assert seen[0]["path"].count("/") == 5 and seen[0]["query"] == ""
    assert not any(e["path"].startswith("/_emulator") for e in emulator.app.request_log())


class _Recorder(http.server.BaseHTTPRequestHandler):
    seen: list[dict[str, str]] = []
    location = ""

    def do_GET(self) -> None:
        type(self).seen.append(
            {"path": self.path, **{k.lower(): v for k, v in self.headers.items()}}
        )
        if type(self).location:
            self.send_response(302)
            self.send_header("Location", type(self).location + self.path)
            self.end_headers()
        else:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"data": {}}')

    def log_message(self, *args: Any) -> None:
        pass


def _serve(host: str, handler: type[_Recorder]) -> Iterator[http.server.HTTPServer]:
    srv = http.server.HTTPServer((host, 0), handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def test_key_is_not_sent_after_a_cross_origin_redirect() -> None:
    class Other(_Recorder):
        seen = []
        location = ""

    class Redirector(_Recorder):
        seen = []

    for other in _serve("127.0.0.2", Other):
        Redirector.location = f"http://127.0.0.2:{other.server_port}"
        for first in _serve("127.0.0.1", Redirector):
            key = "aa_live_redirectcanary_000000000000000000000000"
            url = f"http://127.0.0.1:{first.server_port}/api/v1"
            with (
                ArmorClient(key, url, timeout=2, retry_budget=2) as c,
                pytest.raises(ArmorError) as exc,
            ):
                c.freshness.summary()
            assert "302" in str(exc.value) and key not in str(exc.value)
            assert Redirector.seen and Redirector.seen[0]["authorization"] == f"Bearer {key}"
            assert Other.seen == []  # redirects are refused: the other origin saw nothing
