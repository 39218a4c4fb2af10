from __future__ import annotations

import functools
import inspect
from typing import Annotated

from fastapi import APIRouter
from fastapi import Path as PathParam
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

from app.runs import LessonNotFound
from app.schemas import EVERY_REQUEST, LessonDetail, LessonPublic, error_responses
from workers import catalog

router = APIRouter(prefix="/api/lessons", tags=["lessons"], responses=EVERY_REQUEST)


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
    )


def all_lessons() -> list[LessonPublic]:
    return [lesson_public(entry.lesson) for entry in catalog.registry().values()]


@functools.cache
def _source(lesson_id: str) -> tuple[str, str]:
    source = inspect.getsource(catalog.registry()[lesson_id].module)
    html = highlight(source, PythonLexer(), HtmlFormatter(linespans="line", wrapcode=True))
    return source, html


@router.get("", response_model=list[LessonPublic])
def list_lessons() -> list[LessonPublic]:
    return all_lessons()


@router.get("/{lesson_id}", response_model=LessonDetail, responses=error_responses(404, 422))
def get_lesson(lesson_id: Annotated[str, PathParam(max_length=64)]) -> LessonDetail:
    entry = catalog.get(lesson_id)
    if entry is None:
        raise LessonNotFound(lesson_id)
    source, html = _source(lesson_id)
    public = lesson_public(entry.lesson).model_dump()
    return LessonDetail(**public, source=source, source_html=html)
