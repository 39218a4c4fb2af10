"""The audience in real Chromium: following the presenter, the viewers' link and QR code,
a viewer's Stop, replay with a scrubber, and export."""

from __future__ import annotations

import base64
import json
import re
import struct
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import Watched, open_page
from tests.client import Server, api, start_run, wait_state

pytestmark = pytest.mark.browser

ENDED = {"finished", "stopped", "failed"}
SVG = "{http://www.w3.org/2000/svg}"
TOKEN = "t0k"

# Every (pid, status) a tree node shows, however briefly: what the class saw during a replay.
SEEN_NODES = """
window.__seen = new Set();
new MutationObserver(() => {
  for (const g of document.querySelectorAll("g.node[data-pid]")) {
    window.__seen.add(`${g.dataset.pid}:${g.dataset.status}`);
  }
}).observe(document, { subtree: true, childList: true, attributes: true });
"""

# Decode a PNG (an on-screen picture of the QR code) with jsQR, in the page.
DECODE_QR = """async (b64) => {
  const img = new Image();
  img.src = `data:image/png;base64,${b64}`;
  await img.decode();
  const canvas = document.createElement("canvas");
  canvas.width = img.width;
  canvas.height = img.height;
  const ctx = canvas.getContext("2d");
  ctx.drawImage(img, 0, 0);
  const pixels = ctx.getImageData(0, 0, img.width, img.height);
  return window.jsQR(pixels.data, img.width, img.height)?.data ?? null;
}"""


def recording(server: Server, run_id: str) -> list[dict[str, Any]]:
    r = api(server, "GET", f"/api/runs/{run_id}/recording")
    assert r.status_code == 200, r.text
    return [json.loads(line) for line in r.text.splitlines() if line.strip()]


def zombie_moment(messages: list[dict[str, Any]]) -> tuple[int, int, float]:
    """The zombie child's PID, the root's PID, and a moment (s from the start) it was a zombie."""
    t0 = messages[0]["t"]
    zombie_at = None
    zpid = 0
    for m in messages:
        for p in m.get("processes", []) + m.get("changed", []):
            if p["status"] == "zombie" and zombie_at is None:
                zombie_at, zpid = m["t"], p["pid"]
    assert zombie_at is not None, "the recording never sampled the child as a zombie"
    reaped = next(m["t"] for m in messages if m.get("kind") == "reap" and m["pid"] == zpid)
    root = next(
        m["pid"] for m in messages if m.get("kind") == "spawn" and m["data"]["role"] == "root"
    )
    return zpid, root, (zombie_at + reaped) / 2 - t0


def scrub_to(page: Page, seconds: float | None) -> None:
    """Move the scrubber as a drag would (None: to the end)."""
    page.locator("#replay-scrub").evaluate(
        """(el, ms) => {
             el.value = String(ms ?? el.max);
             el.dispatchEvent(new Event("input", { bubbles: true }));
           }""",
        None if seconds is None else round(seconds * 1000),
    )


