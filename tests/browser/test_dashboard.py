"""The dashboard in real Chromium against a real procviz server running real lessons."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from itertools import pairwise
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import Watched, open_page
from tests.client import Server, api, start_run, wait_state

pytestmark = pytest.mark.browser

ENDED = {"finished", "stopped", "failed"}


def lesson(server: Server, lesson_id: str) -> dict[str, Any]:
    return next(
        entry for entry in api(server, "GET", "/api/lessons").json() if entry["id"] == lesson_id
    )


def test_run_page_shows_the_zombie_child_as_a_zombie_node(server: Server, watched: Watched) -> None:
    # A 4 s zombie: long enough for a loaded machine to open the page while it lasts.
    run = start_run(server, "zombie", {"speed": 2, "parent_sleep": 8})
    page = watched.page
    page.goto(f"{server.base}/runs/{run['id']}")
    zombie = page.locator('g.node[data-status="zombie"]')
    expect(zombie).to_have_count(1, timeout=20_000)
    root = page.locator('g.node[data-role="root"]')
    # The zombie is the lesson root's child, and is marked so no one can miss it.
    assert zombie.get_attribute("data-ppid") == root.get_attribute("data-pid")
    expect(zombie.locator(".zombie-tag")).to_be_visible()
    expect(zombie.locator(".zombie-tag")).to_contain_text("ZOMBIE")
    page.wait_for_timeout(900)  # let it settle in place for the picture
    watched.screenshot("zombie-run")
    # join() reaps it: no node is a zombie any more once the run has finished.
    wait_state(server, run["id"], ENDED, timeout=30)
    expect(page.locator('g.node[data-status="zombie"]')).to_have_count(0, timeout=10_000)
    assert watched.errors == []


def test_zombie_keeps_its_exit_code_and_its_lane_runs_to_the_reap(
    server: Server, watched: Watched
) -> None:
    # Run from the form: the page is watching before the child is born, and its exit often
    # comes before any sample of it (the case that lost the exit code and ended the lane).
    page = watched.page
    page.goto(f"{server.base}/?lesson=zombie")
    page.locator("#param-speed").fill("2")
    page.locator("#param-parent_sleep").fill("8")  # a 4 s zombie: time to look at it
    page.locator("#run-btn").click()
    page.wait_for_url(re.compile(r"/runs/[^/?]+$"), timeout=10_000)
    page.keyboard.press("p")  # as the lecture hall sees it
    expect(page.locator("html")).to_have_attribute("data-projector", "1")
    run = api(server, "GET", f"/api/runs/{page.url.rsplit('/', 1)[1]}").json()
    assert run["params"]["speed"] == 2 and run["params"]["parent_sleep"] == 8
    zombie = page.locator('g.node[data-status="zombie"]')
    expect(zombie).to_have_count(1, timeout=20_000)
    # Exited but not reaped: a zombie, with the exit code its exit event reported.
    expect(zombie.locator("text.l3")).to_have_text(
        re.compile(r"^zombie · exit code 0$"), timeout=5_000
    )
    expect(zombie.locator(".zombie-tag")).to_be_visible()
    child = zombie.get_attribute("data-pid")
    page.wait_for_timeout(900)  # the tree glides into place for the picture
    watched.screenshot("zombie-projector")
    wait_state(server, run["id"], ENDED, timeout=30)
    events = [
        json.loads(line)
        for line in api(server, "GET", f"/api/runs/{run['id']}/recording").text.splitlines()
    ]
    at = {
        m["kind"]: m["t"]
        for m in events
        if m["type"] == "event" and str(m["pid"]) == child and m["kind"] in ("exit", "reap")
    }
    assert at["reap"] - at["exit"] > 3.0, at  # a 4 s zombie

    page.locator("#tab-timeline").click()
    lane = page.locator(f'#timeline g.lane[data-pid="{child}"]')
    expect(lane).to_have_count(1)
    expect(lane.locator(".exit-mark")).to_have_text("✕ 0")
    segs = lane.locator("rect.seg").evaluate_all(
        """(rects) => rects.map((r) => ({status: r.dataset.status, from: +r.dataset.from,
             to: +r.dataset.to, x: +r.getAttribute('x'), w: +r.getAttribute('width')}))"""
    )
    zombies = [s for s in segs if s["status"] == "zombie"]
    assert len(zombies) == 1, segs
    z = zombies[0]
    # Z from the exit (or the first sample after it, late on a loaded machine) to the reap:
    # the lane ends there, Z. The zombie lasts 4 s, so 0.75 s still tells them apart.
    assert abs(z["from"] - at["exit"]) < 0.75, (z, at)
    assert abs(z["to"] - at["reap"]) < 0.01, (z, at)
    assert float(lane.get_attribute("data-end") or "nan") == z["to"]
    assert z == max(segs, key=lambda s: s["to"])
    assert z["w"] > 20 and z["x"] + z["w"] == max(s["x"] + s["w"] for s in segs), segs
    watched.screenshot("zombie-timeline")
    assert watched.errors == []


def test_run_started_from_the_form_navigates_and_shows_tree_and_result(
    server: Server, watched: Watched
) -> None:
    page = watched.page
    page.goto(server.base + "/")
    page.locator('button.lesson[data-lesson="zombie"]').click()
    page.locator("#param-speed").fill("4")
    page.locator("#run-btn").click()
    page.wait_for_url(re.compile(r"/runs/[^/]+$"), timeout=10_000)
    run_id = page.url.rsplit("/", 1)[1]
    # The link any viewer can open is shown.
    expect(page.locator("#run-link")).to_have_attribute("href", f"/runs/{run_id}")
    expect(page.locator('g.node[data-role="root"]')).to_have_count(1, timeout=15_000)
    # The server pseudo-node sits on top, carrying the server's real PID.
    expect(page.locator('g.node[data-role="server"]')).to_have_attribute(
        "data-pid", str(server.pid)
    )
    run = api(server, "GET", f"/api/runs/{run_id}").json()
    assert run["lesson"] == "zombie" and run["params"]["speed"] == 4
    card = page.locator("#result-card")
    expect(card).to_be_visible(timeout=30_000)
    expect(page.locator("#punchline")).to_have_text(lesson(server, "zombie")["punchline"]["en"])
    expect(card.locator('dd[data-key="reaped_by_join"]')).to_have_attribute("data-value", "true")
    expect(card.locator('dd[data-key="zombie_seconds"]')).to_have_text(re.compile(r"^\d+(\.\d+)?$"))
    expect(page.locator("#run-badge")).to_have_attribute("data-state", "finished", timeout=30_000)
    page.wait_for_timeout(700)  # the result card's entrance, for the picture
    watched.screenshot("run-from-form")
    assert watched.errors == []


def test_console_shows_each_line_tagged_with_its_process(server: Server, watched: Watched) -> None:
    run = start_run(server, "zombie", {"speed": 4})
    page = watched.page
    page.goto(f"{server.base}/runs/{run['id']}")
    wait_state(server, run["id"], ENDED, timeout=30)
    line = page.locator("#console .line", has_text="jason is running")
    expect(line).to_have_count(1, timeout=10_000)
    child_pid = line.get_attribute("data-pid")
    expect(line.locator(".tag")).to_have_text(f"[{child_pid} Process-1]")
    # Every line the lesson printed is there, in the order each process printed it.
    child_lines = page.locator(f'#console .line[data-pid="{child_pid}"] .text').all_inner_texts()
    assert child_lines == ["jason is running", "jason is over"]
    # The root's own lines (the RESULT line is the result card, not console text): the
    # second names the child's real PID, the one its own lines are tagged with.
    others = f'#console .line:not([data-pid="{child_pid}"]) .text'
    root_lines = page.locator(others).all_inner_texts()
    assert root_lines == [
        "主 不 join, 先睡 3.0 秒",
        f"主 join 回收了子进程 {child_pid}, exitcode 0",
    ], root_lines
    root_pid = page.locator('g.node[data-role="root"]').get_attribute("data-pid")
    assert page.locator(f'#console .line[data-pid="{root_pid}"]').count() == 2
    assert watched.errors == []


def test_orphan_moves_under_the_server_node_and_is_labelled_adopted(
    server: Server, watched: Watched
) -> None:
    run = start_run(server, "orphan", {"speed": 2, "child_seconds": 4})
    page = watched.page
    page.goto(f"{server.base}/runs/{run['id']}")
    # multiprocessing's own names: the root's child "parent" is Process-1, its child Process-1:1.
    orphan = page.locator('g.node[data-label="Process-1:1"]')
    expect(orphan).to_have_count(1, timeout=15_000)
    expect(orphan.locator(".note-adopt")).to_be_visible(timeout=15_000)
    expect(orphan).to_have_attribute("data-ppid", str(server.pid))
    expect(orphan.locator(".note-adopt")).to_contain_text("adopted by procviz server")
    expect(orphan.locator(".note-adopt-sub").nth(0)).to_have_text("on a plain host: PID 1")
    expect(page.locator("path.link-adopted")).to_have_count(1)
    page.wait_for_timeout(1000)  # let the move finish before the picture
    watched.screenshot("orphan-adopted")
    orphan_pid = orphan.get_attribute("data-pid")
    was_child_of = orphan.locator(".note-adopt-sub").nth(1).text_content()
    result = wait_state(server, run["id"], ENDED, timeout=30)["result"]
    assert result["new_ppid"] == server.pid
    assert orphan_pid == str(result["orphan_pid"])
    assert was_child_of == f"was child of PID {result['old_ppid']}"
    assert watched.errors == []


def test_queue_panel_draws_gauge_and_chart(server: Server, watched: Watched) -> None:
    params = {"speed": 4, "producers": 2, "consumers": 1, "items": 6, "maxsize": 3}
    run = start_run(server, "producer-consumer", params)
    page = watched.page
    page.goto(f"{server.base}/runs/{run['id']}")
    queue = page.locator(".queue")
    expect(queue).to_have_count(1, timeout=15_000)
    expect(queue.locator(".queue-chart canvas")).to_have_count(1)
    expect(queue).to_have_attribute("data-maxsize", "3")
    result = wait_state(server, run["id"], ENDED, timeout=40)["result"]
    page.wait_for_timeout(300)
    depths = page.evaluate(
        "() => [...window.procviz.model.queues.values()][0].points.map((p) => p[1])"
    )
    # The chart holds every reported depth, within the bound; its peak is the lesson's own
    # (each report reads qsize() again, so a consumer may take one in between: ±1).
    assert min(depths) >= 0 and max(depths) <= 3
    assert abs(max(depths) - result["max_depth"]) <= 1, (depths, result)
    # The gauge shows the last depth reported.
    expect(queue.locator(".queue-text")).to_have_text(f"{depths[-1]} / 3")
    watched.screenshot("producer-consumer")
    assert watched.errors == []


def test_dropped_websocket_reconnects_and_resumes_from_a_snapshot(
    server: Server, watched: Watched
) -> None:
    run = start_run(server, "orphan", {"speed": 1, "child_seconds": 6})
    page = watched.page
    page.goto(f"{server.base}/runs/{run['id']}")
    conn = page.locator("#conn")
    expect(conn).to_have_attribute("data-status", "live", timeout=10_000)
    expect(page.locator('g.node[data-role="root"]')).to_have_count(1, timeout=10_000)
    lines_before = page.locator("#console .line").count()
    # Drop the socket as a network would (not a close the page asked for).
    page.evaluate("() => window.procviz.source.ws.close(4000, 'test drop')")
    expect(conn).to_have_attribute("data-status", "reconnecting", timeout=2_000)
    expect(conn).to_have_attribute("data-status", "live", timeout=10_000)
    # The backlog replayed on connect is not shown twice.
    assert page.locator("#console .line").count() >= lines_before
    texts = page.locator("#console .line").all_inner_texts()
    assert len(texts) == len(set(texts)), texts
    wait_state(server, run["id"], ENDED, timeout=30)
    expect(page.locator("#run-badge")).to_have_attribute("data-state", "finished", timeout=10_000)
    assert watched.errors == []
    api(server, "POST", f"/api/runs/{run['id']}/stop")


def test_language_toggle_switches_every_interface_word(server: Server, watched: Watched) -> None:
    page = watched.page
    page.goto(server.base + "/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#run-btn")).to_have_text("Run")
    page.locator("#lang-toggle").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("#run-btn")).to_have_text("运行")
    expect(page.locator("#lessons-h")).to_have_text("课程")
    page.locator('button.lesson[data-lesson="zombie"]').click()
    expect(page.locator("#lesson-summary")).to_have_text(lesson(server, "zombie")["summary"]["zh"])
    watched.screenshot("index-zh")
    assert watched.errors == []


def test_language_defaults_to_the_browsers(server: Server, browser: Browser) -> None:
    w = open_page(browser, locale="zh-CN")
    try:
        w.page.goto(server.base + "/")
        expect(w.page.locator("html")).to_have_attribute("lang", "zh-CN")
        expect(w.page.locator("#stop-btn")).to_have_text("停止")
        assert w.errors == []
    finally:
        w.page.context.close()


def test_out_of_range_parameter_is_reported_next_to_its_field(
    server: Server, watched: Watched
) -> None:
    page = watched.page
    page.goto(server.base + "/")
    page.locator('button.lesson[data-lesson="zombie"]').click()
    runs_before = len(api(server, "GET", "/api/runs").json())
    page.locator("#param-speed").fill("99")
    page.locator("#run-btn").click()
    error = page.locator('.field[data-field="speed"] .field-error')
    expect(error).to_be_visible()
    assert page.url == server.base + "/"
    assert len(api(server, "GET", "/api/runs").json()) == runs_before
    # The page's own message, from the lesson's schema, naming the bounds (not the browser's
    # "Value must be less than or equal to 20."): its check does not rest on the input's max.
    expect(error).to_have_text("speed must be between 0.1 and 20.")
    page.locator("#param-speed").evaluate("(el) => el.removeAttribute('max')")
    page.locator("#run-btn").click()
    expect(error).to_have_text("speed must be between 0.1 and 20.")
    assert page.url == server.base + "/"
    assert len(api(server, "GET", "/api/runs").json()) == runs_before


def test_control_needs_the_presenter_token_and_the_page_keeps_it(
    make_server: Callable[..., Server], browser: Browser
) -> None:
    secured = make_server(PROCVIZ_TOKEN="s3cret-token")
    w = open_page(browser)
    try:
        page = w.page
        page.goto(secured.base + "/")
        page.locator('button.lesson[data-lesson="zombie"]').click()
        # Without the token: no Run (nor a form for it), and the banner says how to get control.
        expect(page.locator("#token-banner")).to_contain_text("presenter URL")
        expect(page.locator("#run-btn")).to_be_hidden()
        expect(page.locator("#param-form")).to_be_hidden()
        # Space, Run on the lesson page for the presenter, starts nothing here.
        page.keyboard.press(" ")
        page.wait_for_timeout(500)
        assert page.url == secured.base + "/"
        assert api(secured, "GET", "/api/runs").json() == []
        # The presenter URL: the token is kept, dropped from the address bar, and sent on Run.
        page.goto(secured.base + "/?token=s3cret-token")
        expect(page.locator("#token-banner")).to_be_hidden()
        assert "token" not in page.url
        page.locator('button.lesson[data-lesson="zombie"]').click()
        page.locator("#param-speed").fill(
            "1"
        )  # a 3 s zombie: still running when the viewer arrives
        page.locator("#run-btn").click()
        page.wait_for_url(re.compile(r"/runs/[^/]+$"), timeout=10_000)
        run_id = page.url.rsplit("/", 1)[1]
        # A viewer (another browser, no token) watches, and is not offered a Stop it cannot use.
        viewer = open_page(browser)
        try:
            viewer.page.goto(f"{secured.base}/runs/{run_id}")
            expect(viewer.page.locator("#token-banner")).to_be_visible()
            expect(viewer.page.locator("#run-badge")).to_have_attribute("data-state", "running")
            expect(viewer.page.locator("#stop-run")).to_be_hidden()
        finally:
            viewer.page.context.close()
        assert wait_state(secured, run_id, ENDED, timeout=30)["state"] == "finished"
    finally:
        w.page.context.close()


def test_signal_menu_shows_details_freezes_a_process_and_stop_ends_the_run(
    server: Server, watched: Watched
) -> None:
    run = start_run(server, "zombie", {"speed": 1, "parent_sleep": 30})
    page = watched.page
    page.goto(f"{server.base}/runs/{run['id']}")
    root = page.locator('g.node[data-role="root"]')
    expect(root).to_have_attribute("data-status", "sleeping", timeout=15_000)
    page.wait_for_timeout(1000)  # let the node settle where it will be clicked
    root.click()
    # Its details, command line included (fetched from the process's own endpoint).
    details = page.locator("#node-details")
    root_pid = root.get_attribute("data-pid")
    expect(details).to_contain_text(f"PID{root_pid}")
    expect(details).to_contain_text("-m workers.trace.script", timeout=5_000)
    page.locator("#node-menu button", has_text="SIGSTOP").click()
    expect(root).to_have_attribute("data-status", "stopped", timeout=5_000)
    expect(root.locator(".badge-letter")).to_have_text("T")
    watched.screenshot("signal-stopped")
    root.click()
    page.locator("#node-menu button", has_text="SIGCONT").click()
    expect(root).to_have_attribute("data-status", "sleeping", timeout=5_000)
    page.locator("#stop-run").click()
    expect(page.locator("#run-badge")).to_have_attribute("data-state", "stopped", timeout=20_000)
    assert api(server, "GET", f"/api/runs/{run['id']}").json()["state"] == "stopped"
    expect(page.locator("#stop-run")).to_be_hidden()
    # The form's Stop (in the lesson panel, folded away while watching) agrees.
    expect(page.locator("#lessons-panel")).to_be_hidden()
    page.locator("#lessons-toggle").click()
    expect(page.locator("#lessons-panel")).to_be_visible()
    expect(page.locator("#stop-btn")).to_be_disabled()
    assert watched.errors == []


def test_a_run_stopped_by_a_cap_says_so_prominently(
    make_server: Callable[..., Server], browser: Browser
) -> None:
    capped = make_server(PROCVIZ_MAX_PROCESSES="4")
    run = start_run(capped, "producer-consumer", {"speed": 2, "producers": 3, "consumers": 3})
    w = open_page(browser)
    try:
        w.page.goto(f"{capped.base}/runs/{run['id']}")
        banner = w.page.locator("#limit-banner")
        expect(banner).to_be_visible(timeout=15_000)
        expect(banner).to_contain_text("more than the cap of 4")
        expect(w.page.locator("#run-badge")).to_have_attribute(
            "data-state", "stopped", timeout=20_000
        )
        w.page.wait_for_timeout(500)  # let the nodes fade in before the picture
        w.screenshot("limit")
        assert w.errors == []
    finally:
        w.page.context.close()


def test_finished_run_replays_from_its_recording(server: Server, watched: Watched) -> None:
    run = start_run(server, "zombie", {"speed": 4, "parent_sleep": 8})  # a 2 s zombie
    wait_state(server, run["id"], ENDED, timeout=30)
    page = watched.page
    page.goto(f"{server.base}/runs/{run['id']}")
    expect(page.locator("#replay-btn")).to_be_visible(timeout=10_000)
    page.locator("#replay-speed").select_option("2")
    page.locator("#replay-btn").click()
    page.wait_for_url(re.compile(r"\?replay=2$"))
    # The recording brings the zombie back, then the result, in the run's own order.
    expect(page.locator("#conn")).to_have_attribute("data-status", "replay", timeout=5_000)
    expect(page.locator('g.node[data-status="zombie"]')).to_have_count(1, timeout=10_000)
    assert page.locator("#result-card").is_hidden()
    expect(page.locator("#result-card")).to_be_visible(timeout=15_000)
    expect(page.locator("#conn")).to_have_attribute("data-status", "replayed", timeout=15_000)
    expect(page.locator("#console .line", has_text="jason is running")).to_have_count(1)
    expect(page.locator("#stop-run")).to_be_hidden()
    assert watched.errors == []


def test_timeline_shows_serial_children_one_after_another_and_parallel_together(
    server: Server, watched: Watched
) -> None:
    run = start_run(server, "join", {"speed": 4})
    page = watched.page
    page.goto(f"{server.base}/runs/{run['id']}")
    wait_state(server, run["id"], ENDED, timeout=30)
    page.locator("#tab-timeline").click()
    expect(page.locator("#timeline")).to_be_visible()
    expect(page.locator("#console")).to_be_hidden()
    spans = page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('#timeline g.lane')].map((g) => {
             const rects = [...g.querySelectorAll('rect.seg')];
             const x0 = Math.min(...rects.map((r) => +r.getAttribute('x')));
             const x1 = Math.max(...rects.map((r) => +r.getAttribute('x') + +r.getAttribute('width')));
             return [g.querySelector('.lane-label').textContent.split(' ')[1], [x0, x1]];
           }))"""
    )
    # multiprocessing numbers its children in the order they are made: the serial loop's
    # are Process-1..3, the parallel loop's Process-4..6.
    assert sorted(label for label in spans if label.startswith("Process-")) == [
        f"Process-{i}" for i in range(1, 7)
    ], spans
    serial = [spans[f"Process-{i}"] for i in (1, 2, 3)]
    parallel = [spans[f"Process-{i}"] for i in (4, 5, 6)]
    # Drawn lanes: each serial child starts as the one before ends (joined); the end is when
    # the server saw the reap, which a loaded machine may report a little late ...
    for before, after in pairwise(serial):
        overlap = before[1] - after[0]
        assert overlap < 0.1 * (after[1] - after[0]), serial
    # ... and the parallel children all start before the first of them ends.
    assert max(p[0] for p in parallel) < min(p[1] for p in parallel), parallel
    watched.screenshot("join-timeline")
    assert watched.errors == []


