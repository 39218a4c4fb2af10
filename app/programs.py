"""A program of the user's own: its files checked before anything runs.

Files are plain text under relative names; the entry is one of them, a ``.py``
file. Every ``.py`` file must compile (a syntax error names file, line and
column); sizes are bounded (413 beyond them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from workers.catalog import COMMON_PARAMS, ParamError
from workers.trace.check import compile_files

MAX_FILES = 32
MAX_FILE_BYTES = 256 * 1024
MAX_TOTAL_BYTES = 1024 * 1024
MAX_ARGS = 64
MAX_ARG_CHARS = 1000
# Relative names of word characters, dots and dashes, in at most 4 directories; no
# component starts with a dot (no "..", no hidden file).
NAME = re.compile(r"^(?!\.)[\w\-][\w.\-]*(/(?!\.)[\w\-][\w.\-]*){0,4}$")


class ProgramError(ValueError):
    """A program that cannot run: which field, and why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class ProgramTooLarge(ProgramError):
    pass


@dataclass(frozen=True)
class Program:
    entry: str
    files: dict[str, str] = field(default_factory=dict)
    argv: tuple[str, ...] = ()
    cwd: Path | None = None  # run in place (the terminal); else in the run's own directory

    def public(self) -> dict[str, Any]:
        return {"entry": self.entry, "argv": list(self.argv), "files": self.files}

    def write(self, directory: Path) -> None:
        for name, text in self.files.items():
            path = directory / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")


# As for lessons (speed, start_method, step), but start_method only when asked for: the program
# may set its own.
SPEED, START_METHOD, STEP = COMMON_PARAMS
PARAMS = {p.name: p for p in (SPEED, replace(START_METHOD, default=None), STEP)}


def validate_params(raw: Any) -> dict[str, Any]:
    """A program's parameters, complete and typed, or ParamError naming the field."""
    raw = dict(raw or {})
    for name in raw:
        if name not in PARAMS:
            raise ParamError(name, f"unknown parameter; expected one of {', '.join(PARAMS)}")
    return {n: p.validate(raw[n]) if n in raw else p.default for n, p in PARAMS.items()}


def _short(value: str, limit: int = 60) -> str:
    return value if len(value) <= limit else value[:limit] + "…"


def from_request(files: Any, entry: Any, argv: Any) -> Program:
    """A program from ``POST /api/runs``'s ``program`` object, or ProgramError."""
    if not isinstance(files, dict) or not files:
        raise ProgramError("program.files", "must be an object of file names to their text")
    if len(files) > MAX_FILES:
        raise ProgramTooLarge("program.files", f"at most {MAX_FILES} files, got {len(files)}")
    total = 0
    for name, text in files.items():
        if not isinstance(name, str) or not NAME.match(name):
            raise ProgramError(
                "program.files", f"{_short(str(name))!r} is not a relative file name"
            )
        if not isinstance(text, str):
            raise ProgramError(f"program.files.{name}", "must be the file's text")
        size = len(text.encode("utf-8", errors="surrogatepass"))
        if size > MAX_FILE_BYTES:
            raise ProgramTooLarge(
                f"program.files.{name}", f"{size} bytes; at most {MAX_FILE_BYTES} per file"
            )
        total += size
    if total > MAX_TOTAL_BYTES:
        raise ProgramTooLarge("program.files", f"{total} bytes; at most {MAX_TOTAL_BYTES}")
    if entry is None and len([n for n in files if n.endswith(".py")]) == 1:
        entry = next(n for n in files if n.endswith(".py"))
    if not isinstance(entry, str) or entry not in files:
        raise ProgramError("program.entry", "must name one of the program's files")
    if not entry.endswith(".py"):
        raise ProgramError("program.entry", f"{_short(entry)!r} is not a .py file")
    args = _argv(argv)
    for problem in compile_files(files):
        raise ProgramError(
            f"program.files.{problem.file}",
            f"syntax error at line {problem.line}, column {problem.col}: {problem.message}",
        )
    return Program(entry=entry, files=dict(files), argv=args)


def _argv(argv: Any) -> tuple[str, ...]:
    if argv is None:
        return ()
    if not isinstance(argv, list) or not all(isinstance(a, str) for a in argv):
        raise ProgramError("program.argv", "must be a list of strings")
    if len(argv) > MAX_ARGS or any(len(a) > MAX_ARG_CHARS for a in argv):
        raise ProgramTooLarge(
            "program.argv", f"at most {MAX_ARGS} arguments of {MAX_ARG_CHARS} characters"
        )
    return tuple(argv)


def in_place(script: Path, argv: list[str]) -> Program:
    """A script run where it is (the terminal), from the current directory."""
    text = script.read_text(encoding="utf-8", errors="replace")[:MAX_FILE_BYTES]
    return Program(
        entry=str(script.resolve()), files={script.name: text}, argv=tuple(argv), cwd=Path.cwd()
    )
