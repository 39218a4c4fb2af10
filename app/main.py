"""Builds the app: settings, the run manager, routers, templates and static files."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

import app
from app import errors, security
from app.importmap import ImportMap
from app.lessons import LessonStore
from app.predictions import Board
from app.reaper import become_subreaper
from app.routes import health, lessons, pages, questions, recordings, runs, ws
from app.runs import RunManager
from app.settings import Settings
from app.webfiles import locate


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = (settings or Settings.from_env()).with_token()
    manager = RunManager(settings)

    @asynccontextmanager
    async def lifespan(api: FastAPI) -> AsyncIterator[None]:
        api.state.subreaper = become_subreaper()
        yield
        await manager.shutdown()

    api = FastAPI(
        title="procviz",
        version=app.__version__,
        summary="Live view of a Python multiprocessing lesson's real process tree.",
        lifespan=lifespan,
    )
    api.state.settings = settings
    api.state.manager = manager
    api.state.board = board = Board(manager.lobby)
    manager.observers.append(board)
    api.state.lessons = LessonStore(settings.data_dir / "lessons")
    web = locate()  # the wheel's copy of the page, or the checkout's (app/webfiles.py)
    api.state.importmap = importmap = ImportMap.build(web.vendor)
    api.state.templates = Jinja2Templates(directory=web.templates)
    api.mount("/static", StaticFiles(directory=web.static, check_dir=False), name="static")
    api.mount("/vendor", StaticFiles(directory=web.vendor, check_dir=False), name="vendor")
    for module in (health, lessons, runs, questions, recordings, ws, pages):
        api.include_router(module.router)
    errors.install(api)
    security.add_to(api, settings, script_hashes=[importmap.csp_hash])
    return api
