"""The timeline's markers (spawn, exit, reap, adopt, the lesson's events) and its zoom, in
real Chromium against a real procviz server running real lessons."""

from __future__ import annotations

import json
import re
from itertools import pairwise
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import SCREENSHOTS, Watched
from tests.client import Server, api, start_run, wait_state

pytestmark = pytest.mark.browser

ENDED = {"finished", "stopped", "failed"}


def recorded_events(server: Server, run_id: str) -> list[dict[str, Any]]:
    lines = api(server, "GET", f"/api/runs/{run_id}/recording").text.splitlines()
    return [m for m in map(json.loads, lines) if m.get("type") == "event"]


def watch_to_the_end(server: Server, watched: Watched, run: dict[str, Any]) -> Page:
    """Watch the run live, then open the timeline once it has ended."""
    page = watched.page
    page.goto(f"{server.base}/runs/{run['id']}")
    wait_state(server, run["id"], ENDED, timeout=40)
    expect(page.locator("#run-badge")).to_have_attribute(
        "data-state", re.compile("finished|stopped|failed"), timeout=10_000
    )
    page.locator("#tab-timeline").click()
    expect(page.locator("#timeline")).to_be_visible()
    return page


def translate_x(marker: Locator) -> float:
    transform = marker.get_attribute("transform") or ""
    found = re.match(r"translate\(([-\d.e]+),", transform)
    assert found, transform
    return float(found.group(1))


def seg_box(seg: Locator) -> tuple[float, float]:
    return float(seg.get_attribute("x") or "nan"), float(seg.get_attribute("width") or "nan")


def test_zombie_lane_has_its_spawn_and_its_reap_marked_where_they_happened(
    server: Server, watched: Watched
) -> None:
    run = start_run(server, "zombie", {"speed": 2})
    page = watch_to_the_end(server, watched, run)
    events = recorded_events(server, run["id"])
    exits = {m["pid"]: m["t"] for m in events if m["kind"] == "exit"}
    reaps = {m["pid"]: m["t"] for m in events if m["kind"] == "reap"}
    # The zombie: exited, then reaped by join() 1.5 s later (at speed 2).
    child = next(pid for pid, t in reaps.items() if pid in exits and t - exits[pid] > 1.0)

    lane = page.locator(f'#timeline g.lane[data-pid="{child}"]')
    expect(lane).to_have_count(1)
    reap = lane.locator('.marker[data-kind="reap"]')
    expect(reap).to_have_count(1)
    assert float(reap.get_attribute("data-t") or "nan") == pytest.approx(reaps[child], abs=1e-6)
    expect(reap.locator("title")).to_contain_text("reap")
    # Drawn where the lane's Z segment ends: the reap ends the zombie.
    zombie = lane.locator('rect.seg[data-status="zombie"]')
    x, w = seg_box(zombie)
    assert translate_x(reap) == pytest.approx(x + w, abs=1.0)

    exit_marker = lane.locator('.marker[data-kind="exit"]')
    expect(exit_marker).to_have_count(1)
    assert float(exit_marker.get_attribute("data-t") or "nan") == pytest.approx(
        exits[child], abs=1e-6
    )
    spawn = lane.locator('.marker[data-kind="spawn"]')
    expect(spawn).to_have_count(1)
    assert spawn.get_attribute("data-t") == lane.get_attribute("data-start")
    expect(spawn.locator("title")).to_contain_text(f"spawn: PID {child}")
    # Every lane starts with its spawn.
    lanes = page.locator("#timeline g.lane").count()
    expect(page.locator('#timeline .marker[data-kind="spawn"]')).to_have_count(lanes)

    # The tooltips speak the page's language.
    page.keyboard.press("l")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(reap.locator("title")).to_contain_text("回收")
    expect(page.locator("#tl-fit")).to_have_text("显示全部")
    page.keyboard.press("l")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert watched.errors == []


