from __future__ import annotations

from fastapi import APIRouter

from app.deps import ManagerDep
from app.schemas import EVERY_REQUEST, Health

router = APIRouter(tags=["health"], responses=EVERY_REQUEST)


@router.get("/healthz", response_model=Health)
def healthz(manager: ManagerDep) -> Health:
    publisher = manager.publisher  # Redis down: the presenter still serves its own viewers
    redis = None if publisher is None else publisher.error or "ok"
    return Health(status="ok", active_runs=len(manager.active), redis=redis)
