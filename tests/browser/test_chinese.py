"""In Chinese the page speaks Chinese: no English word outside code, identifiers and PIDs."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import Watched, open_page
from tests.browser.latin import latin_words
from tests.client import Server, api, wait_state

pytestmark = pytest.mark.browser

ENDED = {"finished", "stopped", "failed"}
# Lessons with the most to say: queues bounded and not, locks, zombies, phases, results of
# every kind (numbers, yes and no, seconds).
LESSONS = {
    "ticket-race": {"speed": 4, "buyers": 6},
    "queue": {"speed": 4, "pause": 1},
    "producer-consumer": {"speed": 8},
    "zombie": {"speed": 2},
    "join": {"speed": 8},
}


@pytest.fixture
def zh(browser: Browser) -> Iterator[Watched]:
    w = open_page(browser, locale="zh-CN")
    yield w
    w.page.context.close()


class Offences:
    """Every Latin word seen, with the first place and moment it was seen."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.found: dict[str, str] = {}

    def scan(self, moment: str) -> None:
        for word, where in latin_words(self.page).items():
            self.found.setdefault(word, f"{moment}: {where}")

    def report(self) -> str:
        return "\n".join(f"{word!r} — {where}" for word, where in sorted(self.found.items()))


def run_from_form(page: Page, server: Server, lesson: str, params: dict[str, float]) -> str:
    page.goto(f"{server.base}/?lesson={lesson}")
    for name, value in params.items():
        page.locator(f"#param-{name}").fill(str(value))
    page.locator("#run-btn").click()
    page.wait_for_url(re.compile(r"/runs/[^/?]+$"), timeout=10_000)
    return page.url.rsplit("/", 1)[1]


