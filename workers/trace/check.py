"""A program's syntax checked before it runs: every ``.py`` file compiled, none executed."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    col: int
    message: str


def compile_one(name: str, source: str) -> Problem | None:
    try:
        compile(source, name, "exec", dont_inherit=True)
    except SyntaxError as exc:
        return Problem(name, exc.lineno or 1, exc.offset or 1, exc.msg)
    except ValueError as exc:  # source code string cannot contain null bytes
        return Problem(name, 1, 1, str(exc))
    return None


def compile_files(files: dict[str, str]) -> list[Problem]:
    """The syntax errors of the program's Python files (empty: it compiles)."""
    found = (compile_one(name, src) for name, src in sorted(files.items()) if name.endswith(".py"))
    return [p for p in found if p is not None]
