"""One settings object, read from ``PROCVIZ_*`` environment variables."""

from __future__ import annotations

import ipaddress
import os
import pwd
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


def parse_hosts(raw: str) -> tuple[str, ...]:
    """``PROCVIZ_ALLOWED_HOSTS``: comma-separated names (``*.example.org``, or ``*`` for any)."""
    return tuple(h.strip().lower() for h in raw.split(",") if h.strip())


def parse_body_limits(raw: str) -> tuple[tuple[str, int], ...]:
    """``PROCVIZ_BODY_LIMITS``: ``/api/prefix=bytes,...``, a body limit per path prefix."""
    limits = []
    for item in filter(None, (i.strip() for i in raw.split(","))):
        prefix, sep, size = item.partition("=")
        if not sep or not prefix.startswith("/") or not size.strip().isdigit():
            raise SettingsError(f"PROCVIZ_BODY_LIMITS: {item!r} is not /path/prefix=bytes")
        limits.append((prefix.strip(), int(size)))
    return tuple(limits)


ROLES = ("presenter", "replica")
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


def redis_url_from(raw: str | None) -> str | None:
    """``PROCVIZ_REDIS_URL``: where run messages are published (presenter) or read (replica)."""
    if raw is None or raw.strip() == "":
        return None
    if not raw.startswith(REDIS_SCHEMES):
        raise SettingsError(
            f"PROCVIZ_REDIS_URL={shown_url(raw)!r}: must start with {', '.join(REDIS_SCHEMES)}"
        )
    return raw


def shown_url(url: str) -> str:
    """A Redis URL as logs and errors may show it: without its password."""
    scheme, sep, rest = url.partition("://")
    userinfo, at, host = rest.rpartition("@")
    if not sep or not at:
        return url
    user = userinfo.split(":", 1)[0]
    return f"{scheme}://{user + ':' if user else ''}***@{host}"


