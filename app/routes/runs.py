from __future__ import annotations

import signal
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse

from app.deps import ManagerDep, Presenter
from app.schemas import Error, RunCreate, RunCreated, RunPublic, SignalRequest

router = APIRouter(prefix="/api/runs", tags=["runs"])


@router.post(
    "",
    status_code=201,
    response_model=RunCreated,
    dependencies=[Presenter],
    responses={404: {"model": Error}, 422: {"model": Error}, 429: {"model": Error}},
)
async def create_run(body: RunCreate, manager: ManagerDep) -> dict[str, Any]:
    run = await manager.create(body.lesson, body.params)
    return {
        "id": run.id,
        "lesson": run.lesson,
        "params": run.params,
        "state": str(run.state),
        "ws": f"/ws/runs/{run.id}",
    }


@router.get("", response_model=list[RunPublic])
def list_runs(manager: ManagerDep) -> list[dict[str, Any]]:
    return [run.public() for run in reversed(manager.runs.values())]


@router.get("/{run_id}", response_model=RunPublic, responses={404: {"model": Error}})
def get_run(run_id: str, manager: ManagerDep) -> dict[str, Any]:
    return manager.public(run_id)


@router.post(
    "/{run_id}/stop",
    response_model=RunPublic,
    dependencies=[Presenter],
    responses={404: {"model": Error}, 409: {"model": Error}},
)
def stop_run(run_id: str, manager: ManagerDep) -> dict[str, Any]:
    return manager.stop(run_id).public()


@router.post("/{run_id}/signal", dependencies=[Presenter], responses={404: {"model": Error}})
def signal_process(run_id: str, body: SignalRequest, manager: ManagerDep) -> dict[str, Any]:
    manager.signal(run_id, body.pid, signal.Signals[body.signal])
    return {"run": run_id, "pid": body.pid, "signal": body.signal, "sent": True}


@router.get("/{run_id}/processes/{pid}", responses={404: {"model": Error}})
def get_process(run_id: str, pid: int, manager: ManagerDep) -> dict[str, Any]:
    """A live process's details: its record plus its command line."""
    return manager.process(run_id, pid)


@router.get(
    "/{run_id}/recording",
    response_class=FileResponse,
    responses={200: {"content": {"application/x-ndjson": {}}}, 404: {"model": Error}},
)
def get_recording(run_id: str, manager: ManagerDep) -> FileResponse:
    path = manager.recording(run_id)
    return FileResponse(path, media_type="application/x-ndjson", filename=f"{run_id}.jsonl")
