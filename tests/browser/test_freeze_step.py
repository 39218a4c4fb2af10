"""Freeze and step mode from the page, in real Chromium: Freeze sends SIGSTOP to every process
(the OS says T), the banner says so, Thaw goes on; in step mode the presenter sets a breakpoint
in the code panel and, clicking held buyers' nodes, makes the ticket race oversell."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import DOCS, Watched
from tests.client import Server, api, log_of, presenter_token, start_program, wait_state

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
RACE = (ROOT / "tests" / "programs" / "ticket_race.py").read_text()
NO_LOCK = RACE.replace("    mutex.acquire()\n", "").replace("    mutex.release()\n", "")
SLEEPERS = (ROOT / "tests" / "programs" / "sleepers.py").read_text()


@pytest.fixture(scope="module")
def token(server: Server) -> str:
    return presenter_token(server, log_of(server))


def state_letter(pid: int) -> str:
    raw = Path(f"/proc/{pid}/stat").read_bytes()
    return raw[raw.rfind(b")") + 2 :].split()[0].decode()


def wait_letters(pids: list[int], wanted: set[str], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while {state_letter(p) for p in pids} - wanted:
        assert time.monotonic() < deadline, {p: state_letter(p) for p in pids}
        time.sleep(0.05)


def line_of(source: str, text: str, nth: int = 1) -> int:
    return [i for i, line in enumerate(source.splitlines(), 1) if text in line][nth - 1]


def node_pids(page: Page, selector: str = "g.node[data-pid]:not(.server)") -> list[int]:
    return sorted(
        int(p) for p in page.locator(selector).evaluate_all("els => els.map(e => e.dataset.pid)")
    )


def test_freeze_and_thaw_from_the_page(server: Server, token: str, watched: Watched) -> None:
    page = watched.page
    r = start_program(server, {"main.py": SLEEPERS}, token)
    assert r.status_code == 201, r.text
    run_id = r.json()["id"]
    page.goto(f"{server.base}/runs/{run_id}?token={token}&projector=1")
    expect(page.locator('g.node[data-role="child"]')).to_have_count(3, timeout=20_000)
    pids = node_pids(page, 'g.node[data-role="root"], g.node[data-role="child"]')
    assert len(pids) == 4
    freeze = page.locator("#freeze-btn")
    expect(freeze).to_be_enabled()
    freeze.click()
    wait_letters(pids, {"T"})  # the OS says so
    banner = page.locator("#frozen-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("FROZEN")
    expect(freeze).to_have_attribute("aria-pressed", "true")
    for pid in pids:  # and the tree, from the sampled records
        expect(page.locator(f'g.node[data-pid="{pid}"]')).to_have_attribute(
            "data-status", "stopped", timeout=5_000
        )
    page.wait_for_function(
        "() => Number(document.getElementById('frozen-banner').dataset.seconds) >= 2",
        timeout=10_000,
    )
    page.screenshot(path=str(DOCS / "freeze-projector-1920x1080.png"))
    page.click("#lang-toggle")
    expect(banner).to_contain_text("已冻结")
    expect(banner).to_contain_text("秒")
    page.click("#lang-toggle")
    page.keyboard.press("z")  # the key thaws it, as the button does
    wait_letters(pids, {"S", "R"})
    expect(banner).to_be_hidden()
    expect(freeze).to_have_attribute("aria-pressed", "false")
    public = api(server, "GET", f"/api/runs/{run_id}").json()
    assert public["frozen"] is False and public["frozen_seconds"] >= 2
    page.click("#tab-timeline")
    band = page.locator("#timeline g.frozen-band")
    expect(band).to_have_count(1)
    assert float(band.get_attribute("data-seconds") or 0) >= 2
    page.screenshot(path=str(DOCS / "freeze-timeline-projector-1920x1080.png"))
    api(server, "POST", f"/api/runs/{run_id}/stop", headers={"Authorization": f"Bearer {token}"})
    wait_state(server, run_id, {"stopped"})
    frozen = page.locator('#result-keys dd[data-key="frozen_seconds"]')
    expect(frozen).to_be_visible(timeout=10_000)
    expect(frozen).to_contain_text(" s")
    assert watched.errors == []


def test_a_viewer_sees_no_freeze_or_step_controls(
    make_server: Callable[..., Server], browser: Browser
) -> None:
    # A configured token: on loopback without one the page is the presenter's.
    server, token = make_server(PROCVIZ_TOKEN="s3cret-token"), "s3cret-token"
    r = start_program(server, {"main.py": "import time\ntime.sleep(20)\n"}, token, step=True)
    assert r.status_code == 201, r.text
    run_id = r.json()["id"]
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    try:
        page = context.new_page()
        page.goto(f"{server.base}/runs/{run_id}")
        expect(page.locator("g.node.held")).to_have_count(1, timeout=20_000)
        expect(page.locator("#time-controls")).to_be_hidden()
        assert page.locator("#freeze-btn").count() == 0
        assert page.locator("#code-body button.line-no:not([disabled])").count() == 0
    finally:
        context.close()
        api(
            server, "POST", f"/api/runs/{run_id}/stop", headers={"Authorization": f"Bearer {token}"}
        )


def held_at(page: Page, pid: int) -> tuple[float, int] | None:
    """The page's model of ``pid``'s hold: (its time, its line), or None."""
    got = page.evaluate(
        f"() => {{ const h = window.procviz.model.activity.held.get({pid}); return h ? [h.t, h.lineno] : null; }}"
    )
    return (got[0], got[1]) if got else None


def click_until(page: Page, pid: int, line: int) -> None:
    """Click held ``pid``'s node, one line at a time, until it is held before ``line``."""
    node = page.locator(f'g.node[data-pid="{pid}"]')
    for _ in range(40):
        page.wait_for_function(
            f"() => window.procviz.model.activity.held.has({pid})", timeout=20_000
        )
        hold = held_at(page, pid)
        assert hold
        if hold[1] == line:
            expect(node).to_have_attribute("data-held-line", str(line))  # drawn so
            return
        expect(node).to_have_class(re.compile(r"\bheld\b"))
        node.click()
        page.wait_for_function(
            f"() => {{ const h = window.procviz.model.activity.held.get({pid}); return h && h.t !== {hold[0]}; }}",
            timeout=20_000,
        )
    raise AssertionError(f"{pid} never reached line {line}")


