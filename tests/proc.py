"""OS truth, read from /proc from outside the server: what the tests and the soak bench check
the server's word against."""

from __future__ import annotations

import os
from pathlib import Path


def zombies_of(ppid: int) -> list[int]:
    """Zombie children of ``ppid``."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry.name}/stat").read_bytes()
        except OSError:
            continue
        fields = raw[raw.rfind(b")") + 2 :].split()
        if fields[0] == b"Z" and int(fields[1]) == ppid:
            found.append(int(entry.name))
    return found


def status_field(pid: int, name: str) -> str:
    """One field of /proc/PID/status (``State``, ``Uid``, ``VmRSS``...)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"no {name} in /proc/{pid}/status")
