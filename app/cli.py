"""``procviz serve | lessons | run``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import sys
import tempfile
import webbrowser
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from app import __version__
from app.settings import Settings, SettingsError, shown_url
from workers import catalog


def _parse_param(text: str) -> tuple[str, Any]:
    name, sep, raw = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"{text!r}: expected NAME=VALUE")
    try:
        return name, json.loads(raw)
    except ValueError:
        return name, raw  # a bare word: a string parameter such as start_method=spawn


def startup_lines(settings: Settings) -> list[str]:
    """What the server says at start: where it is and, if control needs it, the token."""
    shown = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
    url = f"http://{shown}:{settings.port}/"
    lines = [f"procviz: dashboard on {url}"]
    if settings.redis_url is not None:
        where = shown_url(settings.redis_url)
        if settings.replica:
            return [
                f"procviz: viewer replica on {url}, serving runs read-only from Redis at {where}"
            ]
        lines.append(f"procviz: publishing every run message to Redis at {where}")
    if settings.token is not None:
        what = "controls runs" if settings.token_required else "runs programs of your own"
        lines += [
            f"procviz: presenter URL ({what}): {url}?token={settings.token}",
            "procviz: viewers open the page without the token and watch read-only",
        ]
    return lines


def _server(settings: Settings) -> Any:
    """A uvicorn server for the app, with procviz's protocol limits."""
    import uvicorn

    from app.main import create_app
    from app.protocols import HeadLimitProtocol, RefusingWebSocketProtocol

    config = uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level="warning",
        http=HeadLimitProtocol.with_limit(settings.max_header),  # 431 over the limit
        ws=RefusingWebSocketProtocol,
        ws_per_message_deflate=settings.ws_deflate,
    )
    return uvicorn.Server(config)


def serve(settings: Settings) -> int:
    settings = settings.with_token()
    server = _server(settings)
    print("\n".join(startup_lines(settings)), flush=True)
    server.run()
    return 0


def serve_and_open(settings: Settings, page: Callable[[Any], Awaitable[tuple[str, Any]]]) -> Any:
    """Serve on loopback, open the browser at ``page(manager)``'s path, serve until Ctrl-C.

    What ``page`` returns beside the path (a run) is returned once the server has stopped.
    """
    outcome: list[Any] = [None]

    async def page_kept(manager: Any) -> tuple[str, Any]:
        path, outcome[0] = await page(manager)
        return path, outcome[0]

    asyncio.run(_serve_and_open(settings, page_kept))
    return outcome[0]


async def _serve_and_open(
    settings: Settings, page: Callable[[Any], Awaitable[tuple[str, Any]]]
) -> Any:
    settings = replace(settings, host="127.0.0.1", port=free_port()).with_token()
    server = _server(settings)
    for sig in (signal.SIGINT, signal.SIGTERM):  # Ctrl-C ends the serving, quietly
        asyncio.get_running_loop().add_signal_handler(sig, server.handle_exit, sig, None)
    server.capture_signals = contextlib.nullcontext
    serving = asyncio.create_task(server.serve())
    while not server.started:
        if serving.done():
            raise SystemExit(f"procviz: the server did not start on port {settings.port}")
        await asyncio.sleep(0.02)
    path, outcome = await page(server.config.app.state.manager)
    url = f"http://127.0.0.1:{settings.port}{path}token={settings.token}"
    print(f"procviz: opening {url}\nprocviz: serving until Ctrl-C", flush=True)
    webbrowser.open(url)
    await serving
    return outcome


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_and_open(target: str, argv: list[str], params: dict[str, Any], settings: Settings) -> int:
    from app import terminal

    async def page(manager: Any) -> tuple[str, Any]:
        run = await terminal.start(manager, target, argv, params)
        return f"/runs/{run.id}?", run

    try:
        run = serve_and_open(settings, page)
    except (terminal.ProgramError, terminal.ParamError, LookupError, OSError) as exc:
        print(f"procviz: {terminal.describe(exc)}", file=sys.stderr)
        return 2
    return terminal.exit_status(run)


