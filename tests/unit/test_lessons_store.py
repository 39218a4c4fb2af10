"""The saved-lessons store: one JSON file per lesson, every write atomic."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.lessons import LessonExists, LessonReadOnly, LessonStore, slug
from app.programs import ProgramError, ProgramTooLarge
from tests.conftest import ROOT

FILES = {"main.py": "print('old')\n", "data.json": '{"ticket_num": 1}'}


def test_store_create_get_list_update_delete(tmp_path: Path) -> None:
    store = LessonStore(tmp_path / "lessons")
    saved = store.create(FILES, "main.py", {"en": "My tickets", "zh": "我的抢票"})
    assert saved.id == "my-tickets"
    on_disk = json.loads((tmp_path / "lessons" / "my-tickets.json").read_text("utf-8"))
    assert on_disk["files"] == FILES and on_disk["title"]["zh"] == "我的抢票"
    assert [lesson.id for lesson in store.list()] == ["my-tickets"]
    store.update("my-tickets", {"main.py": "print('new')\n"}, None, None)
    got = store.get("my-tickets")
    assert got is not None and got.files == {"main.py": "print('new')\n"}
    assert got.title == {"en": "My tickets", "zh": "我的抢票"}  # kept when none is given
    store.delete("my-tickets")
    assert store.get("my-tickets") is None and store.list() == []


def test_store_refuses_clashes_built_ins_and_bad_programs(tmp_path: Path) -> None:
    store = LessonStore(tmp_path)
    store.create(FILES, "main.py", None, "mine")
    with pytest.raises(LessonExists):
        store.create(FILES, "main.py", None, "mine")
    with pytest.raises(LessonExists):
        store.create(FILES, "main.py", None, "zombie")
    with pytest.raises(LessonReadOnly):
        store.update("zombie", FILES, "main.py", None)
    with pytest.raises(LessonReadOnly):
        store.delete("zombie")
    with pytest.raises(ProgramError) as bad:
        store.create({"main.py": "def f(:\n"}, None, None, "broken")
    assert bad.value.field == "files.main.py" and "line 1, column 7" in bad.value.message
    with pytest.raises(ProgramTooLarge):
        store.create({"main.py": "#" * (300 * 1024)}, None, None, "huge")
    assert [lesson.id for lesson in store.list()] == ["mine"]


def test_slug_from_english_or_chinese_title() -> None:
    assert slug({"en": "Tickets, 3 of them!"}) == "tickets-3-of-them"
    zh = slug({"zh": "我的抢票"})
    assert zh.startswith("lesson-") and zh == slug({"zh": "我的抢票"})  # the same name clashes


def test_store_save_interrupted_by_a_crash_leaves_the_old_version(tmp_path: Path) -> None:
    store = LessonStore(tmp_path)
    store.create(FILES, "main.py", {"en": "T"}, "mine")
    before = (tmp_path / "mine.json").read_bytes()
    # A real crash in the middle of a save: the new text is written to the temporary file,
    # and the process is killed (SIGKILL) before it is renamed over the lesson.
    crash = f"""
import os, signal, sys
sys.path.insert(0, {str(ROOT)!r})
from app import lessons
from app.lessons import LessonStore
lessons.os.fsync = lambda fd: os.kill(os.getpid(), signal.SIGKILL)
LessonStore(__import__("pathlib").Path({str(tmp_path)!r})).update(
    "mine", {{"main.py": "print('new')\\n" * 5000}}, None, None)
"""
    done = subprocess.run([sys.executable, "-c", crash], capture_output=True, timeout=60)
    assert done.returncode == -9, done.stderr
    left = [p.name for p in tmp_path.iterdir() if p.name != "mine.json"]
    assert len(left) == 1 and left[0].startswith(".mine.")  # the interrupted save's file
    assert (tmp_path / "mine.json").read_bytes() == before
    reopened = LessonStore(tmp_path)  # a restarted server: the old lesson, no leftovers
    got = reopened.get("mine")
    assert got is not None and got.files == FILES
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.json"]


def test_store_ignores_a_partially_written_temporary_file(tmp_path: Path) -> None:
    store = LessonStore(tmp_path)
    store.create(FILES, "main.py", None, "mine")
    (tmp_path / ".mine.abc123.tmp").write_text('{"id": "mine", "files": {"main.py": "pri')
    (tmp_path / "torn.json").write_text('{"files": {"main.py"')  # hand-made, not ours
    assert [lesson.id for lesson in store.list()] == ["mine"]
    got = store.get("mine")
    assert got is not None and got.files == FILES
