"""The presenter's current run, which every viewer's page follows."""

from __future__ import annotations

import asyncio
from typing import Any


class Lobby:
    """Latest wins: a viewer waits for a change and reads the newest value."""

    def __init__(self) -> None:
        self.current: dict[str, Any] | None = None
        self.version = 0
        self._changed = asyncio.Condition()

    async def set(self, current: dict[str, Any]) -> None:
        async with self._changed:
            self.current = current
            self.version += 1
            self._changed.notify_all()

    async def wait_newer(self, version: int) -> int:
        async with self._changed:
            await self._changed.wait_for(lambda: self.version > version)
            return self.version
