from __future__ import annotations

from fastapi import APIRouter

from app.deps import ManagerDep
from app.schemas import EVERY_REQUEST, Health

router = APIRouter(tags=["health"], responses=EVERY_REQUEST)


@router.get("/healthz", response_model=Health)
def healthz(manager: ManagerDep) -> Health:
    return Health(status="ok", active_runs=len(manager.active))