def test_start_page_lists_runs_so_viewers_can_find_the_live_one(
    server: Server, watched: Watched
) -> None:
    run = start_run(server, "zombie", {"speed": 1, "parent_sleep": 5})  # still live when opened
    page = watched.page
    page.goto(server.base + "/")
    entry = page.locator(f'#recent-list a[data-run="{run["id"]}"]')
    expect(entry).to_be_visible(timeout=10_000)
    expect(entry).to_contain_text("Zombie processes")
    entry.click()
    page.wait_for_url(f"{server.base}/runs/{run['id']}")
    expect(page.locator('g.node[data-role="root"]')).to_have_count(1, timeout=10_000)
    wait_state(server, run["id"], ENDED, timeout=30)
    assert watched.errors == []


def test_unknown_run_says_so_and_stops_retrying(server: Server, watched: Watched) -> None:
    page = watched.page
    page.goto(f"{server.base}/runs/no-such-run")
    expect(page.locator("#limit-banner")).to_contain_text("does not exist", timeout=10_000)
    expect(page.locator("#conn")).to_have_attribute("data-status", "offline")
    page.wait_for_timeout(1500)
    expect(page.locator("#conn")).to_have_attribute("data-status", "offline")
    # The browser itself logs the 404 of the REST check; nothing else may go wrong.
    assert all("404" in e for e in watched.errors), watched.errors


