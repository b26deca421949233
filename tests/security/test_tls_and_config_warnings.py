"""TLS verification is on unless explicitly turned off (and then every run warns), and a key kept
in a world-readable ~/.armor/config.yaml is reported by settings and by ``dbt-armor doctor``.
"""

from __future__ import annotations

import json
import os
import socket
import ssl
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from dbt_armor.api import ArmorClient
from dbt_armor.cli.main import cli
from dbt_armor.config import Settings, resolve_settings
from dbt_armor.errors import ConfigError

KEY = "aa_test_tlstest0123456789abcdefghijklmnop"
TLS_WARNING = "TLS verification is disabled"


def ssl_context(client: ArmorClient) -> ssl.SSLContext:
    """The SSL context the client's HTTP connection pool really uses."""
    pool = client._transport._http._transport._pool  # type: ignore[attr-defined]
    context = pool._ssl_context
    assert isinstance(context, ssl.SSLContext)
    return context


def test_verification_is_on_by_default() -> None:
    settings = resolve_settings({}, {"ARMOR_API_KEY": KEY}, None, Path("/nonexistent-home"))
    assert settings.verify_tls is True
    assert not [w for w in settings.warnings if TLS_WARNING in w]
    for client in (ArmorClient(KEY), ArmorClient.from_settings(settings)):
        with client:
            context = ssl_context(client)
            assert context.verify_mode == ssl.CERT_REQUIRED
            assert context.check_hostname is True


@pytest.mark.parametrize(
    ("how", "source"),
    [("env", "env ARMOR_VERIFY_TLS"), ("project", "dbt_armor.yml"), ("flag", "flag")],
)
def test_turning_verification_off_is_explicit_and_warns(
    how: str, source: str, tmp_path: Path
) -> None:
    env = {"ARMOR_API_KEY": KEY}
    overrides = {}
    if how == "env":
        env["ARMOR_VERIFY_TLS"] = "false"
    elif how == "project":
        (tmp_path / "dbt_armor.yml").write_text("verify_tls: false\n")
    else:
        overrides["verify_tls"] = False
    settings = resolve_settings(overrides, env, tmp_path, tmp_path / "home")
    assert settings.verify_tls is False
    assert source in settings.provenance["verify_tls"]
    warning = [w for w in settings.warnings if TLS_WARNING in w]
    assert len(warning) == 1 and source in warning[0] and KEY not in warning[0]
    with ArmorClient.from_settings(settings) as client:
        assert ssl_context(client).verify_mode == ssl.CERT_NONE


@pytest.mark.parametrize("value", ["true", "1", "yes", ""])
def test_other_values_keep_verification_on(value: str, tmp_path: Path) -> None:
    env = {"ARMOR_API_KEY": KEY, "ARMOR_VERIFY_TLS": value}
    settings = resolve_settings({}, env, tmp_path, tmp_path / "home")
    assert settings.verify_tls is True and not settings.warnings


def test_a_misspelt_value_is_refused_not_read_as_off(tmp_path: Path) -> None:
    env = {"ARMOR_API_KEY": KEY, "ARMOR_VERIFY_TLS": "nope"}
    with pytest.raises(ConfigError) as caught:
        resolve_settings({}, env, tmp_path, tmp_path / "home")
    assert "ARMOR_VERIFY_TLS" in str(caught.value) and "true or false" in str(caught.value)


def _closed_https_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"https://127.0.0.1:{sock.getsockname()[1]}/api/v1"


def test_a_platform_command_prints_the_warning(tmp_path: Path) -> None:
    """Any command that builds a client says so on stderr (no logging set up, as for a user)."""
    (tmp_path / "dbt_armor.yml").write_text(f"api_url: {_closed_https_url()}\ntimeout: 1\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARMOR_", "DBT_ARMOR_"))} | {
        "ARMOR_API_KEY": KEY,
        "ARMOR_VERIFY_TLS": "off",
        "HOME": str(tmp_path / "home"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "dbt_armor", "sync", "plan", "--project-dir", str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "verification is OFF" in done.stderr, done.stderr
    assert KEY not in done.stdout + done.stderr


def _doctor(home: Path, project: Path, **env: str) -> dict[str, object]:
    environ: dict[str, str | None] = {
        "HOME": str(home),
        "ARMOR_API_URL": _closed_https_url(),
        "ARMOR_API_KEY": None,
        "ARMOR_VERIFY_TLS": None,
        **env,
    }
    result = CliRunner().invoke(
        cli, ["doctor", "--project-dir", str(project), "--format", "json"], env=environ
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    report: dict[str, object] = json.loads(result.stdout)
    return report


def test_doctor_shows_the_tls_warning(tmp_path: Path) -> None:
    report = _doctor(tmp_path, tmp_path, ARMOR_API_KEY=KEY, ARMOR_VERIFY_TLS="false")
    warnings = report["warnings"]
    assert isinstance(warnings, list) and any(TLS_WARNING in w for w in warnings)
    assert KEY not in json.dumps(report)


def _home_config(home: Path, mode: int, with_key: bool = True) -> Path:
    path = home / ".armor" / "config.yaml"
    path.parent.mkdir(parents=True)
    path.write_text((f"api_key: {KEY}\n" if with_key else "") + "timeout: 5\n")
    path.chmod(mode)
    return path


def test_world_readable_home_config_with_a_key_warns(tmp_path: Path) -> None:
    path = _home_config(tmp_path, 0o644)
    settings = resolve_settings({}, {}, None, tmp_path)
    assert settings.api_key is not None and settings.api_key.reveal() == KEY
    warning = [w for w in settings.warnings if str(path) in w]
    assert len(warning) == 1 and "readable by everyone" in warning[0] and "600" in warning[0]
    assert KEY not in " ".join(settings.warnings) + repr(settings)


@pytest.mark.parametrize(("mode", "with_key"), [(0o600, True), (0o640, True), (0o644, False)])
def test_private_or_keyless_home_config_does_not_warn(
    mode: int, with_key: bool, tmp_path: Path
) -> None:
    _home_config(tmp_path, mode, with_key)
    settings = resolve_settings({}, {}, None, tmp_path)
    assert settings.warnings == ()
    assert isinstance(settings, Settings)


def test_doctor_shows_the_world_readable_config(tmp_path: Path) -> None:
    home = tmp_path / "home"
    path = _home_config(home, 0o644)
    report = _doctor(home, tmp_path)
    warnings = report["warnings"]
    assert isinstance(warnings, list)
    assert any(str(path) in w and "readable by everyone" in w for w in warnings), warnings
    assert KEY not in json.dumps(report)
    text = CliRunner().invoke(
        cli,
        ["doctor", "--project-dir", str(tmp_path)],
        env={"HOME": str(home), "ARMOR_API_URL": _closed_https_url(), "ARMOR_API_KEY": None},
    )
    assert "readable by everyone" in text.output and KEY not in text.output