def test_step_mode_oversells_the_ticket_from_the_page(
    server: Server, token: str, watched: Watched
) -> None:
    page = watched.page
    read = line_of(NO_LOCK, "with open('data.json', 'r', encoding='utf8') as f:", nth=2)
    sleep = line_of(NO_LOCK, "time.sleep(random.randint(1, 3))")
    files = {"main.py": NO_LOCK, "data.json": '{"ticket_num": 1}'}
    r = start_program(server, files, token, speed=20, step=True)
    assert r.status_code == 201, r.text
    run_id = r.json()["id"]
    try:
        page.goto(f"{server.base}/runs/{run_id}?token={token}&projector=1")
        expect(page.locator("g.node.held")).to_have_count(
            1, timeout=20_000
        )  # the root, before line 1
        expect(page.locator("#step-group")).to_be_visible()
        bp = page.locator(f'#code-body button.line-no[data-line="{read}"]')
        bp.click()
        expect(bp).to_have_attribute("aria-pressed", "true")
        expect(page.locator(f"#code-body #line-{read}")).to_have_class(re.compile("breakpoint"))
        public = api(server, "GET", f"/api/runs/{run_id}").json()
        assert public["breakpoints"] == [{"file": "main.py", "line": read}]
        page.click("#step-all")
        held = page.locator(f'g.node.held[data-held-line="{read}"]')
        expect(held).to_have_count(10, timeout=30_000)  # every buyer, before it reads the file
        expect(held.first.locator(".note-held text")).to_have_text(f"held at line {read}")
        # Held by procviz, asleep for the OS: the badge says S, the note says who holds it.
        expect(held.first).to_have_attribute("data-status", "sleeping")
        first, second = node_pids(page, f'g.node.held[data-held-line="{read}"]')[:2]
        click_until(page, first, sleep)  # it has read 1
        click_until(page, second, sleep)  # so has the second: nobody has written yet
        page.click("#lang-toggle")
        expect(page.locator(f'g.node[data-pid="{second}"] .note-held text')).to_have_text(
            f"停在第 {sleep} 行"
        )
        page.screenshot(path=str(DOCS / "step-projector-1920x1080.png"))
        page.click("#lang-toggle")
        for pid in (first, second):
            page.locator(
                f'g.node[data-pid="{pid}"]'
            ).click()  # selects it (and runs the sleep line)
            expect(page.locator("#step-who")).to_have_attribute("data-pid", str(pid))
            page.click("#step-run")
        expect(page.locator("#console")).to_contain_text("买票成功", timeout=30_000)
        page.wait_for_function(
            "() => window.procviz.model.lines.filter(l => l.line.endsWith('买票成功')).length === 2",
            timeout=30_000,
        )
        deadline = time.monotonic() + 60
        while api(server, "GET", f"/api/runs/{run_id}").json()["state"] == "running":
            assert time.monotonic() < deadline, "the run did not end"
            if page.locator("#step-all").is_enabled():
                page.click("#step-all")
            time.sleep(0.3)
        assert wait_state(server, run_id, {"finished"})["state"] == "finished"
        sold = page.evaluate(
            "() => window.procviz.model.lines.filter(l => l.line.endsWith('买票成功')).length"
        )
        failed = page.evaluate(
            "() => window.procviz.model.lines.filter(l => l.line.endsWith('买票失败')).length"
        )
        assert (sold, failed) == (2, 8)
        assert watched.errors == []
    finally:
        api(
            server, "POST", f"/api/runs/{run_id}/stop", headers={"Authorization": f"Bearer {token}"}
        )


def test_the_step_mode_box_runs_the_built_in_lesson_in_step_mode(
    server: Server, token: str, watched: Watched
) -> None:
    """Ticked beside the editor, the box starts the lesson itself (not a copy of its code as a
    program of the user's own) with params.step: its root is held before its first line."""
    page = watched.page
    page.goto(f"{server.base}/?token={token}&lesson=ticket-race")
    box = page.locator("#step-mode-box")
    expect(box).to_be_visible(timeout=15_000)
    expect(page.locator('#param-fields [name="step"]')).to_have_count(0)  # the box, not a field
    box.check()
    page.locator("#run-btn").click()
    page.wait_for_url(re.compile(r"/runs/[^/?]+"), timeout=15_000)
    run_id = page.url.split("/runs/")[1].split("?")[0]
    try:
        run = api(server, "GET", f"/api/runs/{run_id}").json()
        # A lesson run: its own parameters (lock) are there, which a program's never are.
        assert run["lesson"] == "ticket-race" and run["params"]["step"] is True
        assert run["params"]["lock"] is False
        expect(page.locator("g.node.held")).to_have_count(1, timeout=20_000)
        expect(page.locator("#step-group")).to_be_visible()
        assert watched.errors == []
    finally:
        api(
            server, "POST", f"/api/runs/{run_id}/stop", headers={"Authorization": f"Bearer {token}"}
        )
