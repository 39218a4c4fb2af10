"""Errors as HTTP answers, in one place: status, field, message (the ``Error`` shape)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException
from starlette.routing import Match

from app.lessons import LessonExists, LessonReadOnly
from app.predictions import BadAnswer, NotAQuestion, QuestionNotFound, VoteRefused
from app.programs import ProgramError, ProgramTooLarge
from app.runs import LessonNotFound, NotAMember, NotStepping, RunEnded, RunNotFound, TooManyRuns
from workers.catalog import ParamError
from workers.catalog import shown as quote  # a bad value, as an answer repeats it

FIELD_LIMIT = 64  # characters of a field's name an answer repeats
MESSAGE_LIMIT = 240  # characters of a message, whatever it quotes


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def error_body(field: str | None, message: str) -> bytes:
    # ASCII JSON: a lone surrogate in what we repeat is escaped, never a failed encode.
    detail = {
        "field": None if field is None else clip(field, FIELD_LIMIT),
        "message": clip(message, MESSAGE_LIMIT),
    }
    return json.dumps({"detail": detail}).encode()


def answer(
    status: int, field: str | None, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(
        error_body(field, message), status, headers=headers, media_type="application/json"
    )


def validation_field(error: dict[str, Any]) -> str:
    """The dotted name of what failed (``params.speed``, ``pid``), ``body`` for the whole."""
    named = (error.get("ctx") or {}).get("field")
    if named is not None:
        return str(named)
    if error.get("type") == "json_invalid":
        return "body"
    loc = [str(part) for part in error.get("loc", ())]
    if loc[:1] in (["body"], ["path"], ["query"], ["header"], ["cookie"]):
        loc = loc[1:]
    return ".".join(loc) or "body"


def validation_message(error: dict[str, Any]) -> str:
    if error.get("type") == "json_invalid":
        reason = (error.get("ctx") or {}).get("error", "")
        return f"the body is not valid JSON: {reason}".rstrip(": ")
    return str(error.get("msg", "invalid"))


def allowed_methods(request: Request) -> str:
    """Every method some route takes at this path (Starlette names only the first route's)."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches({**request.scope, "method": "\0"})
        if match is not Match.NONE:
            methods |= getattr(route, "methods", None) or set()
    return ", ".join(sorted(methods))


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> Response:
        error = dict(exc.errors()[0])  # the first is enough to fix; never echoes the input
        return answer(422, validation_field(error), validation_message(error))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if isinstance(exc.detail, dict):
            field, message = exc.detail.get("field"), str(exc.detail.get("message", ""))
        elif exc.status_code == 400:  # FastAPI could not decode the body (e.g. not UTF-8)
            field, message = "body", "the body is not valid JSON text (UTF-8)"
        else:
            field, message = None, str(exc.detail)
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = allowed_methods(request)
        return answer(exc.status_code, field, message, headers)

    @app.exception_handler(RunNotFound)
    async def run_not_found(_: Request, exc: RunNotFound) -> Response:
        return answer(404, "id", f"unknown run {quote(exc.args[0])}")

    @app.exception_handler(LessonNotFound)
    async def lesson_not_found(_: Request, exc: LessonNotFound) -> Response:
        return answer(404, "lesson", f"unknown lesson {quote(exc.args[0])}")

    @app.exception_handler(NotAMember)
    async def not_a_member(_: Request, exc: NotAMember) -> Response:
        return answer(404, "pid", str(exc))

    @app.exception_handler(NotStepping)
    async def not_stepping(_: Request, exc: NotStepping) -> Response:
        return answer(409, "params.step", str(exc))

    @app.exception_handler(RunEnded)
    async def run_ended(_: Request, exc: RunEnded) -> Response:
        return answer(409, "id", str(exc))

    @app.exception_handler(LessonExists)
    async def lesson_exists(_: Request, exc: LessonExists) -> Response:
        return answer(409, "id", str(exc))

    @app.exception_handler(LessonReadOnly)
    async def lesson_read_only(_: Request, exc: LessonReadOnly) -> Response:
        return answer(409, "id", str(exc))

    @app.exception_handler(QuestionNotFound)
    async def question_not_found(_: Request, exc: QuestionNotFound) -> Response:
        return answer(404, "question_id", f"unknown question {quote(exc.args[0])}")

    @app.exception_handler(NotAQuestion)
    async def not_a_question(_: Request, exc: NotAQuestion) -> Response:
        return answer(422, "question", str(exc))

    @app.exception_handler(VoteRefused)
    async def vote_refused(_: Request, exc: VoteRefused) -> Response:
        return answer(409, exc.field, str(exc))

    @app.exception_handler(BadAnswer)
    async def bad_answer(_: Request, exc: BadAnswer) -> Response:
        return answer(422, "answer", str(exc))

    @app.exception_handler(TooManyRuns)
    async def too_many_runs(_: Request, exc: TooManyRuns) -> Response:
        return answer(429, None, str(exc))

    @app.exception_handler(ProgramError)
    async def bad_program(_: Request, exc: ProgramError) -> Response:
        status = 413 if isinstance(exc, ProgramTooLarge) else 422
        return answer(status, exc.field, exc.message)

    @app.exception_handler(ParamError)
    async def bad_param(_: Request, exc: ParamError) -> Response:
        return answer(422, f"params.{exc.field}", exc.reason)