def run_user_from(raw: str | None) -> str | None:
    """``PROCVIZ_RUN_USER``: who runs execute as; by default ``nobody`` when we are root.

    ``root`` (or the server's own user) keeps runs as the server's user: a careless
    choice on a shared machine, allowed because it is explicit.
    """
    if raw is None or raw == "":
        return "nobody" if os.geteuid() == 0 else None
    try:
        entry = pwd.getpwnam(raw) if not raw.isdigit() else pwd.getpwuid(int(raw))
    except KeyError:
        raise SettingsError(f"PROCVIZ_RUN_USER={raw!r}: no such user") from None
    return None if entry.pw_uid == os.geteuid() else entry.pw_name


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
    # Containing a run (issue 7): stalls, the unprivileged user runs execute as, and
    # which PROCVIZ_* variables (none are by default: the token is one) reach a run.
    stall_seconds: float = 5.0
    # Frozen time does not count toward max_duration, up to this much per run.
    max_frozen: float = 1800.0
    run_user: str | None = None
    pass_env: tuple[str, ...] = ()
    token: str | None = None
    # Safe in front of a hall (issue 8): hosts, input bounds, per-client limits.
    allowed_hosts: tuple[str, ...] = ()
    max_body: int = 64 * 1024
    # A program's files (up to 1 MiB of text, escaped in JSON) come in POST /api/runs and
    # in a saved lesson (/api/lessons); the runs' other routes keep the control API's limit.
    body_limits: tuple[tuple[str, int], ...] = (
        ("/api/runs/", 64 * 1024),
        ("/api/runs", 3 << 20),
        ("/api/lessons", 3 << 20),
    )
    max_header: int = 64 * 1024
    control_rate: float = 20.0
    control_burst: int = 40
    max_ws_per_client: int = 1000
    # permessage-deflate on WebSockets: off, because it compresses the same bytes once per
    # viewer (bench/fanout.py has the figures); on for viewers behind a thin link.
    ws_deflate: bool = False
    # Beyond one server (issue 11): the presenter publishes every run message to Redis;
    # viewer replicas serve them read-only from there (app/fanout.py, app/replica.py).
    redis_url: str | None = None
    role: str = "presenter"  # presenter | replica
    redis_prefix: str = "procviz"  # of every key, so presenters can share one Redis
    redis_maxlen: int = 20_000  # entries kept in a run's stream (approximately)
    redis_ttl: float = 3600.0  # seconds a run's stream is kept after the run ended
    presenter_url: str | None = None  # a replica's page links control there

    # The token was generated at start-up, not configured (see with_token).
    token_generated: bool = False

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise SettingsError(f"PROCVIZ_ROLE={self.role!r}: must be one of {', '.join(ROLES)}")
        if self.role == "replica" and self.redis_url is None:
            raise SettingsError(
                "a viewer replica (PROCVIZ_ROLE=replica, serve --replica) reads its runs from "
                "Redis: set PROCVIZ_REDIS_URL"
            )

    @property
    def replica(self) -> bool:
        return self.role == "replica"

    @property
    def token_required(self) -> bool:
        """Control of built-in lessons needs the token beyond loopback, or whenever the
        operator configured one. Programs of the user's own need it always."""
        if self.replica:
            return True  # nothing is controlled on a viewer replica: its page is a viewer's
        return (self.token is not None and not self.token_generated) or not is_loopback(self.host)

    def with_token(self) -> Settings:
        """These settings with a presenter token: generated if none is configured (running
        a program of one's own needs it even on loopback, as Jupyter does)."""
        if self.token is None:
            return replace(self, token=secrets.token_urlsafe(18), token_generated=True)
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
            stall_seconds=get("STALL_SECONDS", float, d.stall_seconds, 0.5, 3600),  # type: ignore[arg-type]
            max_frozen=get("MAX_FROZEN", float, d.max_frozen, 0, 86400),  # type: ignore[arg-type]
            run_user=run_user_from(env.get("PROCVIZ_RUN_USER")),
            pass_env=tuple(
                n.strip() for n in env.get("PROCVIZ_PASS_ENV", "").split(",") if n.strip()
            ),
            token=env.get("PROCVIZ_TOKEN") or None,
            allowed_hosts=parse_hosts(env.get("PROCVIZ_ALLOWED_HOSTS", "")),
            max_body=get("MAX_BODY", int, d.max_body, 1024, 1 << 30),  # type: ignore[arg-type]
            body_limits=parse_body_limits(env["PROCVIZ_BODY_LIMITS"])
            if env.get("PROCVIZ_BODY_LIMITS")
            else d.body_limits,
            max_header=get("MAX_HEADER", int, d.max_header, 4096, 1 << 24),  # type: ignore[arg-type]
            control_rate=get("CONTROL_RATE", float, d.control_rate, 0.1, 1e6),  # type: ignore[arg-type]
            control_burst=get("CONTROL_BURST", int, d.control_burst, 1, 10**7),  # type: ignore[arg-type]
            max_ws_per_client=get("MAX_WS_PER_CLIENT", int, d.max_ws_per_client, 1, 10**6),  # type: ignore[arg-type]
            ws_deflate=bool(get("WS_DEFLATE", int, int(d.ws_deflate), 0, 1)),
            redis_url=redis_url_from(env.get("PROCVIZ_REDIS_URL")),
            role=env.get("PROCVIZ_ROLE") or d.role,
            redis_prefix=env.get("PROCVIZ_REDIS_PREFIX") or d.redis_prefix,
            redis_maxlen=get("REDIS_MAXLEN", int, d.redis_maxlen, 100, 10**8),  # type: ignore[arg-type]
            redis_ttl=get("REDIS_TTL", float, d.redis_ttl, 1, 30 * 86400),  # type: ignore[arg-type]
            presenter_url=env.get("PROCVIZ_PRESENTER_URL") or None,
        )
