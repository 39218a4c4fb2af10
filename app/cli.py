"""``procviz serve | lessons | run``."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from app.settings import Settings, SettingsError
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
    if settings.token is not None:
        what = "controls runs" if settings.token_required else "runs programs of your own"
        lines += [
            f"procviz: presenter URL ({what}): {url}?token={settings.token}",
            "procviz: viewers open the page without the token and watch read-only",
        ]
    return lines


def serve(settings: Settings) -> int:
    import uvicorn

    from app.main import create_app
    from app.protocols import HeadLimitProtocol, RefusingWebSocketProtocol

    settings = settings.with_token()
    api = create_app(settings)
    print("\n".join(startup_lines(settings)), flush=True)
    uvicorn.run(
        api,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        http=HeadLimitProtocol.with_limit(settings.max_header),  # 431 over the limit
        ws=RefusingWebSocketProtocol,
    )
    return 0


def lessons() -> int:
    for lesson_id, entry in catalog.registry().items():
        lesson = entry.lesson
        print(f"{lesson_id:18} {lesson.chapter:12} {lesson.title['en']} / {lesson.title['zh']}")
    return 0


def run_in_terminal(lesson_id: str, params: dict[str, Any], settings: Settings) -> int:
    from app.terminal import run_and_print

    return asyncio.run(run_and_print(lesson_id, params, settings))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="procviz", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p_serve = sub.add_parser("serve", help="serve the dashboard")
    p_serve.add_argument("--host")
    p_serve.add_argument("--port", type=int)
    sub.add_parser("lessons", help="list the lessons")
    p_run = sub.add_parser("run", help="run one lesson here, printing its events")
    p_run.add_argument("lesson")
    p_run.add_argument(
        "--param", action="append", type=_parse_param, default=[], metavar="NAME=VALUE"
    )
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
        return serve(settings)
    if args.command == "lessons":
        return lessons()
    settings = replace(settings, data_dir=Path(tempfile.mkdtemp(prefix="procviz-cli-")))
    return run_in_terminal(args.lesson, dict(args.param), settings)


if __name__ == "__main__":
    sys.exit(main())