def open_recording(path: Path, settings: Settings) -> int:
    """Replay a recording in the page: a server of its own, on loopback, until Ctrl-C."""
    try:
        first = json.loads(path.open(encoding="utf-8").readline())
    except (OSError, ValueError) as exc:
        print(f"procviz: {path}: not a procviz recording ({exc})", file=sys.stderr)
        return 2
    run_id = str(first.get("run", "")) if isinstance(first, dict) else ""
    if not run_id.replace("-", "").isalnum():
        run_id = "opened-" + path.stem.encode().hex()[:12]
    recordings = settings.data_dir / "recordings"
    recordings.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, recordings / f"{run_id}.jsonl")

    async def page(manager: Any) -> tuple[str, Any]:
        return f"/runs/{run_id}?replay=1&", None

    serve_and_open(settings, page)
    return 0


def lessons() -> int:
    for lesson_id, entry in catalog.registry().items():
        lesson = entry.lesson
        print(f"{lesson_id:18} {lesson.chapter:12} {lesson.title['en']} / {lesson.title['zh']}")
    return 0


def run_in_terminal(
    target: str, argv: list[str], params: dict[str, Any], settings: Settings, args: Any
) -> int:
    from app.terminal import run_and_print

    if args.open:
        return run_and_open(target, argv, params, settings)
    return asyncio.run(run_and_print(target, argv, params, settings, args.json, args.record))


def _run_options(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument(
        "--param", action="append", type=_parse_param, default=[], metavar="NAME=VALUE"
    )
    parser.add_argument("--json", action="store_true", help="print every message as JSON lines")
    parser.add_argument("--record", type=Path, metavar="FILE", help="write the recording here")
    parser.add_argument(
        "--open", action="store_true", help="serve on loopback and open the run in the browser"
    )
    return parser


def is_script(target: str) -> bool:
    from app.terminal import is_script as script

    return script(target)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="procviz", description=__doc__)
    parser.add_argument("--version", action="version", version=f"procviz {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    p_serve = sub.add_parser("serve", help="serve the dashboard")
    p_serve.add_argument("--host")
    p_serve.add_argument("--port", type=int)
    p_serve.add_argument(
        "--replica",
        action="store_true",
        help="a viewer replica: serve the presenter's runs read-only from PROCVIZ_REDIS_URL",
    )
    sub.add_parser("lessons", help="list the lessons")
    p_run = sub.add_parser(
        "run",
        help="run a lesson or a script here, printing its events",
        description="procviz run LESSON | SCRIPT.py [ARGS...]: options go before the target; "
        "what follows a script is its own argv. Exit status: the program's.",
    )
    _run_options(p_run)
    p_run.add_argument("target", metavar="LESSON|SCRIPT")
    p_run.add_argument("args", nargs=argparse.REMAINDER)
    p_open = sub.add_parser("open", help="replay a recording (.jsonl) in the page")
    p_open.add_argument("recording", type=Path)
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"procviz: {exc}", file=sys.stderr)
        return 2
    if args.command == "serve":
        if args.host:
            settings = replace(settings, host=args.host)
        if args.port is not None:
            settings = replace(settings, port=args.port)
        try:
            if args.replica:
                settings = replace(settings, role="replica")
        except SettingsError as exc:
            print(f"procviz: {exc}", file=sys.stderr)
            return 2
        return serve(settings)
    if args.command == "lessons":
        return lessons()
    settings = replace(settings, data_dir=Path(tempfile.mkdtemp(prefix="procviz-cli-")))
    if "PROCVIZ_RUN_USER" not in os.environ:
        # One's own program in one's own directory, as `python script.py` would run it:
        # the switch to an unprivileged user is for a server that runs others' code.
        settings = replace(settings, run_user=None)
    if args.command == "open":
        return open_recording(args.recording, settings)
    if args.args and not is_script(args.target):
        # A lesson has no argv: options may follow its id (procviz run zombie --param …).
        args = _run_options(argparse.ArgumentParser(prog="procviz run")).parse_args(
            args.args, namespace=args
        )
        args.args = []
    return run_in_terminal(args.target, args.args, dict(args.param), settings, args)


if __name__ == "__main__":
    sys.exit(main())
