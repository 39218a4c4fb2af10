from __future__ import annotations

import signal
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import StreamingResponse

from app import programs
from app.deps import LessonsDep, ManagerDep, Presenter, SettingsDep, has_token, token_missing
from app.recording import read_prefix
from app.schemas import (
    CONTROL,
    EVERY_REQUEST,
    MAX_PID,
    BreakpointsRequest,
    ProcessDetail,
    RunCreate,
    RunCreated,
    RunPublic,
    SignalRequest,
    SignalSent,
    StepRequest,
    StepSent,
    error_responses,
)
from workers import catalog

router = APIRouter(prefix="/api/runs", tags=["runs"], responses=EVERY_REQUEST)

Pid = Annotated[int, PathParam(gt=0, le=MAX_PID)]
# Run IDs are short ("20261201-211331-f0ac7e"); a longer one is refused before it reaches
# the file system (a 30 kB one made stat() raise ENAMETOOLONG: a 500).
RunId = Annotated[str, PathParam(max_length=64)]


@router.post(
    "",
    status_code=201,
    response_model=RunCreated,
    dependencies=[Presenter],
    responses={**CONTROL, **error_responses(404, 422)},
)
async def create_run(
    body: RunCreate,
    request: Request,
    manager: ManagerDep,
    settings: SettingsDep,
    lessons: LessonsDep,
) -> RunCreated:
    saved = lessons.get(body.lesson) if body.lesson and not catalog.get(body.lesson) else None
    # Running code is running code: the token is needed always, also on loopback.
    if (body.program is not None or saved is not None) and not has_token(request, settings):
        raise token_missing()
    if body.program is not None:
        program = programs.from_request(body.program.files, body.program.entry, body.program.argv)
        run = await manager.create_program(program, body.params)
    elif saved is not None:  # a lesson of the user's own, run by its id
        program = programs.from_request(saved.files, saved.entry, [])
        run = await manager.create_program(program, body.params, lesson=saved.id)
    else:
        assert body.lesson is not None  # RunCreate holds one or the other
        run = await manager.create(body.lesson, body.params)
    return RunCreated(
        id=run.id,
        lesson=run.lesson,
        params=run.params,
        state=str(run.state),  # type: ignore[arg-type]  # a RunState's value is a StateName
        ws=f"/ws/runs/{run.id}",
    )


@router.get("", response_model=list[RunPublic])
def list_runs(manager: ManagerDep) -> list[RunPublic]:
    return [RunPublic.model_validate(run.public()) for run in reversed(manager.runs.values())]


@router.get("/{run_id}", response_model=RunPublic, responses=error_responses(404, 422))
def get_run(run_id: RunId, manager: ManagerDep) -> RunPublic:
    return RunPublic.model_validate(manager.public(run_id))


@router.post(
    "/{run_id}/stop",
    response_model=RunPublic,
    dependencies=[Presenter],
    responses={**CONTROL, **error_responses(404, 409, 422)},
)
def stop_run(run_id: RunId, manager: ManagerDep) -> RunPublic:
    return RunPublic.model_validate(manager.stop(run_id).public())


@router.post(
    "/{run_id}/freeze",
    response_model=RunPublic,
    dependencies=[Presenter],
    responses={**CONTROL, **error_responses(404, 409, 422)},
)
def freeze_run(run_id: RunId, manager: ManagerDep) -> RunPublic:
    """Freeze the run: SIGSTOP to every process (the tree shows T); clocks go on."""
    return RunPublic.model_validate(manager.freeze(run_id, True).public())


@router.post(
    "/{run_id}/thaw",
    response_model=RunPublic,
    dependencies=[Presenter],
    responses={**CONTROL, **error_responses(404, 409, 422)},
)
def thaw_run(run_id: RunId, manager: ManagerDep) -> RunPublic:
    """Thaw a frozen run: SIGCONT to every process."""
    return RunPublic.model_validate(manager.freeze(run_id, False).public())


@router.post(
    "/{run_id}/step",
    response_model=StepSent,
    dependencies=[Presenter],
    responses={**CONTROL, **error_responses(404, 409, 422)},
)
def step_run(run_id: RunId, body: StepRequest, manager: ManagerDep) -> StepSent:
    """Step mode: let a held process (or all) run one line, to its next event, or on."""
    pids = manager.step(run_id, body.pid, body.mode)
    return StepSent(run=run_id, mode=body.mode, pids=pids)


@router.put(
    "/{run_id}/breakpoints",
    response_model=RunPublic,
    dependencies=[Presenter],
    responses={**CONTROL, **error_responses(404, 409, 422)},
)
def put_breakpoints(run_id: RunId, body: BreakpointsRequest, manager: ManagerDep) -> RunPublic:
    """Step mode: the lines where every process going on in ``run`` mode holds."""
    lines = [(b.file, b.line) for b in body.lines]
    return RunPublic.model_validate(manager.set_breakpoints(run_id, lines).public())


@router.post(
    "/{run_id}/signal",
    response_model=SignalSent,
    dependencies=[Presenter],
    responses={**CONTROL, **error_responses(404, 422)},
)
def signal_process(run_id: RunId, body: SignalRequest, manager: ManagerDep) -> SignalSent:
    manager.signal(run_id, body.pid, signal.Signals[body.signal])
    return SignalSent(run=run_id, pid=body.pid, signal=body.signal, sent=True)


@router.get(
    "/{run_id}/processes/{pid}",
    response_model=ProcessDetail,
    responses=error_responses(404, 422),
)
def get_process(run_id: RunId, pid: Pid, manager: ManagerDep) -> ProcessDetail:
    """A live process's details: its record plus its command line."""
    return ProcessDetail.model_validate(manager.process(run_id, pid))


@router.get(
    "/{run_id}/recording",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}}}, **error_responses(404, 422)},
)
def get_recording(run_id: RunId, manager: ManagerDep) -> StreamingResponse:
    path, size = manager.recording_extent(run_id)  # a consistent prefix of an active run's
    return StreamingResponse(
        read_prefix(path, size),
        media_type="application/x-ndjson",
        headers={
            "Content-Length": str(size),
            "Content-Disposition": f'attachment; filename="{run_id}.jsonl"',
        },
    )
