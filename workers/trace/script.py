"""Run any Python script traced: ``python -m workers.trace.script [OPTIONS] SCRIPT [ARGS...]``.

Options: ``--speed S`` (scales ``time.sleep``), ``--start-method fork|spawn|forkserver``.
Before the script runs this process applies the run's resource limits
(``PROCVIZ_LIMITS``), which every process of the run inherits. If the server dies, its keeper (``app.keeper``) ends the run: not this process, which
runs the user's code and may be stopped or busy.

The script runs as ``__main__`` (so spawn and forkserver children re-import it from
its path as ``__mp_main__``, as with ``python SCRIPT``), with ``sys.argv`` =
``[SCRIPT, *ARGS]``, ``sys.path[0]`` its directory and the current directory
unchanged. Exit status: the script's; 2 for a missing, non-Python or uncompilable
script, before anything runs.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import runpy
import sys

from workers import trace
from workers.trace import check, lifecycle, streams, userfiles

USAGE_ERROR = 2
ENV_LIMITS = "PROCVIZ_LIMITS"  # JSON: {"RLIMIT_AS": bytes, ...}


def apply_limits(raw: str) -> None:
    """The run's limits, soft and hard alike (the program cannot raise them again)."""
    for name, value in json.loads(raw).items():
        which = getattr(resource, name)
        _, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(which, (value, value))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m workers.trace.script", description=__doc__)
    parser.add_argument("--speed", type=float, default=None, help="scale time.sleep (default 1)")
    parser.add_argument("--start-method", choices=("fork", "spawn", "forkserver"), default=None)
    parser.add_argument("script")
    parser.add_argument("args", nargs=argparse.REMAINDER)
    return parser


def _problem(script: str) -> str | None:
    """Why ``script`` cannot run, or None."""
    if not os.path.isfile(script):
        return f"procviz: no such script: {script}"
    if not script.endswith(".py"):
        return f"procviz: not a Python script (expected a .py file): {script}"
    try:
        with open(script, "rb") as f:
            source = f.read()
    except OSError as exc:
        return f"procviz: cannot read {script}: {exc.strerror}"
    p = check.compile_one(script, source.decode("utf-8", errors="replace"))
    if p is not None:
        return f'procviz: syntax error in "{p.file}", line {p.line}, column {p.col}: {p.message}'
    return None


def run(script: str, args: list[str]) -> int:
    path = os.path.abspath(script)
    userfiles.setup(os.path.dirname(path))
    sys.argv = [script, *args]
    sys.path[0] = os.path.dirname(path)
    try:
        runpy.run_path(path, run_name="__main__")
    except SystemExit as exc:
        code = lifecycle.exit_status(exc.code)
        if exc.code is not None and not isinstance(exc.code, int):
            print(exc.code, file=sys.stderr)
    except BaseException as exc:
        lifecycle.report_error(exc)
        lifecycle.print_traceback(exc)
        code = 1
    else:
        code = 0
    streams.flush()
    return code


def main(argv: list[str] | None = None) -> int:
    limits = os.environ.pop(ENV_LIMITS, None)
    if limits:
        apply_limits(limits)
    opts = _parser().parse_args(argv)
    problem = _problem(opts.script)
    if problem is not None:
        print(problem, file=sys.stderr)
        return USAGE_ERROR
    if opts.speed is not None:
        if opts.speed <= 0:
            print("procviz: --speed must be above 0", file=sys.stderr)
            return USAGE_ERROR
        os.environ[trace.ENV_SPEED] = str(opts.speed)
    if opts.start_method:
        multiprocessing.set_start_method(opts.start_method, force=True)
    trace.install()  # a no-op when the bootstrap did it already
    code = run(opts.script, opts.args)
    if trace.channel() is not None:
        # A child of os.fork() ran the rest of the script too, and ends here.
        lifecycle.final(code)
    return code


if __name__ == "__main__":
    sys.exit(main())
