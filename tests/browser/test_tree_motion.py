"""Slow motion that is slow: the tree's moves in real Chromium.

Every animation frame of a join and of a ticket race, the boxes of all process nodes on
screen are read (getBoundingClientRect); no two may overlap in any frame. The duration of
a move follows the run's speed and the replay's, as the tree reports it (data-move-ms).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import Watched, open_page
from tests.client import Server, start_run, wait_state

pytestmark = pytest.mark.browser

ENDED = {"finished", "stopped", "failed"}

# Every frame: the boxes of the nodes drawn at all (opacity above 0), pairs that overlap by
# more than a pixel, the most nodes shown at once and their smallest PID text, and whether
# any node moved (its transform changed) since the frame before.
SAMPLER = """
() => {
  const s = window.__frames = { frames: 0, moves: 0, most: 0, smallestPid: 1e9, overlaps: [], stop: false };
  const last = new Map();
  function frame() {
    const shown = [];
    let moved = false;
    for (const g of document.querySelectorAll("#tree g.node")) {
      const tr = g.getAttribute("transform");
      if (last.has(g) && last.get(g) !== tr) moved = true;
      last.set(g, tr);
      if (Number(getComputedStyle(g).opacity) <= 0) continue;
      const r = g.querySelector(".box").getBoundingClientRect();
      shown.push({ id: g.dataset.pid || "server", r, g });
    }
    for (let a = 0; a < shown.length; a++) {
      for (let b = a + 1; b < shown.length; b++) {
        const A = shown[a].r, B = shown[b].r;
        const w = Math.min(A.right, B.right) - Math.max(A.left, B.left);
        const h = Math.min(A.bottom, B.bottom) - Math.max(A.top, B.top);
        if (w > 1 && h > 1 && s.overlaps.length < 20) {
          s.overlaps.push({ frame: s.frames, a: shown[a].id, b: shown[b].id, w, h });
        }
      }
    }
    const procs = shown.filter((n) => n.id !== "server");
    if (procs.length >= s.most) {
      s.most = procs.length;
      for (const n of procs) {
        const pid = n.g.querySelector(".l1").getBoundingClientRect().height;
        if (procs.length >= 10) s.smallestPid = Math.min(s.smallestPid, pid);
      }
    }
    if (moved) s.moves++;
    s.frames++;
    if (!s.stop) requestAnimationFrame(frame);
  }
  requestAnimationFrame(frame);
}
"""


def watch_frames(server: Server, page: Page, lesson: str, params: dict[str, Any]) -> dict[str, Any]:
    """Open a fresh run of a lesson, sample every frame until it ended and settled."""
    run = start_run(server, lesson, params)
    page.goto(f"{server.base}/runs/{run['id']}")
    page.evaluate(SAMPLER)
    wait_state(server, run["id"], ENDED, timeout=60)
    page.wait_for_timeout(1500)  # the last moves end
    frames: dict[str, Any] = page.evaluate(
        "() => { window.__frames.stop = true; return window.__frames; }"
    )
    frames["run"] = run["id"]
    return frames


def test_no_two_nodes_overlap_in_any_frame_of_a_join(server: Server, watched: Watched) -> None:
    frames = watch_frames(server, watched.page, "join", {"speed": 3})
    assert frames["overlaps"] == []
    # Not vacuous: the children came and went, and the tree moved to make room for them.
    assert frames["moves"] > 0 and frames["most"] >= 2, frames
    assert watched.errors == []


def test_ten_buyers_never_overlap_in_a_slow_replay_and_stay_legible(
    server: Server, watched: Watched
) -> None:
    # The buyers are born before a live page has connected; a quarter-speed replay shows them
    # arriving one by one, the moment the issue saw as a heap of overlapping nodes.
    run = start_run(server, "ticket-race", {"buyers": 10, "speed": 2})
    ended = wait_state(server, run["id"], ENDED, timeout=60)
    page = watched.page
    page.add_init_script(f"({SAMPLER})()")
    page.goto(f"{server.base}/runs/{run['id']}?replay=0.25")
    page.wait_for_timeout(1000 * ((ended["ended"] - ended["started"]) / 0.25 + 3))
    frames = page.evaluate("() => { window.__frames.stop = true; return window.__frames; }")
    assert frames["overlaps"] == []
    assert frames["moves"] > 0 and frames["most"] >= 10, frames
    # Ten at once on the screen: every PID still at a readable size.
    assert frames["smallestPid"] >= 12, frames
    assert watched.errors == []


def move_ms(page: Page) -> int:
    svg = page.locator("#tree svg.tree-svg")
    expect(svg).to_have_attribute("data-move-ms", re.compile(r"^\d+$"), timeout=20_000)
    return int(svg.get_attribute("data-move-ms") or 0)


def expected_ms(speed: float, replay: float) -> int:
    return round(min(4000, max(250, 900 / (speed * replay))))


def test_moves_slow_down_with_the_run_speed_and_the_replay_speed(
    server: Server, browser: Browser
) -> None:
    run = start_run(server, "ticket-race", {"buyers": 3, "speed": 2})
    wait_state(server, run["id"], ENDED, timeout=60)
    durations = {}
    for replay in (None, 0.25, 1, 4):
        w = open_page(browser)
        try:
            query = f"?replay={replay}" if replay else ""
            w.page.goto(f"{server.base}/runs/{run['id']}{query}")
            expect(w.page.locator("#tree g.node[data-pid]").first).to_be_attached(timeout=20_000)
            durations[replay] = move_ms(w.page)
            assert w.errors == []
        finally:
            w.page.context.close()
    assert durations == {
        None: expected_ms(2, 1),  # the run's page: speed 2, moves twice as fast
        0.25: expected_ms(2, 0.25),  # a quarter-speed replay: four times as slow
        1: expected_ms(2, 1),
        4: expected_ms(2, 4),
    }
    assert durations[0.25] == 4 * durations[1]


def test_ticket_race_mid_move_screenshots(server: Server, browser: Browser) -> None:
    """The buyers arriving in a quarter-speed replay, caught inside a move, at 1920×1080 and on
    a 1366×768 laptop (artifacts/screenshots/)."""
    run = start_run(server, "ticket-race", {"buyers": 10})
    wait_state(server, run["id"], ENDED, timeout=60)
    for width, height in ((1920, 1080), (1366, 768)):
        w = open_page(browser)
        try:
            w.page.set_viewport_size({"width": width, "height": height})
            w.page.goto(f"{server.base}/runs/{run['id']}?replay=0.25")
            w.page.wait_for_function(
                """() => document.querySelector('#tree svg[data-moving]')
                  && document.querySelectorAll('#tree g.node[data-role="child"]').length >= 6""",
                timeout=30_000,
            )
            w.page.wait_for_timeout(500)  # well inside the move (3.6 s at a quarter speed)
            w.screenshot(f"ticket-race-moving-{width}x{height}")
            assert w.errors == []
        finally:
            w.page.context.close()
