from __future__ import annotations

import os
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.deps import LessonsDep, SettingsDep
from app.routes.lessons import all_lessons
from app.security import csp_nonce

router = APIRouter(tags=["pages"], include_in_schema=False)


def _page(request: Request, settings: SettingsDep, store: LessonsDep, run_id: str | None) -> Any:
    templates = request.app.state.templates
    return templates.TemplateResponse(
        request,
        "index.html",
        {
            "lessons": [lesson.model_dump() for lesson in all_lessons(store)],
            "run_id": run_id,
            "token_required": settings.token_required,
            "server_pid": os.getpid(),
            "importmap": request.app.state.importmap.text,
            "csp_nonce": csp_nonce(request.scope),
        },
    )


@router.get("/", response_class=HTMLResponse)
def index(request: Request, settings: SettingsDep, store: LessonsDep) -> Any:
    return _page(request, settings, store, None)


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run_page(request: Request, run_id: str, settings: SettingsDep, store: LessonsDep) -> Any:
    return _page(request, settings, store, run_id)
