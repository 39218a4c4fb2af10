"""One settings object, read from ``PROCVIZ_*`` environment variables."""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path


class SettingsError(ValueError):
    """An environment variable holds a value procviz cannot use."""


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "procviz"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = field(default_factory=default_data_dir)
    sample_period: float = 0.05
    scan_period: float = 1.0
    max_runs: int = 4
    max_processes: int = 256
    max_duration: float = 900.0
    max_recordings: int = 50
    stop_grace: float = 2.0
    token: str | None = None

    @property
    def token_required(self) -> bool:
        """Control needs the token beyond loopback, or whenever one is configured."""
        return self.token is not None or not is_loopback(self.host)

    def with_token(self) -> Settings:
        """These settings, with a generated presenter token where one is required."""
        if self.token_required and self.token is None:
            return replace(self, token=secrets.token_urlsafe(18))
        return self

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        d = cls()

        def get(name: str, convert: type, default: object, low: float, high: float) -> object:
            raw = env.get(f"PROCVIZ_{name}")
            if raw is None or raw == "":
                return default
            try:
                value = convert(raw)
            except ValueError:
                raise SettingsError(f"PROCVIZ_{name}={raw!r}: not a {convert.__name__}") from None
            if not low <= value <= high:
                raise SettingsError(f"PROCVIZ_{name}={raw!r}: must be in [{low}, {high}]")
            return value

        return cls(
            host=env.get("PROCVIZ_HOST") or d.host,
            port=get("PORT", int, d.port, 0, 65535),  # type: ignore[arg-type]
            data_dir=Path(env.get("PROCVIZ_DATA_DIR") or d.data_dir),
            sample_period=get("SAMPLE_PERIOD", float, d.sample_period, 0.01, 5),  # type: ignore[arg-type]
            scan_period=get("SCAN_PERIOD", float, d.scan_period, 0.05, 10),  # type: ignore[arg-type]
            max_runs=get("MAX_RUNS", int, d.max_runs, 1, 64),  # type: ignore[arg-type]
            max_processes=get("MAX_PROCESSES", int, d.max_processes, 4, 4096),  # type: ignore[arg-type]
            max_duration=get("MAX_DURATION", float, d.max_duration, 1, 86400),  # type: ignore[arg-type]
            max_recordings=get("MAX_RECORDINGS", int, d.max_recordings, 1, 100000),  # type: ignore[arg-type]
            stop_grace=get("STOP_GRACE", float, d.stop_grace, 0.1, 60),  # type: ignore[arg-type]
            token=env.get("PROCVIZ_TOKEN") or None,
        )
