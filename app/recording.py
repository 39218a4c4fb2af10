"""Recordings: every message of a run, as JSON lines, in the data directory.

A recording is flushed at least once a second while its run is active (the run
manager's clock), so a crash loses at most the last second; at the next start-up
a recording whose run never ended is closed with an ``interrupted`` run message.
"""

from __future__ import annotations

import functools
import json
import os
import time
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import IO

from app.states import ENDED, RunState

CHUNK = 64 * 1024


class Recorder:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._file: IO[str] | None = path.open("w", encoding="utf-8")

    def __call__(self, text: str) -> None:
        """Append one message, already serialised."""
        if self._file is not None:
            self._file.write(text + "\n")

    def flush(self) -> None:
        if self._file is not None:
            self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def recordings_dir(data_dir: Path) -> Path:
    return data_dir / "recordings"


def prune(directory: Path, keep: int, active: Collection[Path] = ()) -> list[Path]:
    """Delete the oldest recordings beyond ``keep``, never an active run's; those removed."""
    files = sorted((p for p in directory.glob("*.jsonl") if p not in active), key=_mtime)
    removed = files[: max(0, len(files) + len(active) - keep)]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def complete_size(path: Path) -> int:
    """The size of the file up to its last complete line: a consistent prefix."""
    with path.open("rb") as f:
        size = f.seek(0, os.SEEK_END)
        while size > 0:
            start = max(0, size - CHUNK)
            f.seek(start)
            block = f.read(size - start)
            newline = block.rfind(b"\n")
            if newline >= 0:
                return start + newline + 1
            size = start
    return 0


def read_prefix(path: Path, size: int) -> Iterator[bytes]:
    """The first ``size`` bytes, in chunks (the file may grow meanwhile)."""
    with path.open("rb") as f:
        left = size
        while left > 0:
            chunk = f.read(min(CHUNK, left))
            if not chunk:
                return
            left -= len(chunk)
            yield chunk


def close_interrupted(directory: Path) -> list[Path]:
    """At start-up: end every recording whose run never ended (its server died)."""
    closed = []
    for path in directory.glob("*.jsonl"):
        try:
            if path.stat().st_size == 0:
                path.unlink()  # a run that never wrote its first line: nothing to show
                continue
        except OSError:
            continue
        summary = summarize(path)
        if summary is None or summary["state"] in ENDED:
            continue
        size = complete_size(path)
        with path.open("r+b") as f:
            f.truncate(size)  # a line cut by the crash is not JSON
            f.seek(size)
            message = {
                "type": "run",
                "run": path.stem,
                "t": time.time(),
                **{k: summary[k] for k in ("lesson", "params", "started", "result")},
                "state": str(RunState.INTERRUPTED),
                "ended": path.stat().st_mtime,
                "stop_reason": "the server stopped before the run ended",
            }
            f.write((json.dumps(message, ensure_ascii=False) + "\n").encode())
        closed.append(path)
    return closed


def summarize(path: Path) -> dict[str, object] | None:
    """A recording's run, from its first and last ``run`` messages (None if unreadable).

    Cached by size and modification time: a finished recording is read once.
    """
    try:
        st = path.stat()
    except OSError:
        return None
    return _summarize(str(path), st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=1024)
def _summarize(name: str, mtime_ns: int, size: int) -> dict[str, object] | None:
    path = Path(name)
    first: dict[str, object] | None = None
    last: dict[str, object] | None = None
    try:
        with path.open(encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith('{"type": "run"'):
                    try:
                        message = json.loads(line)
                    except ValueError:
                        continue  # the last line, cut by a crash
                    first = first or message
                    last = message
    except OSError:
        return None
    if first is None or last is None:
        return None
    return {
        "id": path.stem,
        "lesson": first.get("lesson"),
        "params": first.get("params"),
        "state": last.get("state"),
        "started": first.get("started"),
        "ended": last.get("ended"),
        "result": last.get("result"),
        "size": size,
    }
