"""Dependencies shared by the routers, as ``Annotated`` aliases."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from app.lessons import LessonStore
from app.runs import RunManager
from app.settings import Settings


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_manager(request: Request) -> RunManager:
    manager: RunManager = request.app.state.manager
    return manager


def presented_token(request: Request) -> str | None:
    """The token a request carries: ``Authorization: Bearer``, ``?token=`` or a cookie."""
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return request.query_params.get("token") or request.cookies.get("procviz_token")


def is_presenter(request: Request, settings: Settings) -> bool:
    if not settings.token_required:
        return True
    return has_token(request, settings)


def has_token(request: Request, settings: Settings) -> bool:
    """The request carries the presenter token (needed for programs, also on loopback)."""
    token = presented_token(request)
    return (
        token is not None
        and settings.token is not None
        and secrets.compare_digest(token.encode(), settings.token.encode())
    )


def require_presenter(
    request: Request, settings: Annotated[Settings, Depends(get_settings)]
) -> None:
    if not is_presenter(request, settings):
        raise token_missing()


def require_token(request: Request, settings: Annotated[Settings, Depends(get_settings)]) -> None:
    """Code that will run (a program, a saved lesson) needs the token, also on loopback."""
    if not has_token(request, settings):
        raise token_missing()


def get_lessons(request: Request) -> LessonStore:
    store: LessonStore = request.app.state.lessons
    return store


def token_missing() -> HTTPException:
    return HTTPException(
        status_code=401,
        detail={
            "field": "token",
            "message": "presenter token required: viewers watch read-only "
            "(send 'Authorization: Bearer <token>' or open the presenter URL)",
        },
        headers={"WWW-Authenticate": "Bearer"},
    )


SettingsDep = Annotated[Settings, Depends(get_settings)]
ManagerDep = Annotated[RunManager, Depends(get_manager)]
LessonsDep = Annotated[LessonStore, Depends(get_lessons)]
Presenter = Depends(require_presenter)
TokenAlways = Depends(require_token)
