"""Real headless Chromium for the page tests, and a record of every error the page logs."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Error, Page, Request, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
# The README's pictures: the tests that take them write under artifacts/ (so `make test` leaves
# the tracked files alone); `make screenshots` sets PROCVIZ_UPDATE_DOCS=1 to refresh docs/.
DOCS = (
    ROOT / "docs" / "screenshots" if os.environ.get("PROCVIZ_UPDATE_DOCS") == "1" else SCREENSHOTS
)
VIEWPORT = {"width": 1920, "height": 1080}


def chromium_path() -> str:
    for candidate in (
        os.environ.get("PROCVIZ_CHROMIUM"),
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
    ):
        if candidate and Path(candidate).exists():
            return candidate
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        # Not a skip: `make test` installs Chromium, so its absence is a broken set-up.
        pytest.fail("Chromium is not installed (make test installs it: apt-get install chromium)")
    return found


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=chromium_path(),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield b
        b.close()


@dataclass
class Watched:
    """A page, and the errors it reported (console.error, uncaught exceptions, failed loads)."""

    page: Page
    errors: list[str] = field(default_factory=list)

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path


def open_page(browser: Browser, locale: str = "en-US") -> Watched:
    context = browser.new_context(viewport=VIEWPORT, locale=locale)
    page = context.new_page()
    watched = Watched(page)

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type == "error":
            watched.errors.append(f"console: {msg.text} @ {msg.location}")

    def on_pageerror(err: Error) -> None:
        watched.errors.append(f"pageerror: {err}")

    page.on("console", on_console)
    page.on("pageerror", on_pageerror)

    def on_requestfailed(request: Request) -> None:
        # Leaving a page (Run navigates to /runs/…) aborts its pending loads: not an error.
        if "ERR_ABORTED" not in (request.failure or ""):
            watched.errors.append(f"requestfailed: {request.url} {request.failure}")

    page.on("requestfailed", on_requestfailed)
    return watched


@pytest.fixture
def watched(browser: Browser) -> Iterator[Watched]:
    w = open_page(browser)
    yield w
    w.page.context.close()
