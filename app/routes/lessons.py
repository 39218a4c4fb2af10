from __future__ import annotations

import functools
import inspect
from typing import Any

from fastapi import APIRouter
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

from app.runs import LessonNotFound
from app.schemas import LessonDetail, LessonPublic
from workers import catalog

router = APIRouter(prefix="/api/lessons", tags=["lessons"])


def lesson_public(lesson: catalog.Lesson) -> dict[str, Any]:
    return {
        "id": lesson.id,
        "chapter": lesson.chapter,
        "title": dict(lesson.title),
        "summary": dict(lesson.summary),
        "watch": dict(lesson.watch),
        "punchline": dict(lesson.punchline),
        "result_keys": list(lesson.result_keys),
        "params": lesson.schema(),
    }


def all_lessons() -> list[dict[str, Any]]:
    return [lesson_public(entry.lesson) for entry in catalog.registry().values()]


@functools.cache
def _source(lesson_id: str) -> tuple[str, str]:
    source = inspect.getsource(catalog.registry()[lesson_id].module)
    html = highlight(source, PythonLexer(), HtmlFormatter(linespans="line", wrapcode=True))
    return source, html


@router.get("", response_model=list[LessonPublic])
def list_lessons() -> list[dict[str, Any]]:
    return all_lessons()


@router.get(
    "/{lesson_id}", response_model=LessonDetail, responses={404: {"description": "unknown lesson"}}
)
def get_lesson(lesson_id: str) -> dict[str, Any]:
    entry = catalog.get(lesson_id)
    if entry is None:
        raise LessonNotFound(lesson_id)
    source, html = _source(lesson_id)
    return {**lesson_public(entry.lesson), "source": source, "source_html": html}