def test_orphan_lane_marks_the_moment_it_was_adopted(server: Server, watched: Watched) -> None:
    run = start_run(server, "orphan", {"speed": 2})
    page = watch_to_the_end(server, watched, run)
    adopts = [m for m in recorded_events(server, run["id"]) if m["kind"] == "adopt"]
    assert adopts
    orphan = adopts[0]["pid"]
    lane = page.locator(f'#timeline g.lane[data-pid="{orphan}"]')
    expect(lane).to_have_count(1)
    adopt = lane.locator('.marker[data-kind="adopt"]')
    expect(adopt).to_have_count(1)
    assert float(adopt.get_attribute("data-t") or "nan") == pytest.approx(adopts[0]["t"], abs=1e-6)
    expect(adopt.locator("title")).to_contain_text(f"adopted by PID {server.pid}")
    # Only the orphan was adopted.
    expect(page.locator('#timeline .marker[data-kind="adopt"]')).to_have_count(1)

    # A chatty lesson: thousands of prints are thinned, the lifecycle marks all stay.
    page.evaluate(
        """(pid) => {
             const m = window.procviz.model;
             const life = m.lives.get(pid);
             const end = life.end ?? life.start + 1;
             for (let i = 0; i < 3000; i++) {
               m.apply({type: 'event', kind: 'stdout', pid, t: life.start + (end - life.start) * i / 3000,
                        data: {line: `line ${i}`}});
             }
           }""",
        orphan,
    )
    page.locator("#tl-fit").click()
    timeline = page.locator("#timeline")
    expect(lane.locator('.marker[data-kind="stdout"]').first).to_be_attached()
    assert 0 < int(timeline.get_attribute("data-markers") or "0") <= 300
    expect(adopt).to_have_count(1)
    lanes = timeline.locator("g.lane").count()
    expect(timeline.locator('.marker[data-kind="spawn"]')).to_have_count(lanes)
    assert watched.errors == []


def test_queue_lesson_marks_puts_and_gets_and_the_time_axis_zooms_and_fits(
    server: Server, watched: Watched
) -> None:
    run = start_run(server, "queue", {"speed": 4})
    page = watch_to_the_end(server, watched, run)
    events = recorded_events(server, run["id"])
    queue_events = [m for m in events if m["kind"] == "queue"]
    assert queue_events
    timeline = page.locator("#timeline")
    queue = timeline.locator('.marker[data-kind="queue"]')
    # Few enough to draw each one, unless two fall on the same pixels.
    expect(queue.first).to_be_attached()
    assert 2 <= queue.count() <= len(queue_events)
    expect(timeline.locator(".marker-queue.marker-put").first).to_be_attached()
    expect(timeline.locator(".marker-queue.marker-get").first).to_be_attached()
    expect(timeline.locator(".marker-get title").first).to_contain_text("get, depth")
    expect(timeline.locator('.marker[data-kind="stdout"]').first).to_be_attached()
    # The producer's queue events are on the producer's lane (multiprocessing names the
    # lecture's one child Process-1; the tracer reports its puts from its own PID).
    producer = next(
        m["pid"]
        for m in events
        if m["kind"] == "spawn" and (m.get("data") or {}).get("label") == "Process-1"
    )
    assert any(m["pid"] == producer for m in queue_events), queue_events
    expect(
        timeline.locator(f'g.lane[data-pid="{producer}"] .marker[data-kind="queue"]').first
    ).to_be_attached()
    assert int(timeline.get_attribute("data-markers") or "0") <= 300
    timeline.evaluate("(el) => el.scrollIntoView()")
    watched.screenshot("timeline-markers")
    timeline.screenshot(path=str(SCREENSHOTS / "timeline-markers-detail.png"))

    # The widest segment, to measure the zoom by.
    index = timeline.locator("rect.seg").evaluate_all(
        """(rects) => rects.reduce((best, r, i, all) =>
             +r.getAttribute('width') > +all[best].getAttribute('width') ? i : best, 0)"""
    )
    seg = timeline.locator("rect.seg").nth(index)
    from_, to = seg.get_attribute("data-from"), seg.get_attribute("data-to")
    x0, w0 = seg_box(seg)
    assert w0 > 50
    expect(timeline).to_have_attribute("data-mode", "follow")

    page.locator("#tl-zoom-in").click()
    page.locator("#tl-zoom-in").click()
    expect(timeline).to_have_attribute("data-mode", "manual")
    _, w1 = seg_box(seg)
    assert w1 == pytest.approx(w0 * 1.6 * 1.6, rel=0.02), (w0, w1)
    # Zooming changes pixels, never the times a segment stands for.
    assert (seg.get_attribute("data-from"), seg.get_attribute("data-to")) == (from_, to)

    page.locator("#tl-fit").click()
    expect(timeline).to_have_attribute("data-mode", "all")
    assert seg_box(seg) == pytest.approx((x0, w0), abs=0.5)

    # The wheel zooms around the pointer; dragging pans.
    box = page.locator("#timeline svg.timeline-svg").bounding_box()
    assert box
    y = box["y"] + 14
    page.mouse.move(box["x"] + box["width"] * 0.6, y)
    page.mouse.wheel(0, -400)
    expect(timeline).to_have_attribute("data-mode", "manual")
    page.wait_for_timeout(300)
    assert seg_box(seg)[1] > w0 * 1.3
    before = [float(v) for v in (timeline.get_attribute("data-domain") or "").split(",")]
    page.mouse.move(box["x"] + 1000, y)
    page.mouse.down()
    page.mouse.move(box["x"] + 800, y, steps=5)
    page.mouse.up()
    after = [float(v) for v in (timeline.get_attribute("data-domain") or "").split(",")]
    assert after[0] > before[0] and after[1] - after[0] == pytest.approx(before[1] - before[0])

    page.locator("#tl-fit").click()
    assert seg_box(seg) == pytest.approx((x0, w0), abs=0.5)
    assert watched.errors == []


