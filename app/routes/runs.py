from __future__ import annotations

import signal
from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

from app.deps import ManagerDep, Presenter
from app.runs import LessonNotFound, NotAMember, RunEnded, RunNotFound, TooManyRuns
from app.schemas import Error, RunCreate, RunCreated, RunPublic, SignalRequest
from workers.catalog import ParamError

router = APIRouter(prefix="/api/runs", tags=["runs"])


def _not_found(run_id: str) -> HTTPException:
    return HTTPException(404, {"field": "id", "message": f"unknown run {run_id!r}"})


@router.post(
    "",
    status_code=201,
    response_model=RunCreated,
    dependencies=[Presenter],
    responses={404: {"model": Error}, 422: {"model": Error}, 429: {"model": Error}},
)
async def create_run(body: RunCreate, manager: ManagerDep) -> dict[str, Any]:
    try:
        run = await manager.create(body.lesson, body.params)
    except LessonNotFound:
        raise HTTPException(
            404, {"field": "lesson", "message": f"unknown lesson {body.lesson!r}"}
        ) from None
    except ParamError as exc:
        raise HTTPException(422, {"field": f"params.{exc.field}", "message": exc.reason}) from None
    except TooManyRuns as exc:
        raise HTTPException(429, {"field": None, "message": str(exc)}) from None
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
    try:
        return manager.public(run_id)
    except RunNotFound:
        raise _not_found(run_id) from None


@router.post(
    "/{run_id}/stop",
    response_model=RunPublic,
    dependencies=[Presenter],
    responses={404: {"model": Error}, 409: {"model": Error}},
)
def stop_run(run_id: str, manager: ManagerDep) -> dict[str, Any]:
    try:
        return manager.stop(run_id).public()
    except RunNotFound:
        raise _not_found(run_id) from None
    except RunEnded as exc:
        raise HTTPException(409, {"field": "id", "message": str(exc)}) from None


@router.post(
    "/{run_id}/signal",
    dependencies=[Presenter],
    responses={404: {"model": Error}},
)
def signal_process(run_id: str, body: SignalRequest, manager: ManagerDep) -> dict[str, Any]:
    try:
        manager.signal(run_id, body.pid, signal.Signals[body.signal])
    except RunNotFound:
        raise _not_found(run_id) from None
    except (NotAMember, ProcessLookupError) as exc:
        raise HTTPException(404, {"field": "pid", "message": str(exc)}) from None
    return {"run": run_id, "pid": body.pid, "signal": body.signal, "sent": True}


@router.get("/{run_id}/processes/{pid}", responses={404: {"model": Error}})
def get_process(run_id: str, pid: int, manager: ManagerDep) -> dict[str, Any]:
    """A live process's details: its record plus its command line."""
    try:
        return manager.process(run_id, pid)
    except RunNotFound:
        raise _not_found(run_id) from None
    except NotAMember as exc:
        raise HTTPException(404, {"field": "pid", "message": str(exc)}) from None


@router.get(
    "/{run_id}/recording",
    response_class=FileResponse,
    responses={200: {"content": {"application/x-ndjson": {}}}, 404: {"model": Error}},
)
def get_recording(run_id: str, manager: ManagerDep) -> FileResponse:
    try:
        path = manager.recording(run_id)
    except RunNotFound:
        raise _not_found(run_id) from None
    return FileResponse(path, media_type="application/x-ndjson", filename=f"{run_id}.jsonl")
