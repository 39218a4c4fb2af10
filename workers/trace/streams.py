"""stdout and stderr as events: each complete line is one ``stdout``/``stderr`` event."""

from __future__ import annotations

import ast
import io
import json
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from workers.trace import events, userfiles

# The run's console (device:inode of the first process's stdout and stderr), inherited.
ENV_STDIO = "PROCVIZ_STDIO"

# A datagram must fit the socket's buffer; longer lines are cut, visibly.
MAX_LINE = 4000

# A lesson's punch line: ``print('RESULT', {...})`` (a dict literal or JSON) on stdout is
# its ``result`` event; run with plain ``python`` it is just a line.
RESULT_MARK = "RESULT "


class TaggedStream(io.TextIOBase):
    def __init__(self, kind: str, underlying: Any, before_line: Callable[[], None]) -> None:
        self.kind = kind
        self._underlying = underlying
        self._before_line = before_line
        self._buffer = ""
        self._lock = threading.Lock()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    @property
    def errors(self) -> str:  # type: ignore[override]
        return "replace"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return int(self._underlying.fileno())

    def write(self, s: str) -> int:
        with self._lock:
            self._buffer += s
            *lines, self._buffer = self._buffer.split("\n")
        for line in lines:
            self._emit(line)
        return len(s)

    def flush(self) -> None:
        with self._lock:
            line, self._buffer = self._buffer, ""
        if line:
            self._emit(line)

    def _emit(self, line: str) -> None:
        if len(line) > MAX_LINE:
            line = line[:MAX_LINE] + " …[cut]"
        # What the program changed before printing is reported before the line.
        self._before_line()
        events.coalescer.flush(everything=True)  # the state the program saw when it printed
        keys = result_of(line) if self.kind == "stdout" else None
        if keys is not None:
            events.send({"pid": os.getpid(), "kind": "result", "t": time.time(), "data": keys})
            return
        events.send(_line_event(self.kind, line))

    def after_fork(self) -> None:
        # The parent flushed before forking; a lock held by another thread
        # of the parent would never be released in the child.
        self._lock = threading.Lock()
        self._buffer = ""


def result_of(line: str) -> dict[str, Any] | None:
    """The keys of a ``RESULT {...}`` line, or None for any other line."""
    if not line.startswith(RESULT_MARK):
        return None
    text = line[len(RESULT_MARK) :].strip()
    try:
        keys = json.loads(text)
    except ValueError:
        try:
            keys = ast.literal_eval(text)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            return None
    if not isinstance(keys, dict) or not all(isinstance(k, str) for k in keys):
        return None
    return keys


def _line_event(kind: str, line: str) -> dict[str, Any]:
    data: dict[str, Any] = {"line": line}
    frame = userfiles.innermost(sys._getframe(1))
    if frame is not None:
        data["lineno"] = frame.f_lineno
    return {"pid": os.getpid(), "kind": kind, "t": time.time(), "data": data}


def _identity(stream: Any) -> str | None:
    try:
        st = os.fstat(stream.fileno())
    except (AttributeError, OSError, ValueError):
        return None
    return f"{st.st_dev}:{st.st_ino}"


def install(before_line: Callable[[], None]) -> None:
    """Tag the streams that are the run's console (the first process's stdout and stderr).

    A process whose output goes elsewhere (``subprocess.run(..., capture_output=True)``,
    a shell redirection) keeps it: the program that reads it must get it.
    """
    ours = (_identity(sys.__stdout__), _identity(sys.__stderr__))
    console = os.environ.setdefault(ENV_STDIO, ",".join(i or "" for i in ours)).split(",")
    if ours[0] and ours[0] in console and not isinstance(sys.stdout, TaggedStream):
        sys.stdout = TaggedStream("stdout", sys.__stdout__, before_line)
    if ours[1] and ours[1] in console and not isinstance(sys.stderr, TaggedStream):
        sys.stderr = TaggedStream("stderr", sys.__stderr__, before_line)


def flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            try:
                stream.flush()
            except (OSError, ValueError):
                pass


def after_fork() -> None:
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, TaggedStream):
            stream.after_fork()
