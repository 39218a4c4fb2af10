"""The lesson root: ``python -m workers.run LESSON_ID '{"speed": 2}'``.

The server starts this in a fresh interpreter, in its own session and process
group. With ``--watch-stdin`` a watchdog thread kills the whole group when
stdin reaches end-of-file, i.e. when the server that holds the other end dies.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import sys
import threading
import traceback

from workers import catalog, harness


def _watch_stdin() -> None:
    try:
        while os.read(0, 1024):
            pass
    except OSError:
        pass
    # The server is gone: nobody would stop or reap this run, so end it all.
    os.killpg(os.getpgrp(), signal.SIGKILL)


def run(lesson_id: str, raw_params: dict[str, object]) -> int:
    entry = catalog.get(lesson_id)
    if entry is None:
        print(f"unknown lesson {lesson_id!r}; known: {', '.join(catalog.registry())}")
        return 2
    try:
        params = entry.lesson.validate(raw_params)
    except catalog.ParamError as exc:
        print(f"bad parameter {exc}")
        return 2
    os.environ[harness.ENV_SPEED] = str(params["speed"])
    multiprocessing.set_start_method(params["start_method"], force=True)
    try:
        entry.main(params)
    except Exception:
        traceback.print_exc()
        return 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if "--watch-stdin" in args:
        args.remove("--watch-stdin")
        threading.Thread(target=_watch_stdin, name="procviz-watchdog", daemon=True).start()
    if not args:
        print("usage: python -m workers.run LESSON_ID [PARAMS_JSON]")
        return 2
    raw = json.loads(args[1]) if len(args) > 1 else {}
    return run(args[0], raw)


def standalone(lesson_id: str) -> None:
    """Run one lesson from a terminal: ``python -m workers.lessons.zombie '{"speed": 2}'``."""
    sys.exit(main([lesson_id, *sys.argv[1:]]))


if __name__ == "__main__":
    sys.exit(main())
