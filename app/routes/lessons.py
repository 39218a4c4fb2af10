from __future__ import annotations

import functools
from typing import Annotated

from fastapi import APIRouter, Response
from fastapi import Path as PathParam
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

from app.deps import LessonsDep, TokenAlways
from app.lessons import LessonStore, SavedLesson
from app.predictions import spec_public
from app.runs import LessonNotFound
from app.schemas import (
    CONTROL,
    EVERY_REQUEST,
    LessonCreate,
    LessonDetail,
    LessonPublic,
    LessonUpdate,
    QuestionSpec,
    error_responses,
    program_params_schema,
)
from workers import catalog

router = APIRouter(prefix="/api/lessons", tags=["lessons"], responses=EVERY_REQUEST)
LessonId = Annotated[str, PathParam(max_length=64)]


def lesson_public(lesson: catalog.Lesson) -> LessonPublic:
    return LessonPublic(
        id=lesson.id,
        chapter=lesson.chapter,
        title=dict(lesson.title),
        summary=dict(lesson.summary),
        watch=dict(lesson.watch),
        punchline=dict(lesson.punchline),
        result_keys=list(lesson.result_keys),
        params=lesson.schema(),
        questions=[QuestionSpec.model_validate(spec_public(q)) for q in lesson.questions],
    )


def saved_public(lesson: SavedLesson) -> LessonPublic:
    return LessonPublic(
        id=lesson.id,
        chapter="",
        title=lesson.title or {"en": lesson.id, "zh": lesson.id},
        summary={},
        watch={},
        punchline={},
        result_keys=[],
        params=program_params_schema(),
        builtin=False,
    )


def all_lessons(store: LessonStore) -> list[LessonPublic]:
    builtins = [lesson_public(entry.lesson) for entry in catalog.registry().values()]
    return builtins + [saved_public(lesson) for lesson in store.list()]


def builtin_program(entry: catalog.LessonEntry) -> tuple[dict[str, str], str]:
    """A built-in lesson's files and entry (its lecture script and data files)."""
    return entry.files(), entry.entry


@functools.lru_cache(maxsize=256)
def highlighted(source: str) -> str:
    return highlight(source, PythonLexer(), HtmlFormatter(linespans="line", wrapcode=True))


def detail(public: LessonPublic, files: dict[str, str], entry: str) -> LessonDetail:
    source = files.get(entry, "")
    return LessonDetail(
        **public.model_dump(),
        source=source,
        source_html=highlighted(source),
        files=files,
        entry=entry,
    )


@router.get("", response_model=list[LessonPublic])
def list_lessons(store: LessonsDep) -> list[LessonPublic]:
    """The built-in lessons in lecture order, then the user's own (``builtin: false``)."""
    return all_lessons(store)


@router.get("/{lesson_id}", response_model=LessonDetail, responses=error_responses(404, 422))
def get_lesson(lesson_id: LessonId, store: LessonsDep) -> LessonDetail:
    entry = catalog.get(lesson_id)
    if entry is not None:
        return detail(lesson_public(entry.lesson), *builtin_program(entry))
    saved = store.get(lesson_id)
    if saved is None:
        raise LessonNotFound(lesson_id)
    return detail(saved_public(saved), saved.files, saved.entry)


@router.post(
    "",
    status_code=201,
    response_model=LessonDetail,
    dependencies=[TokenAlways],
    responses={**CONTROL, **error_responses(409, 422)},
)
def create_lesson(body: LessonCreate, store: LessonsDep) -> LessonDetail:
    """Save a program as a lesson of one's own; its id is given or made from the title."""
    title = body.title.model_dump() if body.title else None
    saved = store.create(body.files, body.entry, title, body.id)
    return detail(saved_public(saved), saved.files, saved.entry)


@router.put(
    "/{lesson_id}",
    response_model=LessonDetail,
    dependencies=[TokenAlways],
    responses={**CONTROL, **error_responses(404, 409, 422)},
)
def update_lesson(lesson_id: LessonId, body: LessonUpdate, store: LessonsDep) -> LessonDetail:
    """Replace a lesson of one's own (built-ins are read-only: 409); the title is kept when
    none is given."""
    title = body.title.model_dump() if body.title else None
    try:
        saved = store.update(lesson_id, body.files, body.entry, title)
    except KeyError:
        raise LessonNotFound(lesson_id) from None
    return detail(saved_public(saved), saved.files, saved.entry)


@router.delete(
    "/{lesson_id}",
    status_code=204,
    response_class=Response,
    dependencies=[TokenAlways],
    responses={**CONTROL, **error_responses(404, 409, 422)},
)
def delete_lesson(lesson_id: LessonId, store: LessonsDep) -> Response:
    try:
        store.delete(lesson_id)
    except KeyError:
        raise LessonNotFound(lesson_id) from None
    return Response(status_code=204)
