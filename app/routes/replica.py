"""A viewer replica's own answers: health, and its runs as read from Redis (app/replica.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Request
from fastapi import Path as PathParam

from app.replica import Replica
from app.schemas import EVERY_REQUEST, Health, RunPublic, error_responses

router = APIRouter(tags=["replica"], responses=EVERY_REQUEST)

RunId = Annotated[str, PathParam(max_length=64)]


def replica_of(request: Request) -> Replica:
    replica: Replica = request.app.state.manager
    return replica


@router.get("/healthz", response_model=Health, responses=error_responses(503))
def healthz(request: Request) -> Health:
    """Healthy while the replica reads from Redis: a load balancer then sends viewers here."""
    replica = replica_of(request)
    if not replica.healthy:
        raise HTTPException(503, {"field": "redis", "message": replica.error})
    return Health(status="ok", active_runs=len(replica.active), role="replica", redis="ok")


@router.get("/api/runs", response_model=list[RunPublic])
def list_runs(request: Request) -> list[RunPublic]:
    runs = reversed(replica_of(request).runs.values())
    return [RunPublic.model_validate(run.hub.public()) for run in runs]


@router.get("/api/runs/{run_id}", response_model=RunPublic, responses=error_responses(404, 422))
def get_run(run_id: RunId, request: Request) -> RunPublic:
    return RunPublic.model_validate(replica_of(request).get(run_id).hub.public())


@router.get("/api/runs/{run_id}/{rest:path}", responses=error_responses(409, 422))
def not_on_a_replica(run_id: RunId, rest: str) -> None:
    """Recordings and live process details are the presenter server's."""
    raise HTTPException(
        409,
        {
            "field": "role",
            "message": f"a viewer replica has no {rest.split('/')[0]!r} of run {run_id}: "
            "ask the presenter server",
        },
    )
