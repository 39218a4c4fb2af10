"""The lecture-hall experience in real Chromium: projector mode, themes, keys, pausing the
view while the run goes on, stepping frame by frame, and the code line each process is at."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Watched
from tests.client import Server, api, start_run, wait_state

pytestmark = pytest.mark.browser

ENDED = {"finished", "stopped", "failed"}

# Every visible piece of HTML text (not the tree's SVG, which is scaled to fit) and its size.
HTML_TEXT_SIZES = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const el = node.parentElement;
    if (!node.data.trim() || !el || el.closest("svg, script, [hidden]")) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const box = range.getBoundingClientRect();
    if (!box.width || !box.height || box.bottom < 0 || box.top > innerHeight) continue;
    if (box.right < 0 || box.left > innerWidth) continue;
    const style = getComputedStyle(el);
    if (style.visibility === "hidden" || Number(style.opacity) === 0) continue;
    out.push({ text: node.data.trim().slice(0, 40), px: parseFloat(style.fontSize), cls: el.className });
  }
  return out;
}"""

# The on-screen size of each tree label: its font size times the scale the tree is drawn at.
TREE_LABEL_SIZES = """() => [...document.querySelectorAll(
    "g.node:not(.server) :is(text.l1, text.l2, text.l3)")].filter((el) => el.getClientRects().length)
  .map((el) => parseFloat(getComputedStyle(el).fontSize) * el.getScreenCTM().a)"""

# Every visible text of the tree (labels, server, badge letters, zombie tags, notes), as drawn.
TREE_TEXT_SIZES = """() => [...document.querySelectorAll("g.node text")]
  .filter((el) => el.textContent.trim() && el.getClientRects().length)
  .map((el) => ({ text: el.textContent.trim(), cls: el.getAttribute("class"),
    px: parseFloat(getComputedStyle(el).fontSize) * el.getScreenCTM().a,
    h: el.getBoundingClientRect().height }))"""

NODES = """() => [...document.querySelectorAll("g.node[data-pid]")]
  .map((g) => `${g.dataset.pid}:${g.dataset.status}`).sort()"""


def font_px(page: Page, selector: str) -> float:
    return float(
        page.locator(selector).first.evaluate("(el) => parseFloat(getComputedStyle(el).fontSize)")
    )


def lesson(server: Server, lesson_id: str) -> dict[str, Any]:
    return dict(api(server, "GET", f"/api/lessons/{lesson_id}").json())