def test_zh_mode_has_no_latin_word_outside_code_identifiers_and_pids(
    server: Server, zh: Watched
) -> None:
    page = zh.page
    seen = Offences(page)
    page.goto(server.base + "/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    seen.scan("start page")
    for lesson, params in LESSONS.items():
        run_id = run_from_form(page, server, lesson, params)
        deadline = time.monotonic() + 60
        opened_menu = False
        while api(server, "GET", f"/api/runs/{run_id}").json()["state"] not in ENDED:
            assert time.monotonic() < deadline, f"{lesson} did not end"
            seen.scan(f"{lesson}, running")
            node = page.locator("g.node[data-role='root']")
            if not opened_menu and node.count():
                # A node's details (state, memory, start time) and the presenter's signals.
                node.first.click(force=True)
                opened_menu = page.locator("#node-menu:not([hidden])").count() > 0
                if opened_menu:
                    seen.scan(f"{lesson}, node menu")
                    page.keyboard.press("Escape")
            page.wait_for_timeout(250)
        expect(page.locator("#run-badge")).to_have_attribute("data-state", "finished")
        expect(page.locator("#result-card")).to_be_visible(timeout=10_000)
        seen.scan(f"{lesson}, finished")
        page.locator("#tab-timeline").click()
        seen.scan(f"{lesson}, timeline")
        # A viewer opening the finished run, and its replay played to the end.
        page.goto(f"{server.base}/runs/{run_id}")
        expect(page.locator("#result-card")).to_be_visible(timeout=10_000)
        seen.scan(f"{lesson}, opened after it ended")
        if lesson == "zombie":
            page.goto(f"{server.base}/runs/{run_id}?replay=4")
            expect(page.locator("#conn")).to_have_attribute(
                "data-status", "replayed", timeout=30_000
            )
            seen.scan(f"{lesson}, end of replay")
    page.goto(server.base + "/")
    expect(page.locator("#recent-list li").first).to_be_visible()
    seen.scan("start page with past runs")
    assert not seen.found, "English words in zh mode:\n" + seen.report()
    # A node clicked as its process ends: the browser logs the 404 of its details (the menu
    # shows what the record said); nothing else may go wrong.
    assert [e for e in zh.errors if "/processes/" not in e or "404" not in e] == []


def test_the_scan_finds_english_where_there_is_english(server: Server, watched: Watched) -> None:
    # The scan above passes because the page is Chinese, not because the scan is blind.
    page = watched.page
    page.goto(server.base + "/?lesson=queue")
    found = latin_words(page)
    assert {"Run", "Lessons", "Processes"} <= set(found), found


def test_zh_values_states_gauges_and_times_are_chinese(server: Server, zh: Watched) -> None:
    page = zh.page
    run_id = run_from_form(page, server, "queue", {"speed": 1, "pause": 4})
    gauge = page.locator('.queue[data-queue="q"]')
    # Full: the word is Chinese, and it is text (not a CSS ::after the scan could not read).
    expect(gauge.locator(".queue-text")).to_have_text("4 / 4", timeout=20_000)
    expect(gauge.locator(".queue-full")).to_have_text("已满")
    wait_state(server, run_id, ENDED, timeout=60)
    result = page.locator("#result-keys")
    expect(result.locator('dd[data-key="order_kept"]')).to_have_text("✔ 是", timeout=10_000)
    # The key stays, as code, beside what it means.
    expect(result.locator("dt", has=page.locator("code", has_text="order_kept"))).to_have_text(
        "先进先出 order_kept"
    )
    # An unbounded multiprocessing.Queue(): ∞, not its 2147483647.
    run_id = run_from_form(page, server, "ticket-race", {"speed": 8, "buyers": 3})
    sold = page.locator('.queue[data-queue="sold"]')
    expect(sold).to_have_attribute("data-maxsize", "0", timeout=20_000)
    expect(sold.locator(".queue-text")).to_have_text(re.compile(r"^\d+ / ∞ 无上限$"))
    wait_state(server, run_id, ENDED, timeout=60)
    expect(page.locator('#result-keys dd[data-key="lock"]')).to_have_text(re.compile("^✔ 是|✘ 否$"))
    # Times through Intl in the page's language: 24-hour, no AM / PM.
    page.goto(server.base + "/")
    when = page.locator("#recent-list .recent-when").first
    expect(when).to_have_text(re.compile(r"^(\d{1,2}月\d{1,2}日 )?\d{2}:\d{2}:\d{2}$"))
    assert zh.errors == []


@pytest.mark.parametrize(("width", "height"), [(1920, 1080), (1366, 768)])
def test_zh_at_projector_and_laptop_sizes_in_pictures(
    server: Server, zh: Watched, width: int, height: int
) -> None:
    # Another size lays the page out otherwise (what is folded, what wraps): scanned again.
    page = zh.page
    page.set_viewport_size({"width": width, "height": height})
    seen = Offences(page)
    if width == 1920:
        page.goto(server.base + "/")
        page.keyboard.press("p")  # the lecture hall's view
        expect(page.locator("html")).to_have_attribute("data-projector", "1")
    run_id = run_from_form(page, server, "queue", {"speed": 1, "pause": 3})
    expect(page.locator('.queue[data-queue="q"] .queue-full')).to_have_text("已满", timeout=20_000)
    page.wait_for_timeout(900)  # the tree glides into place, for the picture
    seen.scan("queue full")
    zh.screenshot(f"zh-queue-full-{width}x{height}")
    wait_state(server, run_id, ENDED, timeout=60)
    expect(page.locator("#result-card")).to_be_visible(timeout=10_000)
    expect(page.locator("#conn")).to_have_attribute("data-status", "ended", timeout=10_000)
    page.wait_for_timeout(900)
    seen.scan("finished")
    zh.screenshot(f"zh-queue-finished-{width}x{height}")
    page.goto(f"{server.base}/?lesson=ticket-race")
    page.locator("#param-buyers").fill("99")
    page.locator("#run-btn").click()
    expect(page.locator("#param-buyers")).to_be_focused()
    seen.scan("form error")
    zh.screenshot(f"zh-form-error-{width}x{height}")
    assert not seen.found, "English words in zh mode:\n" + seen.report()
    assert zh.errors == []
