"""Recordings: every message of a run, as JSON lines, in the data directory."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import IO


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


def prune(directory: Path, keep: int) -> list[Path]:
    """Delete the oldest recordings beyond ``keep``; the paths removed."""
    files = sorted(directory.glob("*.jsonl"), key=lambda p: p.stat().st_mtime)
    removed = files[: max(0, len(files) - keep)]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


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
        with path.open(encoding="utf-8") as f:
            for line in f:
                if line.startswith('{"type": "run"'):
                    message = json.loads(line)
                    first = first or message
                    last = message
    except (OSError, ValueError):
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
