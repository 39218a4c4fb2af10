"""The presenter's editor in real Chromium: edit, run, a syntax error marked, save as one's own;
viewers see the code that ran and no editor; all under the CSP, with no console error."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import DOCS, Watched, open_page
from tests.browser.test_csp import RECORD_VIOLATIONS, violations
from tests.client import Server, api, log_of, presenter_token, wait_state

pytestmark = pytest.mark.browser

MARK = "print('改过了 edited in class')"


@pytest.fixture(scope="module")
def token(server: Server) -> str:
    return presenter_token(server, log_of(server))


def csp_page(browser: Browser, size: dict[str, int] | None = None) -> Watched:
    w = open_page(browser)
    if size:
        w.page.set_viewport_size(size)
    w.page.add_init_script(RECORD_VIOLATIONS)
    return w


@pytest.fixture
def presenter(browser: Browser) -> Iterator[Watched]:
    w = csp_page(browser)
    yield w
    w.page.context.close()


def open_editor(page: Page, server: Server, token: str, lesson: str) -> None:
    page.goto(f"{server.base}/?token={token}&lesson={lesson}")
    expect(page.locator(f'#workbench[data-lesson="{lesson}"] .cm-content')).to_be_visible(
        timeout=15_000
    )


def type_at_end(page: Page, text: str) -> None:
    page.locator("#workbench .cm-content").click()
    page.keyboard.press("Control+End")
    page.keyboard.press("Enter")
    # A new line after an indented block keeps the indent: start it at column 0.
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Home")
    page.keyboard.type(text)


def shot(page: Page, name: str) -> None:
    DOCS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS / f"{name}.png"))


def test_presenter_edits_a_lesson_runs_it_and_sees_the_changed_line(
    server: Server, token: str, presenter: Watched
) -> None:
    page = presenter.page
    open_editor(page, server, token, "isolation")
    type_at_end(page, MARK)
    expect(page.locator("#workbench")).to_have_attribute("data-edited", "true")
    expect(page.locator("#lesson-reset")).to_be_visible()
    page.locator("#param-speed").fill("5")
    page.locator("#run-btn").click()
    page.wait_for_url(re.compile(r"/runs/[^/]+$"), timeout=15_000)
    run_id = page.url.rsplit("/", 1)[1]
    expect(page.locator('g.node[data-role="root"]')).to_have_count(1, timeout=20_000)
    expect(page.locator("#console .line .text", has_text="改过了 edited in class")).to_have_count(
        1, timeout=30_000
    )
    run = wait_state(server, run_id, {"finished", "failed"})
    assert run["program"] is not None and MARK in run["program"]["files"][run["program"]["entry"]]
    assert run["params"]["speed"] == 5
    # The code that ran is in the code panel, read-only; no editor on a run's page.
    expect(page.locator("#code-body")).to_contain_text("改过了 edited in class")
    assert page.locator(".cm-editor").count() == 0
    # Back on the start page the edit is still there (a draft), until Reset.
    open_editor(page, server, token, "isolation")
    expect(page.locator("#workbench .cm-content")).to_contain_text("改过了")
    page.locator("#lesson-reset").click()
    expect(page.locator("#workbench .cm-content")).not_to_contain_text("改过了")
    expect(page.locator("#workbench")).to_have_attribute("data-edited", "false")
    assert violations(page) == []
    assert presenter.errors == []


def test_a_syntax_error_is_marked_at_its_line(
    server: Server, token: str, presenter: Watched
) -> None:
    page = presenter.page
    open_editor(page, server, token, "__new__")
    page.locator("#workbench .cm-content").click()
    page.keyboard.type("print('一')\nprint('二'\nx = 3\n")
    page.locator("#run-btn").click()
    error = page.locator("#form-error")
    expect(error).to_contain_text("line 2", timeout=10_000)
    expect(error).to_contain_text("program.files.main.py")
    marked = page.locator("#workbench .cm-line.cm-error-line")
    expect(marked).to_have_count(1)
    expect(marked).to_contain_text("print('二'")
    expect(page.locator("#workbench .cm-lint-marker-error")).to_have_count(1)
    assert "/runs/" not in page.url  # nothing started
    page.keyboard.type("#")  # any edit clears the mark
    expect(marked).to_have_count(0)
    assert violations(page) == []
    # Chromium logs the refused POST itself (the 422 this test wants); nothing else.
    assert [e for e in presenter.errors if "status of 422" not in e] == []


def test_save_as_my_lesson_lists_it_after_a_reload_and_a_viewer_sees_the_code_that_ran(
    server: Server, token: str, browser: Browser, presenter: Watched
) -> None:
    page = presenter.page
    open_editor(page, server, token, "__new__")
    page.locator("#workbench .cm-content").click()
    program = (
        "import json\nfrom multiprocessing import Process\n\n"
        "def buy(i):\n    print('用户%s 抢票' % i)\n\n"
        "if __name__ == '__main__':\n"
        "    with open('data.json') as f:\n        n = json.load(f)['ticket_num']\n"
        "    p = Process(target=buy, args=(n,))\n    p.start()\n    p.join()\n"
        "    print(1 / 0)\n"
    )
    page.keyboard.insert_text(program)
    page.locator("#file-add").click()
    name = page.locator(".file-name-input")
    name.fill("data.json")
    name.press("Enter")
    expect(page.locator('#file-tabs .file-open[data-file="data.json"]')).to_have_attribute(
        "aria-selected", "true"
    )
    page.locator("#workbench .cm-content").click()
    page.keyboard.insert_text('{"ticket_num": 7}')
    page.locator("#lesson-save-as").click()
    page.locator("#save-title-zh").fill("我的抢票")
    page.locator("#save-title-en").fill("My ticket test")
    page.locator("#save-confirm").click()
    expect(page.locator('button.lesson.own[data-lesson="my-ticket-test"]')).to_be_visible()
    saved = api(server, "GET", "/api/lessons/my-ticket-test").json()
    assert saved["files"] == {"main.py": program, "data.json": '{"ticket_num": 7}'}

    page.reload()
    own = page.locator('button.lesson.own[data-lesson="my-ticket-test"]')
    expect(own).to_contain_text("我的抢票")
    own.click()
    expect(page.locator("#workbench .cm-content")).to_contain_text("用户%s 抢票")
    page.locator("#param-speed").fill("5")
    page.locator("#run-btn").click()
    page.wait_for_url(re.compile(r"/runs/[^/]+$"), timeout=15_000)
    run_id = page.url.rsplit("/", 1)[1]
    run = wait_state(server, run_id, {"finished", "failed"})
    assert run["program"]["files"] == saved["files"]

    viewer = csp_page(browser)
    try:
        v = viewer.page
        v.goto(f"{server.base}/runs/{run_id}")
        expect(v.locator("#code-body")).to_contain_text("用户%s 抢票", timeout=15_000)
        expect(v.locator("#code-files .file-open")).to_have_count(2)
        v.locator('#code-files .file-open[data-file="data.json"]').click()
        expect(v.locator("#code-body")).to_contain_text('{"ticket_num": 7}')
        v.locator('#code-files .file-open[data-file="main.py"]').click()
        # The failure: its traceback in the console, its line marked in the code.
        expect(v.locator("#console")).to_contain_text("ZeroDivisionError", timeout=15_000)
        expect(v.locator("#code-body .error-line")).to_contain_text("print(1 / 0)")
        assert v.locator(".cm-editor").count() == 0
        expect(v.locator("#workbench")).to_be_hidden()
        v.goto(f"{server.base}/")
        expect(v.locator('button.lesson[data-lesson="tcp-server"]')).to_be_visible()
        v.wait_for_timeout(500)
        assert v.locator(".cm-editor").count() == 0 and v.locator("#workbench").is_hidden()
        assert violations(v) == []
        assert viewer.errors == []
    finally:
        viewer.page.context.close()
    api(
        server,
        "DELETE",
        "/api/lessons/my-ticket-test",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert violations(page) == []
    assert presenter.errors == []


@pytest.mark.parametrize("width,height", [(1920, 1080), (1366, 768)])
def test_editor_screenshots(
    server: Server, token: str, browser: Browser, width: int, height: int
) -> None:
    w = csp_page(browser, {"width": width, "height": height})
    try:
        page = w.page
        open_editor(page, server, token, "ticket-race")
        type_at_end(page, MARK)
        page.wait_for_timeout(300)
        shot(page, f"editor-{width}x{height}")
        page.keyboard.press("Escape")
        page.locator("#projector-toggle").click()
        page.wait_for_timeout(400)
        shot(page, f"editor-projector-{width}x{height}")
        page.locator("#projector-toggle").click()
        page.locator("#lesson-reset").click()
        assert violations(page) == []
        assert w.errors == []
    finally:
        w.page.context.close()
