"""Running one lesson in a terminal: its events as lines, a text tree at the end."""

from __future__ import annotations

import json
import sys
from typing import Any

from app.reaper import become_subreaper
from app.runs import LessonNotFound, Run, RunManager
from app.settings import Settings
from workers.catalog import ParamError


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


async def run_and_print(lesson_id: str, params: dict[str, Any], settings: Settings) -> int:
    become_subreaper()
    manager = RunManager(settings)
    try:
        run = await manager.create(lesson_id, params)
    except LessonNotFound:
        print(f"procviz: unknown lesson {lesson_id!r}", file=sys.stderr)
        return 2
    except ParamError as exc:
        print(f"procviz: bad parameter {exc}", file=sys.stderr)
        return 2
    try:
        return await _follow(run)
    finally:
        await manager.shutdown()  # Ctrl-C or a closed pipe: nothing is left running


async def _follow(run: Run) -> int:
    viewer, first = run.hub.join()
    seen: dict[int, dict[str, Any]] = {}
    pending = first
    while True:
        for text in pending:
            message = json.loads(text)
            for p in message.get("processes", []) + message.get("changed", []):
                seen[p["pid"]] = p
            line = _line(message)
            if line:
                print(line, flush=True)
        if run.done.is_set() and not viewer.pending:
            break
        await viewer.wake.wait()
        viewer.wake.clear()
        pending = run.hub.next_messages(viewer)
    print("── process tree (every process the run had)")
    print("\n".join(text_tree(seen)))
    if run.result is not None:
        print(f"── result {run.result}")
    return 0 if str(run.state) == "finished" else 1
