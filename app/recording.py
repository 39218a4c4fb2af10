"""Recordings: every message of a run, as JSON lines, in the data directory."""

from __future__ import annotations

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