def luminance(css_color: str) -> float:
    r, g, b = (int(x) / 255 for x in re.findall(r"\d+", css_color)[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def open_run(watched: Watched, server: Server, run_id: str, query: str = "") -> Page:
    page = watched.page
    page.goto(f"{server.base}/runs/{run_id}{query}")
    expect(page.locator('g.node[data-role="root"]')).to_have_count(1, timeout=20_000)
    return page


def test_projector_mode_enlarges_type_and_lines(server: Server, watched: Watched) -> None:
    run = start_run(server, "zombie", {"speed": 1, "parent_sleep": 8})
    page = open_run(watched, server, run["id"], "?projector=0")
    expect(page.locator("html")).to_have_attribute("data-projector", "0")
    expect(page.locator("#console .line").first).to_be_visible(timeout=10_000)
    before = {
        "label": font_px(page, "g.node:not(.server) text.l1"),
        "console": font_px(page, "#console"),
        "code": font_px(page, "#code-body pre"),
        "link": float(
            page.locator("path.link").first.evaluate(
                "(el) => parseFloat(getComputedStyle(el).strokeWidth)"
            )
        ),
    }
    page.keyboard.press("p")
    expect(page.locator("html")).to_have_attribute("data-projector", "1")
    expect(page.locator("#projector-toggle")).to_have_attribute("aria-pressed", "true")
    after = {
        "label": font_px(page, "g.node:not(.server) text.l1"),
        "console": font_px(page, "#console"),
        "code": font_px(page, "#code-body pre"),
        "link": float(
            page.locator("path.link").first.evaluate(
                "(el) => parseFloat(getComputedStyle(el).strokeWidth)"
            )
        ),
    }
    for key in before:
        assert after[key] > before[key], (key, before, after)
    # Read from the back row at 1080p: no HTML text under 20 px (rounded: 19.5), and the
    # tree's labels at least that large as drawn.
    page.wait_for_timeout(1000)  # the tree glides to its new scale
    small = [t for t in page.evaluate(HTML_TEXT_SIZES) if t["px"] < 19.5]
    assert small == [], small
    tree_sizes = page.evaluate(TREE_LABEL_SIZES)
    assert tree_sizes and min(tree_sizes) >= 19.5, tree_sizes

    # The choice is remembered; ?projector=1 turns it on for a page of its own.
    page.goto(f"{server.base}/runs/{run['id']}")
    expect(page.locator("html")).to_have_attribute("data-projector", "1")
    page.keyboard.press("p")
    expect(page.locator("html")).to_have_attribute("data-projector", "0")
    page.goto(f"{server.base}/?projector=1")
    expect(page.locator("html")).to_have_attribute("data-projector", "1")
    expect(page.locator("#lesson-list button.lesson")).not_to_have_count(0)
    small = [t for t in page.evaluate(HTML_TEXT_SIZES) if t["px"] < 19.5]
    assert small == [], small
    api(server, "POST", f"/api/runs/{run['id']}/stop")
    wait_state(server, run["id"], ENDED, timeout=30)
    assert watched.errors == []


@pytest.mark.parametrize(("producers", "consumers"), [(3, 3), (6, 6)])
def test_projector_keeps_a_wide_trees_text_at_20_px(
    server: Server, watched: Watched, producers: int, consumers: int
) -> None:
    # Six (or twelve) siblings under the lesson root: the tree is drawn with narrower nodes
    # and larger type in more rows, instead of shrinking every label under 20 px.
    run = start_run(
        server,
        "producer-consumer",
        {"producers": producers, "consumers": consumers, "items": 4, "speed": 1},
    )
    page = open_run(watched, server, run["id"], "?projector=1")
    children = page.locator('g.node[data-role="child"]:not([data-status="dead"])')
    expect(children).to_have_count(producers + consumers, timeout=20_000)
    # The tree glides to its new arrangement and scale (a move zooms through sizes between).
    page.wait_for_function(
        "() => !document.querySelector('svg.tree-svg').hasAttribute('data-moving')",
        timeout=15_000,
    )
    sizes = page.evaluate(TREE_TEXT_SIZES)
    drawn = {t["text"] for t in sizes}
    assert "procviz server · subreaper" in drawn, drawn
    assert any(text.startswith("MainProcess") for text in drawn), drawn
    # multiprocessing's own names, in the order the lecture makes them: producers first.
    assert {f"Process-{i}" for i in range(1, producers + consumers + 1)} <= drawn, drawn
    small = [t for t in sizes if t["px"] < 19.5]
    assert small == [], small
    # Not stretched flat either: each line is drawn about as tall as its size says.
    assert all(t["h"] >= 0.9 * t["px"] for t in sizes), sizes
    # Every node's box is inside the panel, and no two overlap.
    panel = page.locator("svg.tree-svg").bounding_box()
    assert panel
    boxes = page.locator("g.node .box").evaluate_all(
        "(els) => els.map((e) => { const r = e.getBoundingClientRect();"
        " return [r.left, r.top, r.right, r.bottom]; })"
    )
    for left, top, right, bottom in boxes:
        assert panel["x"] - 1 <= left and right <= panel["x"] + panel["width"] + 1, boxes
        assert panel["y"] - 1 <= top and bottom <= panel["y"] + panel["height"] + 1, boxes
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)
    if producers == 3:
        watched.screenshot("producer-consumer-projector")
    api(server, "POST", f"/api/runs/{run['id']}/stop")
    wait_state(server, run["id"], ENDED, timeout=30)
    assert watched.errors == []


def test_theme_follows_the_system_and_the_toggle_flips_it_and_s_stops(
    server: Server, watched: Watched
) -> None:
    page = watched.page
    page.emulate_media(color_scheme="dark")
    run = start_run(server, "zombie", {"speed": 1, "parent_sleep": 8})
    open_run(watched, server, run["id"], "?projector=1")
    # No choice made yet: the system's dark preference decides.
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert luminance(bg) < 0.2, bg
    expect(page.locator("#code-body span.at-line")).not_to_have_count(0, timeout=10_000)
    page.wait_for_timeout(1000)  # let the tree settle for the picture
    watched.screenshot("projector-dark")
    page.locator("#theme-toggle").click()
    expect(page.locator("html")).to_have_attribute("data-theme", "light")
    bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert luminance(bg) > 0.8, bg
    page.wait_for_timeout(300)
    watched.screenshot("projector-light")
    # The explicit choice outlives a reload, against the system's preference.
    page.reload()
    expect(page.locator("html")).to_have_attribute("data-theme", "light")
    page.keyboard.press("t")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    # S stops the run (it would have slept on for seconds).
    expect(page.locator("#stop-run")).to_be_enabled()
    page.keyboard.press("s")
    assert wait_state(server, run["id"], ENDED, timeout=30)["state"] == "stopped"
    expect(page.locator("#run-badge")).to_have_attribute("data-state", "stopped", timeout=10_000)
    assert watched.errors == []


def test_keys_switch_language_and_projector_show_help_and_ignore_typing(
    server: Server, watched: Watched
) -> None:
    zombie = lesson(server, "zombie")
    page = watched.page
    page.goto(f"{server.base}/?lesson=zombie")
    html = page.locator("html")
    heading = page.locator("#lesson-heading")
    expect(html).to_have_attribute("lang", "en")
    expect(heading).to_contain_text(zombie["title"]["en"])

    page.keyboard.press("l")
    expect(html).to_have_attribute("lang", "zh-CN")
    expect(heading).to_contain_text(zombie["title"]["zh"])
    expect(heading).not_to_contain_text(zombie["title"]["en"])
    expect(page.locator("#run-btn")).to_have_text("运行")

    page.keyboard.press("?")
    help_box = page.locator("#key-help")
    expect(help_box).to_be_visible()
    expect(help_box.locator("h2")).to_have_text("键盘快捷键")
    for key in ("Space", "S", "P", "L", "F", "?"):
        expect(help_box.locator(f'dd[data-key="{key}"]')).not_to_be_empty()
    expect(help_box.locator('dd[data-key="P"]')).to_have_text("投影模式")
    page.keyboard.press("l")  # the open help follows the language
    expect(help_box.locator('dd[data-key="P"]')).to_have_text("projector mode")
    page.keyboard.press("Escape")
    expect(help_box).to_be_hidden()

    page.keyboard.press("p")
    expect(html).to_have_attribute("data-projector", "1")
    # Typing a parameter is typing, not a shortcut.
    speed = page.locator("#param-speed")
    speed.fill("")
    speed.press_sequentially("4")
    speed.press("p")
    speed.press("l")
    expect(html).to_have_attribute("data-projector", "1")
    expect(html).to_have_attribute("lang", "en")
    speed.blur()
    page.keyboard.press("p")
    expect(html).to_have_attribute("data-projector", "0")

    # On the lesson page Space is Run.
    page.keyboard.press("Space")
    page.wait_for_url(re.compile(r"/runs/[^/?]+$"), timeout=10_000)
    run_id = page.url.rsplit("/", 1)[1]
    assert api(server, "GET", f"/api/runs/{run_id}").json()["params"]["speed"] == 4
    wait_state(server, run_id, ENDED, timeout=30)
    assert watched.errors == []


def test_pausing_freezes_the_tree_while_the_run_goes_on(server: Server, watched: Watched) -> None:
    run = start_run(server, "zombie", {"speed": 1, "parent_sleep": 4})
    page = open_run(watched, server, run["id"], "?projector=1")
    page.keyboard.press("Space")
    html = page.locator("html")
    expect(html).to_have_attribute("data-view", "paused")
    expect(page.locator("#pause-view")).to_have_attribute("aria-pressed", "true")
    page.wait_for_timeout(500)  # a frame drawn just before the pause may still land
    frozen = page.evaluate(NODES)
    assert any(node.split(":")[1] != "dead" for node in frozen), frozen

    # On the server the run goes on to its end: every process of it exits and is reaped.
    ended = wait_state(server, run["id"], ENDED, timeout=30)
    assert ended["state"] == "finished"
    bar = page.locator("#pause-bar")
    expect(bar).to_have_attribute("data-behind", re.compile(r"^[1-9]\d*$"), timeout=10_000)
    page.wait_for_timeout(3000)  # longer than a vanished process takes to fade out
    assert page.evaluate(NODES) == frozen
    expect(page.locator("#run-badge")).to_have_attribute("data-state", "running")
    expect(bar).to_be_visible()
    expect(bar).to_contain_text(re.compile(r"PAUSED · \d+ frames behind"))
    watched.screenshot("paused")

    # Resume: the view catches up with the run as it is now.
    page.keyboard.press("Space")
    expect(html).to_have_attribute("data-view", "live", timeout=10_000)
    expect(page.locator("#run-badge")).to_have_attribute("data-state", "finished")
    expect(page.locator('g.node[data-role="root"]:not([data-status="dead"])')).to_have_count(
        0, timeout=10_000
    )
    expect(bar).to_be_hidden()
    assert watched.errors == []


def test_step_shows_exactly_one_more_frame(server: Server, watched: Watched) -> None:
    # join starts and ends six children one after another: many frames after the pause.
    run = start_run(server, "join", {"speed": 4})
    page = open_run(watched, server, run["id"])
    page.locator("#pause-view").click()
    expect(page.locator("html")).to_have_attribute("data-view", "paused")
    wait_state(server, run["id"], ENDED, timeout=30)
    bar = page.locator("#pause-bar")
    # The run has ended: no more frames arrive, the count of those waiting holds still.
    expect(bar).to_have_attribute("data-behind", re.compile(r"^([3-9]|\d\d+)$"), timeout=10_000)
    page.wait_for_timeout(500)

    def shown() -> tuple[int, int | None, int | None]:
        return tuple(  # type: ignore[return-value]
            page.evaluate(
                """() => { const g = window.procviz.gate;
                const next = g.buffer.find((m) => m.type === "snapshot" || m.type === "delta");
                return [g.behind(), g.shownSeq, next ? next.seq : null]; }"""
            )
        )

    behind, seq, next_seq = shown()
    assert next_seq is not None and next_seq != seq
    bar.locator("#pause-step").click()
    assert shown()[:2] == (behind - 1, next_seq)
    expect(bar).to_have_attribute("data-behind", str(behind - 1))
    expect(page.locator("html")).to_have_attribute("data-view", "paused")

    _, seq, next_seq = shown()
    page.keyboard.press("ArrowRight")
    assert shown()[:2] == (behind - 2, next_seq)

    # Stepped frames reach the tree while the view stays paused (not every frame changes
    # a node's state, so step until one does).
    before = page.evaluate(NODES)
    for _ in range(behind - 2):
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(250)  # the tree draws at most every 90 ms
        if page.evaluate(NODES) != before:
            break
    assert page.evaluate(NODES) != before
    expect(page.locator("html")).to_have_attribute("data-view", "paused")

    # Jump to live: everything waiting is shown at once.
    page.keyboard.press("End")
    expect(page.locator("html")).to_have_attribute("data-view", "live")
    assert shown()[0] == 0
    expect(page.locator("#run-badge")).to_have_attribute("data-state", "finished")
    assert watched.errors == []


def test_code_panel_marks_the_line_each_process_is_at(server: Server, watched: Watched) -> None:
    source = lesson(server, "zombie")["source"].splitlines()
    over = 1 + next(i for i, line in enumerate(source) if "print('%s is over' % name)" in line)
    sleep = 1 + next(i for i, line in enumerate(source) if "time.sleep(parent_sleep)" in line)
    run = start_run(server, "zombie", {"speed": 1, "parent_sleep": 8})
    page = open_run(watched, server, run["id"], "?projector=1")
    child_line = page.locator("#console .line", has_text="jason is over")
    expect(child_line).to_have_count(1, timeout=10_000)
    child_pid = child_line.get_attribute("data-pid")
    # The child's last line of output came from the print on line `over`: its mark is there.
    marked = page.locator(f"#code-body #line-{over}")
    expect(marked).to_have_attribute("data-pids", re.compile(rf"\b{child_pid}\b"), timeout=10_000)
    expect(marked).to_have_attribute("data-active-line", str(over))
    expect(marked.locator(".pid-chip")).to_contain_text([child_pid or ""])
    # While the child is a zombie the parent sleeps without join(): its mark is on its
    # time.sleep(parent_sleep). Which of the two lines is the newest depends on whether the
    # child printed before or after the parent's line was sampled (a loaded machine starts
    # the child late): it is one of them, and it is the one shown in view.
    root_pid = page.locator('g.node[data-role="root"]').get_attribute("data-pid")
    asleep = page.locator(f"#code-body #line-{sleep}")
    expect(asleep).to_have_attribute("data-pids", re.compile(rf"\b{root_pid}\b"), timeout=10_000)
    expect(asleep).to_contain_text("time.sleep(parent_sleep)")
    newest = page.locator("#code-body span.at-line-newest")
    expect(newest).to_have_count(1, timeout=10_000)
    expect(newest).to_have_attribute("id", re.compile(rf"^line-({sleep}|{over})$"))
    expect(page.locator(f'g.node[data-pid="{child_pid}"]')).to_have_attribute(
        "data-status", "zombie"
    )
    expect(page.locator("#code-body")).to_have_attribute(
        "data-active-line", newest.get_attribute("data-active-line") or "?"
    )
    page.locator("#code-panel").scroll_into_view_if_needed()
    expect(newest).to_be_in_viewport()
    page.wait_for_timeout(500)
    watched.screenshot("code-highlight")
    wait_state(server, run["id"], ENDED, timeout=30)
    # Once the child is reaped and gone, no line claims it any more.
    expect(page.locator(f'#code-body [data-pids~="{child_pid}"]')).to_have_count(0, timeout=10_000)
    assert watched.errors == []
