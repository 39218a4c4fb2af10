"""The presenter's current run, which every viewer's page follows, and the current question."""

from __future__ import annotations

import asyncio
from typing import Any


class Lobby:
    """Latest wins: a viewer waits for a change and reads the newest values."""

    def __init__(self) -> None:
        self.current: dict[str, Any] | None = None
        self.question: dict[str, Any] | None = None  # app.predictions: counts, never voters
        self.version = 0
        self._changed = asyncio.Event()

    async def set(self, current: dict[str, Any]) -> None:
        self.current = current
        self._bump()

    def set_question(self, question: dict[str, Any] | None) -> None:
        self.question = question
        self._bump()

    def _bump(self) -> None:
        # Waking every waiter needs no lock: the old event is set, a new one waits.
        self.version += 1
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def wait_newer(self, version: int) -> int:
        while self.version <= version:
            await self._changed.wait()
        return self.version