def test_page_loads_nothing_from_outside_the_server(server: Server, watched: Watched) -> None:
    page = watched.page
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.on("websocket", lambda ws: requested.append(ws.url))
    run = start_run(server, "zombie", {"speed": 4})
    page.goto(f"{server.base}/runs/{run['id']}")
    # Connected: live, or ended if the short run was over by then.
    expect(page.locator("#conn")).to_have_attribute(
        "data-status", re.compile("^(live|ended)$"), timeout=10_000
    )
    page.goto(server.base + "/")
    expect(page.locator("#code-body .highlight")).to_be_visible(timeout=10_000)
    wait_state(server, run["id"], ENDED, timeout=30)
    # Classrooms are often offline: d3, uPlot, styles and data all come from this server.
    outside = [u for u in requested if not u.startswith((server.base, server.ws_base, "data:"))]
    assert outside == []
    assert any("/vendor/d3/" in u for u in requested)
    assert any("/vendor/uplot/" in u for u in requested)
    assert watched.errors == []


def test_each_process_copy_of_a_variable_is_drawn_beside_its_node(
    server: Server, watched: Watched
) -> None:
    # isolation: money = 1000 in the parent, 99 in the child, visible at the same moment.
    run = start_run(server, "isolation", {"speed": 1, "hold": 4})
    page = watched.page
    page.goto(f"{server.base}/runs/{run['id']}")
    root = page.locator('g.node[data-role="root"]')
    child = page.locator('g.node[data-label="Process-1"]')
    # Every module-level variable of a process is drawn beside it (hold too, the same in
    # both): pick out money's note, by its name.
    money = re.compile(r"^money = ")
    expect(child.locator("g.note-value", has_text=money)).to_have_text("money = 99", timeout=20_000)
    expect(root.locator("g.note-value", has_text=money)).to_have_text(
        "money = 1000", timeout=10_000
    )
    # Both at once: the child is still alive (not a ghost) while the parent shows 1000.
    expect(child).not_to_have_attribute("data-gone", re.compile(".*"))
    watched.screenshot("isolation-values")
    wait_state(server, run["id"], ENDED, timeout=30)
    assert watched.errors == []
