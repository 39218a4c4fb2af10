from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app.deps import SettingsDep
from app.recording import recordings_dir, summarize

router = APIRouter(prefix="/api/recordings", tags=["recordings"])


@router.get("")
def list_recordings(settings: SettingsDep) -> list[dict[str, Any]]:
    """Past runs kept on disk (newest first), replayable from ``/api/runs/{id}/recording``."""
    directory = recordings_dir(settings.data_dir)
    paths = sorted(directory.glob("*.jsonl"), key=lambda p: p.name, reverse=True)
    return [s for s in map(summarize, paths) if s is not None]
