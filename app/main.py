"""Builds the app: settings, the run manager (or a replica's mirrors), routers, the page."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

import app
from app import errors, security
from app.fanout import Publisher
from app.importmap import ImportMap
from app.lessons import LessonStore
from app.predictions import Board
from app.reaper import become_subreaper
from app.replica import ReadOnly, Replica
from app.routes import health, lessons, pages, questions, recordings, replica, runs, ws
from app.runs import RunManager
from app.settings import Settings
from app.webfiles import locate


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = (settings or Settings.from_env()).with_token()
    if settings.replica:
        return _build(settings, Replica(settings))
    publisher = Publisher(settings) if settings.redis_url else None
    return _build(settings, RunManager(settings, publisher=publisher))


def _build(settings: Settings, manager: RunManager | Replica) -> FastAPI:
    @asynccontextmanager
    async def lifespan(api: FastAPI) -> AsyncIterator[None]:
        if isinstance(manager, Replica):
            manager.start()
            yield
            await manager.shutdown()
            return
        api.state.subreaper = become_subreaper()
        if manager.publisher is not None:
            manager.publisher.start()
        yield
        await manager.shutdown()
        if manager.publisher is not None:
            await manager.publisher.close()  # the runs' last messages, then stop

    api = FastAPI(
        title="procviz",
        version=app.__version__,
        summary="Live view of a Python multiprocessing lesson's real process tree.",
        lifespan=lifespan,
    )
    api.state.settings = settings
    # A replica's mirrors answer what the WebSocket routes ask of a run manager.
    api.state.manager = manager
    if isinstance(manager, RunManager):  # questions are asked of the presenter server only
        api.state.board = board = Board(manager.lobby)
        manager.observers.append(board)
    api.state.lessons = LessonStore(settings.data_dir / "lessons")
    web = locate()  # the wheel's copy of the page, or the checkout's (app/webfiles.py)
    api.state.importmap = importmap = ImportMap.build(web.vendor)
    api.state.templates = Jinja2Templates(directory=web.templates)
    api.mount("/static", StaticFiles(directory=web.static, check_dir=False), name="static")
    api.mount("/vendor", StaticFiles(directory=web.vendor, check_dir=False), name="vendor")
    routers = (replica,) if settings.replica else (health, runs, questions)
    for module in (*routers, lessons, recordings, ws, pages):
        api.include_router(module.router)
    errors.install(api)
    if settings.replica:  # innermost: the security checks still come first
        api.add_middleware(ReadOnly, presenter_url=settings.presenter_url)
    security.add_to(api, settings, script_hashes=[importmap.csp_hash])
    return api
