"""No dead ends: a finished run keeps its tree, a failed Run shows what to fix, the badge
says the run ended, and following the presenter works on loopback without a token."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import Watched, open_page
from tests.client import Server, api, log_of, presenter_token, start_run, wait_state

pytestmark = pytest.mark.browser

ENDED = {"finished", "stopped", "failed"}
NODES = "g.node[data-pid]:not([data-role='server'])"

# Bands of rows with ink in a picture (what differs from its white background): a tree of
# three levels draws three, the server node alone one.
INK_BANDS = """async (b64) => {
  const img = new Image();
  img.src = `data:image/png;base64,${b64}`;
  await img.decode();
  const c = document.createElement("canvas");
  c.width = img.naturalWidth;
  c.height = img.naturalHeight;
  const ctx = c.getContext("2d");
  ctx.drawImage(img, 0, 0);
  const { data } = ctx.getImageData(0, 0, c.width, c.height);
  const inked = [];
  for (let y = 0; y < c.height; y++) {
    let n = 0;
    for (let x = 0; x < c.width; x++) {
      const i = (y * c.width + x) * 4;
      if (Math.max(255 - data[i], 255 - data[i + 1], 255 - data[i + 2]) > 24) n++;
    }
    inked.push(n > c.width * 0.03);
  }
  let bands = 0;
  let gap = Infinity;
  for (const row of inked) {
    if (row && gap > 6) bands++;
    gap = row ? 0 : gap + 1;
  }
  return { width: c.width, height: c.height, bands };
}"""


@pytest.fixture
def zh(browser: Browser) -> Iterator[Watched]:
    w = open_page(browser, locale="zh-CN")
    yield w
    w.page.context.close()


def processes_at_result(server: Server, run_id: str) -> set[int]:
    """From the recording: the processes spawned before the result and not reaped by then."""
    text = api(server, "GET", f"/api/runs/{run_id}/recording").text
    events = [m for m in map(_json, text.splitlines()) if m.get("type") == "event"]
    result_t = next(m["t"] for m in events if m["kind"] == "result")
    born = {m["pid"] for m in events if m["kind"] == "spawn" and m["t"] <= result_t}
    reaped_early = {
        m["pid"] for m in events if m["kind"] == "reap" and m["t"] < result_t - 2.5
    }  # gone long before the result (a finished phase), as the page's fading ghosts are
    return born - reaped_early


def _json(line: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(line)
    return value


def node_pids(page: Page) -> set[int]:
    return {
        int(p) for p in page.locator(NODES).evaluate_all("(ns) => ns.map((n) => n.dataset.pid)")
    }


def export_tree_png(page: Page) -> dict[str, int]:
    page.locator("#export-menu > summary").click()
    with page.expect_download() as info:
        page.locator("#export-tree-png").click()
    data = Path(info.value.path()).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    bands: dict[str, int] = page.evaluate(INK_BANDS, base64.b64encode(data).decode())
    return bands


def test_a_finished_run_keeps_its_last_tree_live_after_it_ended_and_at_the_end_of_a_replay(
    server: Server, watched: Watched
) -> None:
    page = watched.page
    run = start_run(server, "ticket-race", {"speed": 4, "buyers": 5})
    page.goto(f"{server.base}/runs/{run['id']}")
    wait_state(server, run["id"], ENDED, timeout=60)
    expect(page.locator("#run-badge")).to_have_attribute("data-state", "finished")
    at_result = processes_at_result(server, run["id"])
    assert len(at_result) >= 6, at_result  # the root and its five buyers
    page.wait_for_timeout(3500)  # longer than a ghost fades (state.js GHOST_MS)
    # Every process there was at the result is still drawn, faded, and under its parent.
    assert node_pids(page) >= at_result, (node_pids(page), at_result)
    expect(page.locator(f"{NODES}[data-ended='true']")).to_have_count(len(node_pids(page)))
    root = page.locator("g.node[data-role='root']")
    buyers = page.locator(f"{NODES}[data-ppid='{root.get_attribute('data-pid')}']")
    assert buyers.count() >= 5
    expect(page.locator("#tree")).to_have_class(re.compile(r"\bhas-last-tree\b"))
    # The export is the tree, not the server alone: three levels of ink.
    png = export_tree_png(page)
    assert png["bands"] >= 3 and png["height"] > 300, png
    watched.screenshot("finished-last-tree")

    # Opened after the run ended: the tree is drawn from the history (no records come then).
    page.goto(f"{server.base}/runs/{run['id']}")
    expect(page.locator("#result-card")).to_be_visible(timeout=10_000)
    page.wait_for_function(
        f"() => document.querySelectorAll(`{NODES}`).length >= {len(at_result)}", timeout=10_000
    )
    assert node_pids(page) >= at_result
    assert export_tree_png(page)["bands"] >= 3

    # The end of a replay.
    page.goto(f"{server.base}/runs/{run['id']}?replay=4")
    expect(page.locator("#conn")).to_have_attribute("data-status", "replayed", timeout=30_000)
    page.wait_for_timeout(3500)
    assert node_pids(page) >= at_result
    assert export_tree_png(page)["bands"] >= 3
    assert watched.errors == []


def test_a_stopped_run_keeps_its_tree_too(server: Server, watched: Watched) -> None:
    page = watched.page
    run = start_run(server, "zombie", {"speed": 1, "parent_sleep": 8})
    page.goto(f"{server.base}/runs/{run['id']}")
    expect(page.locator(NODES)).to_have_count(2, timeout=20_000)  # the root and its zombie
    drawn = node_pids(page)
    page.locator("#stop-run").click()
    wait_state(server, run["id"], ENDED, timeout=30)
    page.wait_for_timeout(3500)
    assert node_pids(page) >= drawn
    assert watched.errors == []


def test_connection_badge_says_ended_once_the_run_finished(server: Server, zh: Watched) -> None:
    page = zh.page
    run = start_run(server, "zombie", {"speed": 2})
    page.goto(f"{server.base}/runs/{run['id']}")
    conn = page.locator("#conn")
    expect(conn).to_have_attribute("data-status", "live", timeout=10_000)
    expect(conn.locator(".conn-text")).to_have_text("实时")
    wait_state(server, run["id"], ENDED, timeout=30)
    expect(conn).to_have_attribute("data-status", "ended", timeout=10_000)
    expect(conn.locator(".conn-text")).to_have_text("运行已结束")
    page.keyboard.press("l")
    expect(conn.locator(".conn-text")).to_have_text("run ended")
    # Opened after the end: ended at once, never live.
    page.goto(f"{server.base}/runs/{run['id']}")
    expect(page.locator("#result-card")).to_be_visible(timeout=10_000)
    expect(conn).to_have_attribute("data-status", "ended")
    assert zh.errors == []


@pytest.mark.parametrize(
    ("locale", "message"),
    [
        ("en-US", "speed must be between 0.1 and 20."),
        ("zh-CN", "速度 speed 必须在 0.1 到 20 之间。"),
    ],
)
def test_a_failed_run_shows_and_focuses_the_field_and_names_its_bound(
    server: Server, browser: Browser, locale: str, message: str
) -> None:
    w = open_page(browser, locale=locale)
    try:
        page = w.page
        page.set_viewport_size({"width": 1366, "height": 768})
        page.goto(server.base + "/?lesson=ticket-race")
        posts: list[str] = []
        page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
        speed = page.locator("#param-speed")
        speed.fill("50")
        page.locator("#lessons-panel").evaluate("(el) => { el.scrollTop = 0; }")
        page.locator("#run-btn").click()
        error = page.locator('[data-field="speed"] .field-error')
        expect(error).to_have_text(message)
        expect(speed).to_be_focused()
        expect(speed).to_be_in_viewport()
        expect(speed).to_have_attribute("aria-invalid", "true")
        assert posts == [] and page.url.endswith("/?lesson=ticket-race")
        # Not a number at all: the same, with the bounds.
        speed.fill("")
        page.locator("#run-btn").click()
        expect(error).to_have_text(message)
        # Fixed: the message goes, and Run runs.
        speed.fill("8")
        expect(error).to_be_hidden()
        page.locator("#run-btn").click()
        page.wait_for_url(re.compile(r"/runs/[^/?]+$"), timeout=10_000)
        wait_state(server, page.url.rsplit("/", 1)[1], ENDED, timeout=60)
        assert w.errors == []
    finally:
        w.page.context.close()


def test_follow_the_presenter_works_on_loopback_without_a_token(
    server: Server, browser: Browser
) -> None:
    # The session's server listens on loopback with no PROCVIZ_TOKEN: anyone may run lessons.
    w = open_page(browser)
    p = open_page(browser)
    try:
        page = w.page
        page.goto(server.base + "/")
        follow = page.locator("#follow")
        expect(follow).to_be_visible()
        # Off until asked: a page that also controls is not taken away from its user.
        expect(page.locator("#follow-toggle")).not_to_be_checked()
        page.locator("#follow-toggle").check()
        expect(follow).to_have_attribute("data-conn", "live", timeout=10_000)
        # On loopback a page without the token still runs lessons: its controls stay.
        expect(page.locator("#run-btn")).to_be_visible()
        run = start_run(server, "zombie", {"speed": 4})
        page.wait_for_url(f"{server.base}/runs/{run['id']}", timeout=15_000)
        expect(page.locator("#follow")).to_be_visible()
        wait_state(server, run["id"], ENDED, timeout=30)
        # The presenter (the token the server printed) is not asked to follow anyone.
        token = presenter_token(server, log_of(server))
        p.page.goto(f"{server.base}/?token={token}")
        expect(p.page.locator("#run-btn")).to_be_visible()
        expect(p.page.locator("#follow")).to_have_count(0)
        p.page.locator('button.lesson[data-lesson="zombie"]').click()
        p.page.locator("#param-speed").fill("4")
        p.page.locator("#run-btn").click()
        p.page.wait_for_url(re.compile(r"/runs/[^/?]+$"), timeout=10_000)
        second = p.page.url.rsplit("/", 1)[1]
        page.wait_for_url(f"{server.base}/runs/{second}", timeout=15_000)
        wait_state(server, second, ENDED, timeout=30)
        assert w.errors == [] and p.errors == []
    finally:
        w.page.context.close()
        p.page.context.close()