def test_lock_markers_show_each_buyer_holding_the_lock_in_turn(
    server: Server, watched: Watched
) -> None:
    run = start_run(server, "ticket-race", {"speed": 4, "buyers": 4, "lock": True})
    page = watch_to_the_end(server, watched, run)
    timeline = page.locator("#timeline")
    held = timeline.locator(".marker-lock-held")
    freed = timeline.locator(".marker-lock-free")
    expect(held).to_have_count(4)
    expect(freed).to_have_count(4)
    expect(held.first.locator("title")).to_contain_text("lock: acquired")
    spans = timeline.locator("g.lane").evaluate_all(
        """(lanes) => lanes.flatMap((g) => {
             const at = (c) => [...g.querySelectorAll(c)].map((m) => +m.dataset.t);
             const [h, f] = [at('.marker-lock-held'), at('.marker-lock-free')];
             return h.length ? [[h[0], f[0]]] : [];
           })"""
    )
    # One holder at a time: each buyer releases before the next one acquires.
    spans.sort()
    assert len(spans) == 4 and all(a < b for a, b in spans), spans
    assert all(before[1] <= after[0] for before, after in pairwise(spans)), spans
    assert watched.errors == []


def test_timeline_follows_now_while_the_run_is_live(server: Server, watched: Watched) -> None:
    run = start_run(server, "queue", {"speed": 1})  # main waits 3 s with a full queue
    page = watched.page
    page.goto(f"{server.base}/runs/{run['id']}")
    page.locator("#tab-timeline").click()
    expect(page.locator("#timeline g.lane").first).to_be_attached(timeout=15_000)
    follow = """() => {
      const m = window.procviz.model;
      const [d0, d1] = document.querySelector('#timeline').dataset.domain.split(',').map(Number);
      return {live: !m.isTerminal(), d0, d1, now: m.serverNow() - m.t0,
              mode: document.querySelector('#timeline').dataset.mode};
    }"""
    # The axis spans at least a second: wait past it.
    page.wait_for_function("() => window.procviz.model.serverNow() - window.procviz.model.t0 > 1.3")
    first = page.evaluate(follow)
    page.wait_for_timeout(1000)
    second = page.evaluate(follow)
    assert first["live"] and second["live"], (first, second)
    for view in (first, second):
        # A short run is shown whole, up to now (redrawn four times a second).
        assert view["mode"] == "follow" and view["d0"] == 0, view
        assert abs(view["d1"] - view["now"]) < 0.5, view
    assert second["d1"] - first["d1"] > 0.6, (first, second)
    expect(page.locator("#tl-follow")).to_be_visible()
    # Zoomed by hand, the view holds still; Follow live takes it back to now.
    page.locator("#tl-zoom-in").click()
    held = page.evaluate(follow)
    page.wait_for_timeout(600)
    assert page.evaluate(follow)["d1"] == held["d1"]
    page.locator("#tl-follow").click()
    expect(page.locator("#timeline")).to_have_attribute("data-mode", "follow")
    assert abs(page.evaluate(follow)["d1"] - page.evaluate(follow)["now"]) < 0.5
    wait_state(server, run["id"], ENDED, timeout=40)
    expect(page.locator("#tl-follow")).to_be_hidden(timeout=10_000)
    assert watched.errors == []