@pytest.fixture(scope="module")
def zombie_run(server: Server) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A finished zombie run (a 2 s zombie) and its recording."""
    run = start_run(server, "zombie", {"speed": 4, "parent_sleep": 8})
    assert wait_state(server, run["id"], ENDED, timeout=40)["state"] == "finished"
    return run, recording(server, run["id"])


def test_viewer_on_the_start_page_follows_the_presenter_to_a_new_run(
    make_server: Callable[..., Server], browser: Browser
) -> None:
    secured = make_server(PROCVIZ_TOKEN=TOKEN)
    w = open_page(browser)
    try:
        page = w.page
        page.goto(secured.base + "/")
        follow = page.locator("#follow")
        expect(follow).to_be_visible()
        expect(follow).to_contain_text("Following the presenter")
        expect(page.locator("#follow-toggle")).to_be_checked()
        expect(follow).to_have_attribute("data-conn", "live", timeout=10_000)
        # The start page's QR code sends students to the start page, which follows.
        expect(page.locator("#share-url")).to_have_text(secured.base + "/")

        run = start_run(secured, "zombie", {"speed": 2})  # through the API, with the token
        page.wait_for_url(f"{secured.base}/runs/{run['id']}", timeout=15_000)
        expect(page.locator("#run-link")).to_have_attribute("href", f"/runs/{run['id']}")
        expect(page.locator('g.node[data-role="root"]')).to_have_count(1, timeout=15_000)

        # From a run's page too, once that run has ended: on to the presenter's next one.
        expect(follow).to_have_attribute("data-conn", "live", timeout=10_000)
        wait_state(secured, run["id"], ENDED, timeout=30)
        second = start_run(secured, "zombie", {"speed": 4})
        page.wait_for_url(f"{secured.base}/runs/{second['id']}", timeout=15_000)

        # Unticked, the page hears of the next run and stays where it is.
        expect(follow).to_have_attribute("data-conn", "live", timeout=10_000)
        page.locator("#follow-toggle").uncheck()
        wait_state(secured, second["id"], ENDED, timeout=30)
        third = start_run(secured, "zombie", {"speed": 4})
        expect(follow).to_have_attribute("data-presenter-run", third["id"], timeout=10_000)
        assert page.url == f"{secured.base}/runs/{second['id']}"
        wait_state(secured, third["id"], ENDED, timeout=30)
        assert w.errors == []
    finally:
        w.page.context.close()


def test_share_card_shows_the_viewers_link_without_the_token_and_its_qr_code(
    make_server: Callable[..., Server], browser: Browser
) -> None:
    secured = make_server(PROCVIZ_TOKEN=TOKEN)
    run = start_run(secured, "zombie", {"speed": 1, "parent_sleep": 6})
    w = open_page(browser)
    try:
        page = w.page
        page.goto(f"{secured.base}/runs/{run['id']}?token={TOKEN}")  # the presenter's page
        url = f"{secured.base}/runs/{run['id']}"
        expect(page.locator("#share-url")).to_have_text(url)
        expect(page.locator("#share-url")).to_have_attribute("href", url)
        # The presenter is not asked to follow anyone.
        expect(page.locator("#follow")).to_have_count(0)
        qr = page.locator("#share-qr svg")
        expect(qr).to_have_attribute("data-text", url)
        modules = int(qr.get_attribute("data-modules") or 0)
        assert modules >= 21 and (modules - 17) % 4 == 0, modules  # a valid QR version's size
        assert qr.bounding_box()["width"] >= 150  # type: ignore[index]

        # What is on screen decodes (jsQR, a decoder of its own) to the viewers' link.
        page.add_script_tag(url="/vendor/jsqr/dist/jsQR.js")
        small = base64.b64encode(qr.screenshot()).decode()
        assert page.evaluate(DECODE_QR, small) == url
        expect(page.locator('g.node[data-status="zombie"]')).to_have_count(1, timeout=20_000)
        page.wait_for_timeout(600)  # the zombie settles in place, for the picture
        w.screenshot("share-qr")

        # Enlarged for the back of the hall: most of the screen's height, still the same link.
        page.locator("#share-enlarge").click()
        big = page.locator("#share-overlay .share-big-qr svg")
        expect(big).to_be_visible()
        assert big.bounding_box()["height"] >= 0.6 * 1080  # type: ignore[index]
        expect(page.locator("#share-overlay .share-big-url")).to_have_text(url)
        assert page.evaluate(DECODE_QR, base64.b64encode(big.screenshot()).decode()) == url
        w.screenshot("share-qr-large")
        page.keyboard.press("Escape")
        expect(page.locator("#share-overlay")).to_be_hidden()
        wait_state(secured, run["id"], ENDED, timeout=30)
        assert w.errors == []
    finally:
        w.page.context.close()


def test_viewer_without_the_token_sees_no_control_it_cannot_use_and_the_run_goes_on(
    make_server: Callable[..., Server], browser: Browser
) -> None:
    secured = make_server(PROCVIZ_TOKEN=TOKEN)
    run = start_run(secured, "zombie", {"speed": 1, "parent_sleep": 6})
    w = open_page(browser)
    try:
        page = w.page
        page.goto(f"{secured.base}/runs/{run['id']}")
        expect(page.locator("#run-badge")).to_have_attribute("data-state", "running")
        expect(page.locator('g.node[data-role="root"]')).to_have_count(1, timeout=10_000)
        # Stop (both), Run and its form, Freeze and step: none is shown to a viewer.
        for control in ("#stop-run", "#stop-btn", "#run-btn", "#param-form", "#time-controls"):
            expect(page.locator(control)).to_be_hidden()
        # Nor signals on a node: its details only.
        page.locator('g.node[data-role="root"]').click(force=True)
        expect(page.locator("#node-details")).to_be_visible()
        expect(page.locator("#node-menu button.btn-signal")).to_have_count(0)
        page.keyboard.press("Escape")
        # The presenter's key for Stop does nothing here either: no request is made.
        posts: list[str] = []
        page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
        page.keyboard.press("s")
        ended = wait_state(secured, run["id"], ENDED, timeout=30)
        assert ended["state"] == "finished" and ended["stop_reason"] is None, ended
        assert posts == []
        expect(page.locator("#run-badge")).to_have_attribute("data-state", "finished")
        assert w.errors == []
    finally:
        w.page.context.close()


def test_replay_draws_the_zombie_and_the_scrubber_rebuilds_any_moment(
    server: Server, watched: Watched, zombie_run: tuple[dict[str, Any], list[dict[str, Any]]]
) -> None:
    run, messages = zombie_run
    zpid, root_pid, moment = zombie_moment(messages)
    page = watched.page
    page.add_init_script(SEEN_NODES)
    page.goto(f"{server.base}/runs/{run['id']}?replay=2")
    expect(page.locator("#replay-bar")).to_be_visible(timeout=10_000)
    expect(page.locator('#replay-speeds button[data-speed="2"]')).to_have_attribute(
        "aria-pressed", "true"
    )
    # Played through the same tree code as live: the child is drawn as a zombie on the way.
    page.wait_for_function("(k) => window.__seen.has(k)", arg=f"{zpid}:zombie", timeout=20_000)
    page.locator('#replay-speeds button[data-speed="4"]').click()
    page.wait_for_url(re.compile(r"\?replay=4$"))
    expect(page.locator("#conn")).to_have_attribute("data-status", "replayed", timeout=20_000)
    expect(page.locator("#result-card")).to_be_visible()

    # Back to a moment the child was a zombie: the picture of that moment, rebuilt from the start.
    scrub_to(page, moment)
    expect(page.locator("#conn")).to_have_attribute("data-status", "paused")
    zombie = page.locator(f'g.node[data-pid="{zpid}"]')
    expect(zombie).to_have_attribute("data-status", "zombie")
    expect(zombie).to_have_attribute("data-ppid", str(root_pid))
    expect(page.locator("#result-card")).to_be_hidden()
    # The console holds what had been printed by then, once: the child's lines, not the join.
    expect(page.locator("#console .line", has_text="jason is running")).to_have_count(1)
    expect(page.locator("#console .line", has_text="joined")).to_have_count(0)
    time_text = page.locator("#replay-time").text_content() or ""
    assert re.fullmatch(r"\d+:\d\d\.\d / \d+:\d\d\.\d", time_text), time_text
    page.wait_for_timeout(1000)  # the tree glides to its place, for the picture
    watched.screenshot("replay")

    # To the end: the result card, and the zombie is gone (reaped by join).
    scrub_to(page, None)
    expect(page.locator("#result-card")).to_be_visible()
    expect(page.locator('#result-card dd[data-key="reaped_by_join"]')).to_have_attribute(
        "data-value", "true"
    )
    expect(page.locator("#conn")).to_have_attribute("data-status", "replayed")
    expect(page.locator('g.node[data-status="zombie"]')).to_have_count(0)
    expect(page.locator("#console .line", has_text="jason is running")).to_have_count(1)
    assert watched.errors == []


def test_export_downloads_tree_and_timeline_as_svg_and_png_and_the_recording(
    server: Server, watched: Watched, zombie_run: tuple[dict[str, Any], list[dict[str, Any]]]
) -> None:
    run, messages = zombie_run
    zpid, root_pid, moment = zombie_moment(messages)
    page = watched.page
    page.goto(f"{server.base}/runs/{run['id']}?replay=4")
    expect(page.locator("#conn")).to_have_attribute("data-status", "replayed", timeout=20_000)
    scrub_to(page, moment)
    expect(page.locator(f'g.node[data-pid="{zpid}"]')).to_have_attribute("data-status", "zombie")
    # The scrub rebuilds the tree, which then glides (and grows its notes) into place: the SVG
    # and the PNG below must be two exports of one settled picture, not of two frames of it.
    page.wait_for_timeout(1200)
    page.locator("#export-menu > summary").click()

    def download(button: str) -> tuple[str, bytes]:
        with page.expect_download() as info:
            page.locator(button).click()
        d = info.value
        return d.suggested_filename, Path(d.path()).read_bytes()

    name, data = download("#export-tree-svg")
    assert name == f"procviz-{run['id']}-tree.svg"
    tree = ET.fromstring(data)
    assert tree.tag == f"{SVG}svg"
    nodes = {g.get("data-pid"): g for g in tree.iter(f"{SVG}g") if g.get("data-pid")}
    assert {str(server.pid), str(root_pid), str(zpid)} <= set(nodes), sorted(nodes)
    assert nodes[str(zpid)].get("data-status") == "zombie"
    assert f"PID {zpid}" in data.decode()
    # Styles travel inline: the zombie's box keeps its colour without the page's CSS.
    box = next(r for r in nodes[str(zpid)].iter(f"{SVG}rect") if r.get("class") == "box")
    assert "fill: rgb(253, 232, 222)" in (box.get("style") or ""), box.get("style")

    name, data = download("#export-tree-png")
    assert name == f"procviz-{run['id']}-tree.png" and data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (2 * int(tree.get("width") or 0), 2 * int(tree.get("height") or 0))

    # The timeline is drawn for the export even though its tab is not open.
    expect(page.locator("#timeline")).to_be_hidden()
    name, data = download("#export-timeline-svg")
    timeline = ET.fromstring(data)
    lanes = {
        g.get("data-pid") for g in timeline.iter(f"{SVG}g") if "lane" in (g.get("class") or "")
    }
    assert {str(root_pid), str(zpid)} <= lanes, lanes
    expect(page.locator("#timeline")).to_be_hidden()
    name, data = download("#export-timeline-png")
    assert name.endswith("-timeline.png") and data[:4] == b"\x89PNG"

    name, data = download("#export-recording")
    assert name == f"{run['id']}.jsonl"
    assert [json.loads(line) for line in data.decode().splitlines()] == messages
    assert watched.errors == []


def test_start_page_lists_an_earlier_servers_recordings_and_replays_one(
    make_server: Callable[..., Server], browser: Browser, tmp_path: Path
) -> None:
    data_dir = str(tmp_path / "kept")
    first = make_server(PROCVIZ_DATA_DIR=data_dir)
    run = start_run(first, "zombie", {"speed": 4})
    wait_state(first, run["id"], ENDED, timeout=30)
    later = make_server(PROCVIZ_DATA_DIR=data_dir)  # e.g. the next morning
    # Not this server's run, yet described from its recording.
    described = api(later, "GET", f"/api/runs/{run['id']}").json()
    assert described["state"] == "finished" and described["lesson"] == "zombie", described
    w = open_page(browser)
    try:
        page = w.page
        page.goto(later.base + "/")
        row = page.locator("#recent-list li").filter(has=page.locator(f'a[data-run="{run["id"]}"]'))
        expect(row).to_contain_text("Zombie processes", timeout=10_000)
        expect(row.locator(".run-badge")).to_have_attribute("data-state", "finished")
        expect(row.locator(".recent-result")).to_contain_text("reaped_by_join=✔")
        w.screenshot("recordings")
        row.locator(".btn-replay").click()
        page.wait_for_url(f"{later.base}/runs/{run['id']}?replay=1")
        expect(page.locator("#replay-bar")).to_be_visible(timeout=10_000)
        expect(page.locator("#result-card")).to_be_visible(timeout=20_000)
        # An earlier server's run, replayed: no "does not exist".
        expect(page.locator("#limit-banner")).to_be_hidden()
        assert w.errors == []
    finally:
        w.page.context.close()
