from __future__ import annotations

from fastapi import APIRouter

from app.deps import ManagerDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(manager: ManagerDep) -> dict[str, object]:
    return {"status": "ok", "active_runs": len(manager.active)}
