from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter

from app.deps import SettingsDep
from app.recording import recordings_dir, summarize

router = APIRouter(prefix="/api/recordings", tags=["recordings"])


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:  # pruned meanwhile
        return 0.0


@router.get("")
def list_recordings(settings: SettingsDep) -> list[dict[str, Any]]:
    """Past runs kept on disk (newest first), replayable from ``/api/runs/{id}/recording``."""
    directory = recordings_dir(settings.data_dir)
    paths = sorted(directory.glob("*.jsonl"), key=_mtime, reverse=True)
    return [s for s in map(summarize, paths) if s is not None]
