"""The page under its Content-Security-Policy in real Chromium, and a hostile page beside it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import Watched, open_page
from tests.client import Server, api, start_run, wait_state

pytestmark = pytest.mark.browser

# Injected by the browser itself, so it runs whatever the page's CSP says.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


def violations(page: Page) -> list[str]:
    return list(page.evaluate("window.__violations"))


@pytest.fixture
def csp_watched(browser: Browser) -> Iterator[Watched]:
    w = open_page(browser)
    w.page.add_init_script(RECORD_VIOLATIONS)
    yield w
    w.page.context.close()


def test_page_runs_a_lesson_under_the_csp_with_no_console_error(
    server: Server, csp_watched: Watched
) -> None:
    page = csp_watched.page
    response = page.goto(f"{server.base}/?lesson=zombie")
    assert response is not None
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.locator("#param-speed").fill("4")
    page.locator("#run-btn").click()  # a same-origin POST: the Origin check lets it through
    page.wait_for_url("**/runs/*", timeout=10_000)
    run_id = page.url.rsplit("/", 1)[1]
    expect(page.locator('g.node[data-role="root"]')).to_have_count(1, timeout=20_000)
    expect(page.locator("#result-card")).to_be_visible(timeout=30_000)
    assert wait_state(server, run_id, {"finished"})["result"]["reaped_by_join"] is True
    page.locator("#tab-timeline").click()
    expect(page.locator("#timeline svg").first).to_be_visible()
    page.locator("#export-menu > summary").click()
    with page.expect_download() as download:  # styles inlined for the picture, via the CSSOM
        page.locator("#export-tree-svg").click()
    assert "fill: " in Path(download.value.path()).read_text(encoding="utf-8")
    page.keyboard.press("p")  # projector mode, and the theme toggle: all by classes
    page.locator("#theme-toggle").click()
    page.wait_for_timeout(300)  # a late violation report arrives asynchronously
    assert violations(page) == []
    assert csp_watched.errors == []


HOSTILE_PAGE = """<!doctype html><title>free ringtones</title><script>
const target = new URL(location.search.slice(1));
window.outcome = {};
fetch(`${target.origin}/api/runs/${location.hash.slice(1)}/stop`, {method: "POST", mode: "no-cors"})
  .finally(() => (window.outcome.stop = "done"));
const ws = new WebSocket(`ws://${target.host}/ws/lobby`);
ws.onmessage = (e) => (window.outcome.lobby = e.data);
ws.onclose = (e) => (window.outcome.ws_closed = e.code);
</script>"""


@pytest.fixture
def hostile_site() -> Iterator[str]:
    """Another origin on this machine (another port), serving a page that attacks procviz."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = HOSTILE_PAGE.encode()
            self.send_response(200)
            self.send_header("content-type", "text/html")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_a_page_of_another_origin_can_neither_stop_a_run_nor_follow_the_lobby(
    server: Server, browser: Browser, hostile_site: str
) -> None:
    run = start_run(server, "zombie", {"parent_sleep": 30, "speed": 0.5})
    stop_url = f"{server.base}/api/runs/{run['id']}/stop"
    watched = open_page(browser)
    try:
        page = watched.page
        page.goto(f"{hostile_site}/?{server.base}/#{run['id']}")
        page.wait_for_function(
            "window.outcome.stop && window.outcome.ws_closed !== undefined", timeout=10_000
        )
        outcome = page.evaluate("window.outcome")
        assert "lobby" not in outcome and outcome["ws_closed"] == 1006  # refused, never open
        # The classic forgery: a form posted across sites (a navigation, so its answer shows).
        with page.expect_navigation() as navigation:
            page.evaluate(
                """(url) => { const f = document.createElement("form");
                f.method = "POST"; f.action = url; document.body.append(f); f.submit(); }""",
                stop_url,
            )
        response = navigation.value
        assert response is not None and response.status == 403
        assert '"field": "origin"' in page.content()
        assert api(server, "GET", f"/api/runs/{run['id']}").json()["state"] == "running"
    finally:
        watched.page.context.close()
        api(server, "POST", f"/api/runs/{run['id']}/stop")
        wait_state(server, run["id"], {"stopped", "finished", "failed"}, timeout=30)
