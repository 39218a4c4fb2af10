"""The run manager's errors as HTTP answers, in one place: status, field, message."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from app.runs import LessonNotFound, NotAMember, RunEnded, RunNotFound, TooManyRuns
from workers.catalog import ParamError


def _answer(status: int, field: str | None, message: str) -> JSONResponse:
    return JSONResponse({"detail": {"field": field, "message": message}}, status_code=status)


def install(app: FastAPI) -> None:
    @app.exception_handler(RunNotFound)
    async def run_not_found(_: Request, exc: RunNotFound) -> JSONResponse:
        return _answer(404, "id", f"unknown run {exc.args[0]!r}")

    @app.exception_handler(LessonNotFound)
    async def lesson_not_found(_: Request, exc: LessonNotFound) -> JSONResponse:
        return _answer(404, "lesson", f"unknown lesson {exc.args[0]!r}")

    @app.exception_handler(NotAMember)
    async def not_a_member(_: Request, exc: NotAMember) -> JSONResponse:
        return _answer(404, "pid", str(exc))

    @app.exception_handler(RunEnded)
    async def run_ended(_: Request, exc: RunEnded) -> JSONResponse:
        return _answer(409, "id", str(exc))

    @app.exception_handler(TooManyRuns)
    async def too_many_runs(_: Request, exc: TooManyRuns) -> JSONResponse:
        return _answer(429, None, str(exc))

    @app.exception_handler(ParamError)
    async def bad_param(_: Request, exc: ParamError) -> JSONResponse:
        return _answer(422, f"params.{exc.field}", exc.reason)
