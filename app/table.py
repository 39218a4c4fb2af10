"""The run's process table as a viewer rebuilds it: a snapshot, then deltas in order.

One model for every reader of the protocol (the hub, the terminal, the tests' client);
``static/js/state.js`` is its twin in the page.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

Process = dict[str, Any]


class ProcessTable:
    def __init__(self) -> None:
        self.processes: dict[int, Process] = {}
        self.seq = -1

    def apply(self, message: dict[str, Any]) -> bool:
        """Apply a snapshot or a delta; False for any other message (the table is unchanged)."""
        if message.get("type") == "snapshot":
            self.processes = {p["pid"]: p for p in message["processes"]}
        elif message.get("type") == "delta":
            self.update(message.get("changed", []), message.get("removed", []))
        else:
            return False
        self.seq = int(message.get("seq", self.seq + 1))
        return True

    def update(self, changed: Iterable[Process], removed: Iterable[int]) -> None:
        for p in changed:
            self.processes[p["pid"]] = p
        for pid in removed:
            self.processes.pop(pid, None)
