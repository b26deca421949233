"""Settings resolved once: flags > env ARMOR_* > dbt_armor.yml > ~/.armor/config.yaml > defaults.

Owns reading configuration; the key is held in a dbt_armor.secret.Secret. Reading has no side
effects (creates nothing) and never puts the API key in a message, repr or warning.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from dbt_armor.errors import ConfigError
from dbt_armor.secret import Secret as Secret  # re-exported: callers import it from here too
from dbt_armor.yamlload import safe_load

DEFAULT_API_URL = "https://api.anomalyarmor.ai/api/v1"
DEFAULT_TIMEOUT = 30.0
PROJECT_FILE = "dbt_armor.yml"
HOME_FILE = Path(".armor") / "config.yaml"

# Allowed keys of dbt_armor.yml (nested sections list their own keys; `gate` is free-form
# and validated by the gate policy).
PROJECT_KEYS: dict[str, frozenset[str] | None] = {
    "api_url": None,
    "api_key": None,
    "tier": None,
    "timeout": None,
    "rate_limit_per_min": None,
    "burst": None,
    "allow_http": None,
    "verify_tls": None,
    "data_sources": None,
    "naming": frozenset({"case"}),
    "gate": None,
    "sync": frozenset({"dialect", "apply_budget"}),
}
# Keys that were once accepted but that nothing reads: refused with their own explanation.
RETIRED_KEYS = {
    "lineage": "lineage publishing is set with the flags of `dbt-armor lineage publish` "
    "(its data source comes from data_sources); remove the section",
}
HOME_KEYS = frozenset({"api_key", "api_url", "timeout", "retry_attempts", "tier"})


@dataclass(frozen=True)
class Settings:
    api_key: Secret | None = None
    api_url: str = DEFAULT_API_URL
    timeout: float = DEFAULT_TIMEOUT
    tier: str | None = None
    rate_limit_per_min: int | None = None
    burst: int | None = None
    allow_http: bool = False
    verify_tls: bool = True
    data_sources: dict[str, str] = field(default_factory=dict)
    dialect: str = "upper"
    apply_budget: float | None = None  # seconds for a whole `sync apply` (None: its default)
    naming_case: str = "auto"
    gate: dict[str, Any] = field(default_factory=dict)
    project_file: Path | None = None
    provenance: dict[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    key_env_empty: bool = False

    def require_key(self) -> Secret:
        """The API key, or a ConfigError that says how to provide one."""
        if self.api_key is not None:
            return self.api_key
        if self.key_env_empty:
            raise ConfigError(
                "ARMOR_API_KEY is set but empty, which means no API key",
                hint="export ARMOR_API_KEY=aa_live_… or unset it to use ~/.armor/config.yaml",
            )
        raise ConfigError(
            "no AnomalyArmor API key configured",
            hint="export ARMOR_API_KEY=aa_live_… or run `armor auth login`",
        )


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}", hint="check the file") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}{where} is not valid YAML", hint="fix the syntax") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must be a YAML mapping", hint="use `key: value` lines")
    return data


def _check_keys(data: Mapping[str, Any], path: Path) -> None:
    for key, value in data.items():
        if key in RETIRED_KEYS:
            raise ConfigError(f"{key!r} in {path} is not read by dbt-armor", hint=RETIRED_KEYS[key])
        if key not in PROJECT_KEYS:
            raise ConfigError(
                f"unknown key {key!r} in {path}",
                hint="allowed keys: " + ", ".join(sorted(PROJECT_KEYS)),
            )
        allowed = PROJECT_KEYS[key]
        if allowed is not None:
            if not isinstance(value, dict):
                raise ConfigError(f"{key!r} in {path} must be a mapping", hint="see the docs")
            for sub in value:
                if sub not in allowed:
                    raise ConfigError(
                        f"unknown key '{key}.{sub}' in {path}",
                        hint="allowed: " + ", ".join(sorted(allowed)),
                    )


def _world_readable(path: Path) -> bool:
    try:
        return bool(path.stat().st_mode & stat.S_IROTH)
    except OSError:
        return False


def _layers(
    project_dir: Path | None, home: Path | None, warnings: list[str]
) -> tuple[list[tuple[str, dict[str, Any]]], Path | None]:
    """(source label, flat values) from lowest to highest precedence among files."""
    layers: list[tuple[str, dict[str, Any]]] = []
    home_file = (home if home is not None else Path.home()) / HOME_FILE
    if home_file.is_file():
        data = {k: v for k, v in _read_yaml(home_file).items() if k in HOME_KEYS}
        if data.get("api_key") and _world_readable(home_file):
            warnings.append(f"{home_file} holds an API key and is readable by everyone: chmod 600")
        layers.append((str(home_file), data))
    project_file = None
    if project_dir is not None and (project_dir / PROJECT_FILE).is_file():
        project_file = project_dir / PROJECT_FILE
        data = _read_yaml(project_file)
        _check_keys(data, project_file)
        if data.get("api_key"):
            warnings.append(
                f"{project_file} contains api_key: it is committed to git with the project; "
                "remove it and use ARMOR_API_KEY"
            )
            if _world_readable(project_file):
                warnings.append(f"{project_file} holds an API key and is readable by everyone")
        flat = {k: v for k, v in data.items() if k not in ("naming", "sync")}
        if isinstance(data.get("naming"), dict) and "case" in data["naming"]:
            flat["naming_case"] = data["naming"]["case"]
        if isinstance(data.get("sync"), dict) and "dialect" in data["sync"]:
            flat["dialect"] = data["sync"]["dialect"]
        if isinstance(data.get("sync"), dict) and "apply_budget" in data["sync"]:
            flat["apply_budget"] = data["sync"]["apply_budget"]
        layers.append((str(project_file), flat))
    return layers, project_file


def resolve_settings(
    overrides: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    project_dir: Path | None = None,
    home: Path | None = None,
) -> Settings:
    """Merge every source into one Settings; ``env`` defaults to ``os.environ``."""
    env = os.environ if env is None else env
    warnings: list[str] = []
    layers, project_file = _layers(project_dir, home, warnings)
    env_layer: dict[str, Any] = {}
    for var, name in (
        ("ARMOR_API_URL", "api_url"),
        ("ARMOR_TIMEOUT", "timeout"),
        ("ARMOR_TIER", "tier"),
        ("ARMOR_VERIFY_TLS", "verify_tls"),
    ):
        if env.get(var, "").strip():
            env_layer[name] = env[var].strip()
    key_env_empty = "ARMOR_API_KEY" in env and not env["ARMOR_API_KEY"].strip()
    if "ARMOR_API_KEY" in env:
        env_layer["api_key"] = env["ARMOR_API_KEY"].strip() or None
    layers.append(("env", env_layer))
    layers.append(("flag", {k: v for k, v in (overrides or {}).items() if v is not None}))

    merged: dict[str, Any] = {}
    provenance: dict[str, str] = {}
    for label, values in layers:
        for key, value in values.items():
            merged[key] = value
            provenance[key] = _env_label(key) if label == "env" else label
    return finish(merged, provenance, warnings, project_file, key_env_empty)


def _env_label(key: str) -> str:
    return {
        "api_url": "env ARMOR_API_URL",
        "timeout": "env ARMOR_TIMEOUT",
        "tier": "env ARMOR_TIER",
        "api_key": "env ARMOR_API_KEY",
        "verify_tls": "env ARMOR_VERIFY_TLS",
    }[key]


def _as_bool(name: str, value: Any, source: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} from {source} must be true or false, got {value!r}", hint="fix it")


def _as_number(name: str, value: Any, source: str, kind: type[float] | type[int]) -> Any:
    try:
        number = kind(value)
    except (TypeError, ValueError):
        number = None
    if number is None or number <= 0 or isinstance(value, bool):
        raise ConfigError(
            f"{name} from {source} must be a positive number, got {value!r}", hint="fix it"
        )
    return number


def _choice(name: str, value: Any, source: str, allowed: tuple[str, ...]) -> str:
    text = str(value).strip().lower()
    if text not in allowed:
        raise ConfigError(
            f"{name} from {source} must be one of {', '.join(allowed)}, got {value!r}",
            hint="fix the value",
        )
    return text


def _budget(value: Any, source: str) -> float | None:
    if value is None:
        return None
    return float(_as_number("sync.apply_budget", value, source, float))


def finish(
    merged: dict[str, Any],
    provenance: dict[str, str],
    warnings: list[str],
    project_file: Path | None,
    key_env_empty: bool,
) -> Settings:
    """Validate merged raw values into Settings (every mistake names its source)."""
    from dbt_armor.api.limiter import tier_limits
    from dbt_armor.api.paths import normalise_base_url

    def src(key: str) -> str:
        return provenance.get(key, "default")

    allow_http = _as_bool("allow_http", merged.get("allow_http", False), src("allow_http"))
    url = normalise_base_url(str(merged.get("api_url") or DEFAULT_API_URL), allow_http=allow_http)
    raw_key = merged.get("api_key")
    key = raw_key if isinstance(raw_key, Secret) else Secret(str(raw_key)) if raw_key else None
    rate = burst = None
    tier = merged.get("tier")
    if tier:
        rate, burst = tier_limits(str(tier))
    if merged.get("rate_limit_per_min") is not None:
        rate = _as_number(
            "rate_limit_per_min", merged["rate_limit_per_min"], src("rate_limit_per_min"), int
        )
    if merged.get("burst") is not None:
        burst = _as_number("burst", merged["burst"], src("burst"), int)
    if rate is not None and burst is None:
        burst = max(1, rate // 20)
    data_sources = merged.get("data_sources") or {}
    if not isinstance(data_sources, dict):
        raise ConfigError(
            f"data_sources from {src('data_sources')} must map target names to data sources",
            hint="e.g. data_sources: {dev: warehouse_dev, '*': warehouse}",
        )
    if not isinstance(merged.get("gate") or {}, dict):
        raise ConfigError(f"gate from {src('gate')} must be a mapping", hint="fix it")
    fields = (
        "api_key", "api_url", "timeout", "tier", "rate_limit_per_min", "burst", "allow_http",
        "verify_tls", "data_sources", "dialect", "naming_case", "gate",
    )  # fmt: skip
    full_provenance = {name: provenance.get(name, "default") for name in fields}
    if tier and "rate_limit_per_min" not in provenance:
        full_provenance["rate_limit_per_min"] = full_provenance["burst"] = src("tier")
    if key_env_empty:
        full_provenance["api_key"] = "env ARMOR_API_KEY (empty: no key)"
    verify_tls = _as_bool("verify_tls", merged.get("verify_tls", True), src("verify_tls"))
    if not verify_tls:
        warnings.append(
            f"TLS verification is disabled (verify_tls from {src('verify_tls')}): anyone between "
            "you and the platform can read the API key; remove it unless this is a test server"
        )
    return Settings(
        api_key=key,
        api_url=url,
        timeout=_as_number(
            "timeout", merged.get("timeout", DEFAULT_TIMEOUT), src("timeout"), float
        ),
        tier=str(tier) if tier else None,
        rate_limit_per_min=rate,
        burst=burst,
        allow_http=allow_http,
        verify_tls=verify_tls,
        data_sources={str(k): str(v) for k, v in data_sources.items()},
        dialect=_choice(
            "sync.dialect", merged.get("dialect", "upper"), src("dialect"), ("upper", "backend")
        ),
        apply_budget=_budget(merged.get("apply_budget"), src("apply_budget")),
        naming_case=_choice(
            "naming.case",
            merged.get("naming_case", "auto"),
            src("naming_case"),
            ("auto", "upper", "lower", "preserve"),
        ),
        gate=dict(merged.get("gate") or {}),
        project_file=project_file,
        provenance=full_provenance,
        warnings=tuple(warnings),
        key_env_empty=key_env_empty,
    )
