"""Lessons of the user's own: one JSON file each under ``<data_dir>/lessons``.

A saved lesson is a program (files checked as ``POST /api/runs`` checks them) with an
optional title in each language. Every write is atomic: the new text goes to a temporary
file in the same directory, is fsynced, then renamed over (or linked to, for a new
lesson, so two saves of one name cannot both win); a crash at any point leaves the old
version, or none, but never half a file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app import programs
from workers import catalog

ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
MAX_TITLE = 200  # characters of a title, in each language
LANGS = ("en", "zh")
TEMP_SUFFIX = ".tmp"


class LessonExists(ValueError):
    """A lesson of that id is there already (one of the user's or a built-in)."""


class LessonReadOnly(ValueError):
    """A built-in lesson cannot be changed or removed."""


class LessonIdError(programs.ProgramError):
    pass


@dataclass(frozen=True)
class SavedLesson:
    id: str
    files: dict[str, str]
    entry: str
    title: dict[str, str] = field(default_factory=dict)
    created: float = 0.0
    updated: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "entry": self.entry,
            "files": self.files,
            "created": self.created,
            "updated": self.updated,
        }


def checked(files: Any, entry: Any) -> programs.Program:
    """The files as a program, or ProgramError naming ``files.<name>`` (not ``program.…``)."""
    try:
        return programs.from_request(files, entry, [])
    except programs.ProgramError as exc:
        raise type(exc)(exc.field.removeprefix("program."), exc.message) from None


def clean_title(raw: dict[str, str | None] | None) -> dict[str, str]:
    title = {}
    for lang, text in (raw or {}).items():
        text = (text or "").strip()
        if lang not in LANGS:
            raise programs.ProgramError(f"title.{lang}", f"one of {', '.join(LANGS)}")
        if len(text) > MAX_TITLE:
            raise programs.ProgramError(f"title.{lang}", f"at most {MAX_TITLE} characters")
        if text:
            title[lang] = text
    return title


def slug(title: dict[str, str]) -> str:
    """An id from the title: its English words, else a short hash of the Chinese one."""
    words = re.sub(r"[^a-z0-9]+", "-", title.get("en", "").lower()).strip("-")[:48].strip("-")
    if words:
        return words
    if title.get("zh"):
        return "lesson-" + hashlib.sha256(title["zh"].encode()).hexdigest()[:8]
    return "lesson-" + secrets.token_hex(4)


class LessonStore:
    """The saved lessons of one data directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()  # one writer at a time within this server
        self._sweep()

    def _sweep(self) -> None:
        """Temporary files of saves a crash interrupted: never a lesson, so removed."""
        with contextlib.suppress(OSError):
            for path in self.directory.glob(f".*{TEMP_SUFFIX}"):
                path.unlink(missing_ok=True)

    def path(self, lesson_id: str) -> Path:
        return self.directory / f"{lesson_id}.json"

    def list(self) -> list[SavedLesson]:
        found = []
        with contextlib.suppress(OSError):
            for path in sorted(self.directory.glob("*.json")):
                lesson = self.get(path.stem)
                if lesson is not None:
                    found.append(lesson)
        return sorted(found, key=lambda lesson: lesson.created)

    def get(self, lesson_id: str) -> SavedLesson | None:
        if not ID.match(lesson_id):
            return None
        try:
            data = json.loads(self.path(lesson_id).read_text(encoding="utf-8"))
            return SavedLesson(
                id=lesson_id,
                files=dict(data["files"]),
                entry=str(data["entry"]),
                title=dict(data.get("title") or {}),
                created=float(data.get("created", 0.0)),
                updated=float(data.get("updated", 0.0)),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None  # absent, or not one of ours: a hand-edited file gone wrong

    def create(
        self,
        files: Any,
        entry: Any,
        title: dict[str, str | None] | None = None,
        lesson_id: str | None = None,
    ) -> SavedLesson:
        program = checked(files, entry)
        clean = clean_title(title)
        lesson_id = lesson_id or slug(clean)
        if not ID.match(lesson_id):
            raise LessonIdError("id", "lower-case letters, digits and dashes, at most 64")
        if catalog.get(lesson_id) is not None:
            raise LessonExists(f"{lesson_id!r} is a built-in lesson")
        now = time.time()
        lesson = SavedLesson(lesson_id, program.files, program.entry, clean, now, now)
        with self._lock:
            self._write(lesson, replace=False)
        return lesson

    def update(
        self, lesson_id: str, files: Any, entry: Any, title: dict[str, str | None] | None
    ) -> SavedLesson:
        if catalog.get(lesson_id) is not None:
            raise LessonReadOnly(f"{lesson_id!r} is a built-in lesson: save it as your own")
        program = checked(files, entry)
        with self._lock:
            old = self.get(lesson_id)
            if old is None:
                raise KeyError(lesson_id)
            clean = old.title if title is None else clean_title(title)
            lesson = SavedLesson(
                lesson_id, program.files, program.entry, clean, old.created, time.time()
            )
            self._write(lesson, replace=True)
        return lesson

    def delete(self, lesson_id: str) -> None:
        if catalog.get(lesson_id) is not None:
            raise LessonReadOnly(f"{lesson_id!r} is a built-in lesson")
        with self._lock:
            if self.get(lesson_id) is None:
                raise KeyError(lesson_id)
            self.path(lesson_id).unlink()
            self._sync_directory()

    def _write(self, lesson: SavedLesson, *, replace: bool) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        text = json.dumps(lesson.to_json(), ensure_ascii=False, indent=1)
        fd, temp = tempfile.mkstemp(prefix=f".{lesson.id}.", suffix=TEMP_SUFFIX, dir=self.directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            if replace:
                os.replace(temp, self.path(lesson.id))
            else:
                try:
                    os.link(temp, self.path(lesson.id))  # fails if the name is taken
                except FileExistsError:
                    raise LessonExists(f"a lesson {lesson.id!r} exists already") from None
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
        self._sync_directory()

    def _sync_directory(self) -> None:
        # The rename itself is durable only once the directory's entry is on disk.
        fd = os.open(self.directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
