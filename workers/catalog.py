"""Lesson metadata and parameter validation, shared by the server and the terminal."""

from __future__ import annotations

import importlib
import math
import pkgutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from workers.lessons.params import substitute
from workers.questions import Question

START_METHODS = ("fork", "spawn", "forkserver")


def shown(value: Any) -> str:
    """A bad value as an error repeats it: its repr, at most 64 characters of it."""
    text = repr(value)
    return text if len(text) <= 64 else text[:64] + "…"


class ParamError(ValueError):
    """A parameter is unknown, of the wrong type or out of bounds."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class Param:
    name: str
    type: str  # "number" | "integer" | "boolean" | "string"
    default: Any
    description: Mapping[str, str]  # {"en": ..., "zh": ...}
    minimum: float | None = None
    maximum: float | None = None
    enum: tuple[str, ...] | None = None
    # The module-level variable of the lesson's main.py that holds this value (default: name).
    variable: str | None = None

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": self.type,
            "default": self.default,
            "description": self.description["en"],
            "x-description": dict(self.description),  # the page's language picks
        }
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.maximum is not None:
            out["maximum"] = self.maximum
        if self.enum is not None:
            out["enum"] = list(self.enum)
        return out

    def validate(self, raw: Any) -> Any:
        if self.type == "boolean":
            if not isinstance(raw, bool):
                raise ParamError(self.name, f"must be true or false, got {shown(raw)}")
            return raw
        if self.type == "string":
            if not isinstance(raw, str):
                raise ParamError(self.name, f"must be a string, got {shown(raw)}")
            if self.enum is not None and raw not in self.enum:
                raise ParamError(
                    self.name, f"must be one of {', '.join(self.enum)}; got {shown(raw)}"
                )
            return raw
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise ParamError(self.name, f"must be a {self.type}, got {shown(raw)}")
        if self.type == "integer":
            if isinstance(raw, float) and not raw.is_integer():
                raise ParamError(self.name, f"must be an integer, got {shown(raw)}")
            raw = int(raw)
        elif not math.isfinite(raw):
            raise ParamError(self.name, f"must be a finite number, got {shown(raw)}")
        if self.minimum is not None and raw < self.minimum:
            raise ParamError(self.name, f"must be ≥ {self.minimum}, got {shown(raw)}")
        if self.maximum is not None and raw > self.maximum:
            raise ParamError(self.name, f"must be ≤ {self.maximum}, got {shown(raw)}")
        return raw


COMMON_PARAMS = (
    Param(
        "speed",
        "number",
        1.0,
        {
            "en": "Scales every sleep: 10 runs ten times faster.",
            "zh": "所有 sleep 按此缩放：10 表示快十倍。",
        },
        0.1,
        20,
    ),
    Param(
        "start_method",
        "string",
        "fork",
        {"en": "How multiprocessing starts children.", "zh": "multiprocessing 创建子进程的方式。"},
        enum=START_METHODS,
    ),
    Param(
        "step",
        "boolean",
        False,
        {
            "en": "Step mode: every process waits before each line until the presenter lets it go.",
            "zh": "单步模式：每个进程在每行代码前等待，由主讲人决定谁执行下一行。",
        },
    ),
)


@dataclass(frozen=True)
class Lesson:
    id: str
    chapter: str
    title: Mapping[str, str]
    summary: Mapping[str, str]
    result_keys: tuple[str, ...]
    params: tuple[Param, ...] = ()
    # What to watch for and the punch line in words, per language.
    watch: Mapping[str, str] = field(default_factory=dict)
    punchline: Mapping[str, str] = field(default_factory=dict)
    # What the class is asked to predict before Run (workers.questions).
    questions: tuple[Question, ...] = ()

    @property
    def all_params(self) -> tuple[Param, ...]:
        return COMMON_PARAMS + self.params

    def schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "additionalProperties": False,
            "properties": {p.name: p.schema() for p in self.all_params},
        }

    def validate(self, raw: Mapping[str, Any] | None) -> dict[str, Any]:
        """Return complete, typed parameters or raise ParamError naming the field."""
        raw = dict(raw or {})
        known = {p.name: p for p in self.all_params}
        for name in raw:
            if name not in known:
                raise ParamError(name, f"unknown parameter; expected one of {', '.join(known)}")
        return {
            name: p.validate(raw[name]) if name in raw else p.default for name, p in known.items()
        }


# Beside a lesson's script, not part of the program that runs.
METADATA = "lesson.py"
_NOT_FILES = {METADATA, "__init__.py"}


@dataclass(frozen=True)
class LessonEntry:
    """A built-in lesson: its metadata and the files of its program (``directory``)."""

    lesson: Lesson
    module: ModuleType  # the one that defines ``LESSON`` (``lesson.py`` beside the script)
    directory: Path
    entry: str = "main.py"

    def files(self) -> dict[str, str]:
        """The program as it is shipped: {relative name: text}, the entry among them."""
        return {
            path.name: path.read_text(encoding="utf-8")
            for path in sorted(self.directory.iterdir())
            if path.is_file() and path.name not in _NOT_FILES and path.suffix != ".pyc"
        }

    def program_files(self, params: Mapping[str, Any]) -> dict[str, str]:
        """The files with the lesson's own parameters written into the entry's code."""
        files = self.files()
        values = {p.variable or p.name: params[p.name] for p in self.lesson.params}
        files[self.entry] = substitute(files[self.entry], values)
        return files


def _discover() -> dict[str, LessonEntry]:
    from workers import lessons

    found: dict[str, LessonEntry] = {}
    for info in sorted(pkgutil.iter_modules(lessons.__path__), key=lambda i: i.name):
        if not info.ispkg:
            continue
        module = importlib.import_module(f"workers.lessons.{info.name}.lesson")
        lesson = getattr(module, "LESSON", None)
        if isinstance(lesson, Lesson):
            found[lesson.id] = LessonEntry(lesson, module, Path(lessons.__path__[0]) / info.name)
    return found


_registry: dict[str, LessonEntry] | None = None

# Lecture order, so the list reads like the course.
ORDER = (
    "sync-async",
    "create-process",
    "join",
    "isolation",
    "queue",
    "process-methods",
    "producer-consumer",
    "daemon",
    "zombie",
    "orphan",
    "ticket-race",
    "tcp-server",
)


def registry() -> dict[str, LessonEntry]:
    global _registry
    if _registry is None:
        found = _discover()
        ordered = sorted(found, key=lambda i: ORDER.index(i) if i in ORDER else len(ORDER))
        _registry = {i: found[i] for i in ordered}
    return _registry


def get(lesson_id: str) -> LessonEntry | None:
    return registry().get(lesson_id)
