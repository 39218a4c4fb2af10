from __future__ import annotations

import os
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.deps import SettingsDep
from app.routes.lessons import all_lessons

router = APIRouter(tags=["pages"], include_in_schema=False)


def _page(request: Request, settings: SettingsDep, run_id: str | None) -> Any:
    templates = request.app.state.templates
    return templates.TemplateResponse(
        request,
        "index.html",
        {
            "lessons": [lesson.model_dump() for lesson in all_lessons()],
            "run_id": run_id,
            "token_required": settings.token_required,
            "server_pid": os.getpid(),
        },
    )


@router.get("/", response_class=HTMLResponse)
def index(request: Request, settings: SettingsDep) -> Any:
    return _page(request, settings, None)


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run_page(request: Request, run_id: str, settings: SettingsDep) -> Any:
    return _page(request, settings, run_id)
