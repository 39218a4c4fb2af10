"""Run a program under the tracer, as the server will, and collect what it reports."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app import channel
from tests.conftest import MARK, ROOT

PROGRAMS = ROOT / "tests" / "programs"
BOOT = ROOT / "workers" / "trace" / "boot"


@dataclass
class Traced:
    returncode: int
    stdout: str  # what bypassed the tracer (it reports output as events)
    stderr: str
    root: int
    events: list[dict[str, Any]] = field(default_factory=list)

    def of(self, kind: str, pid: int | None = None) -> list[dict[str, Any]]:
        return [e for e in self.events if e["kind"] == kind and (pid is None or e["pid"] == pid)]

    def lines(self, kind: str = "stdout", pid: int | None = None) -> list[str]:
        return [e["data"]["line"] for e in self.of(kind, pid)]

    def children(self, role: str = "child") -> set[int]:
        return {e["pid"] for e in self.of("spawn") if e["data"].get("role") == role} - {self.root}


def env(channel_path: str, **extra: str) -> dict[str, str]:
    key, mark = MARK.split("=")
    return {
        **os.environ,
        "PROCVIZ_EVENTS": channel_path,
        key: mark,  # the leftover check finds this run's processes by it
        "PYTHONPATH": os.pathsep.join([str(BOOT), str(ROOT)]),
        **extra,
    }


def trace_run(
    program: str | Path,
    *args: str,
    cwd: Path | None = None,
    start_method: str | None = None,
    speed: float | None = None,
    timeout: float = 60,
    runner: bool = True,
) -> Traced:
    """Run ``tests/programs/<program>`` through ``python -m workers.trace.script``.

    ``runner=False``: as ``python SCRIPT``, traced by the bootstrap alone.
    """
    script = PROGRAMS / program if isinstance(program, str) else program
    sockdir = tempfile.mkdtemp(prefix="pvt-")  # short: AF_UNIX paths are limited
    path = os.path.join(sockdir, "events.sock")
    sock = channel.open_channel(Path(path))
    argv = [sys.executable, "-m", "workers.trace.script"] if runner else [sys.executable]
    if start_method:
        argv += ["--start-method", start_method]
    if speed is not None:
        argv += ["--speed", str(speed)]
    argv += [str(script), *args]
    got: list[dict[str, Any]] = []
    popen = subprocess.Popen(
        argv,
        cwd=cwd or ROOT,
        env=env(path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + timeout
        quiet_since: float | None = None
        while time.monotonic() < deadline:
            ready, _, _ = select.select([sock], [], [], 0.05)
            if ready:
                got += [_as_dict(e) for e in channel.drain(sock)]
                quiet_since = None
            elif popen.poll() is not None:
                # The root is gone; what its last processes sent is in by now.
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since > 0.3:
                    break
        else:
            raise AssertionError(f"{program} did not end within {timeout} s")
        out, err = popen.communicate(timeout=10)
    finally:
        if popen.poll() is None:
            os.killpg(popen.pid, signal.SIGKILL)
            popen.wait()
        sock.close()
        os.unlink(path)
        os.rmdir(sockdir)
    return Traced(popen.returncode, out.decode(), err.decode(), popen.pid, got)


def _as_dict(event: Any) -> dict[str, Any]:
    return {"pid": event.pid, "kind": event.kind, "t": event.t, "data": event.data}
