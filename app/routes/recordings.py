from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

from app.deps import SettingsDep
from app.recording import recordings_dir, summarize
from app.schemas import EVERY_REQUEST, RecordingSummary

router = APIRouter(prefix="/api/recordings", tags=["recordings"], responses=EVERY_REQUEST)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:  # pruned meanwhile
        return 0.0


@router.get("", response_model=list[RecordingSummary])
def list_recordings(settings: SettingsDep) -> list[RecordingSummary]:
    """Past runs kept on disk (newest first), replayable from ``/api/runs/{id}/recording``."""
    directory = recordings_dir(settings.data_dir)
    paths = sorted(directory.glob("*.jsonl"), key=_mtime, reverse=True)
    return [RecordingSummary.model_validate(s) for s in map(summarize, paths) if s is not None]
