"""Running a lesson or a script in a terminal: its events as lines (or every message as
JSON with ``--json``), a text tree at the end, the program's exit status."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from app.programs import Program, ProgramError, in_place
from app.reaper import become_subreaper
from app.runs import LessonNotFound, Run, RunManager
from app.settings import Settings
from app.table import ProcessTable
from workers.catalog import ParamError
from workers.trace.check import compile_one


def _line(message: dict[str, Any]) -> str | None:
    if message["type"] == "run":
        return f"── run {message['state']}"
    if message["type"] != "event":
        return None
    kind, data, pid = message["kind"], message["data"], message["pid"]
    if kind in ("stdout", "stderr"):
        return f"[{pid}] {data['line']}"
    details = " ".join(f"{k}={v}" for k, v in data.items())
    return f"  · {kind:6} {pid} {details}"


def text_tree(seen: dict[int, dict[str, Any]]) -> list[str]:
    children: dict[int, list[int]] = {}
    for pid, p in seen.items():
        children.setdefault(p["ppid"], []).append(pid)
    roots = [pid for pid, p in seen.items() if p["ppid"] not in seen]
    lines: list[str] = []

    def walk(pid: int, depth: int) -> None:
        p = seen[pid]
        lines.append(f"{'    ' * depth}{pid} {p['label'] or p['name']} (last seen {p['status']})")
        for child in sorted(children.get(pid, [])):
            walk(child, depth + 1)

    for pid in sorted(roots):
        walk(pid, 0)
    return lines


async def run_and_print(
    target: str,
    argv: list[str],
    params: dict[str, Any],
    settings: Settings,
    as_json: bool = False,
    record: Path | None = None,
) -> int:
    """Run a lesson (an id) or a script (a path) here; the exit status is the program's."""
    become_subreaper()
    manager = RunManager(settings)
    try:
        run = await start(manager, target, argv, params)
    except (LessonNotFound, ParamError, ProgramError, FileNotFoundError) as exc:
        print(f"procviz: {describe(exc)}", file=sys.stderr)
        return 2
    try:
        await _follow(run, as_json)
    except BrokenPipeError:  # procviz run … | head: the reader is gone, so is the run
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115  # nothing more can be printed
    finally:
        await manager.shutdown()  # Ctrl-C or a closed pipe: nothing is left running
        if record is not None:
            shutil.copyfile(run.recorder.path, record)
    return exit_status(run)


async def start(manager: RunManager, target: str, argv: list[str], params: dict[str, Any]) -> Run:
    """A script (a path, ``.py``) runs in place, from the current directory; else a lesson."""
    if is_script(target):
        return await manager.create_program(script_program(Path(target), argv), params)
    if argv:
        raise ParamError("args", "a lesson takes no arguments; use --param NAME=VALUE")
    return await manager.create(target, params)


def is_script(target: str) -> bool:
    return target.endswith(".py") or os.sep in target or Path(target).is_file()


def script_program(script: Path, argv: list[str]) -> Program:
    if not script.is_file():
        raise FileNotFoundError(f"no such script: {script}")
    if script.suffix != ".py":
        raise ProgramError("script", f"not a Python script (expected a .py file): {script}")
    program = in_place(script, argv)
    problem = compile_one(str(script), program.files[script.name])
    if problem is not None:
        raise ProgramError(
            "script",
            f'syntax error in "{problem.file}", line {problem.line}, '
            f"column {problem.col}: {problem.message}",
        )
    return program


def describe(exc: Exception) -> str:
    if isinstance(exc, LessonNotFound):
        return f"unknown lesson {exc.args[0]!r} (a script must end in .py)"
    if isinstance(exc, ProgramError):
        return exc.message
    if isinstance(exc, ParamError):
        return f"bad parameter {exc}"
    return str(exc.args[0] if exc.args else exc)


def exit_status(run: Run) -> int:
    """The program's own exit status; for a lesson, 0 only if it finished."""
    if run.program is not None and run.returncode is not None:
        code = run.returncode
        return 128 - code if code < 0 else code  # killed by signal N: 128 + N, as a shell says
    return 0 if str(run.state) == "finished" else 1


async def _follow(run: Run, as_json: bool) -> None:
    viewer, first = run.hub.join()
    table = ProcessTable()
    seen: dict[int, dict[str, Any]] = {}
    pending = first
    while True:
        for text in pending:
            if as_json:
                print(text, flush=True)
                continue
            message = json.loads(text)
            table.apply(message)
            seen.update(table.processes)
            line = _line(message)
            if line:
                print(line, flush=True)
        if run.done.is_set() and not viewer.pending:
            break
        await viewer.wake.wait()
        viewer.wake.clear()
        pending = run.hub.next_messages(viewer)
    run.hub.leave(viewer)
    if as_json:
        return
    print("── process tree (every process the run had)")
    print("\n".join(text_tree(seen)))
    if run.result is not None:
        print(f"── result {run.result}")
