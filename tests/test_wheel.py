"""Issue 10 part 2: the wheel a student installs works offline, the page complete.

Built with `python -m build` (the sdist, then the wheel from it, as a release is made),
installed into a fresh virtual environment outside the checkout, served with the checkout
out of reach (hidden under an empty tmpfs in a mount namespace of the server's own, where the
machine allows one) and the cwd a directory with no node_modules: the page, the presenter's
editor (CodeMirror from the wheel) and a lesson's run in headless Chromium, every request
answered by the server from the wheel's files, none failed, no console error. `procviz run`
of a script of one's own from that environment, with no network at all.

Installing needs the package index (the wheel's dependencies); running it needs nothing.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

import httpx
import pytest

from tests.browser.conftest import chromium_path
from tests.client import ENDED, Server, wait_state
from tests.conftest import MARK, free_port

REPO = Path(__file__).resolve().parents[1]
VERSION = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
# What the page needs from the wheel: the template, its own modules, the npm libraries.
PAGE_FILES = (
    r"^app/web/templates/index\.html$",
    r"^app/web/static/js/main\.js$",
    r"^app/web/vendor/d3/dist/d3\.min\.js$",
    r"^app/web/vendor/uplot/dist/uPlot\.iife\.min\.js$",
    r"^app/web/vendor/qrcode-generator/dist/qrcode\.mjs$",
    r"^app/web/vendor/@codemirror/view/dist/index\.js$",
    r"^workers/trace/boot/sitecustomize\.py$",
)
MAX_WHEEL_BYTES = 2_000_000  # about 0.7 MB now: the page's files, not node_modules' 11 MB
INSTALL_TIMEOUT = 300
TOKEN = "wheel-test-token"
# A student's homework: a child process, a queue, a join.
HOMEWORK = """\
from multiprocessing import Process, Queue


def work(q):
    q.put(sum(range(1000)))


if __name__ == "__main__":
    q = Queue()
    p = Process(target=work, args=(q,))
    p.start()
    print("answer", q.get())
    p.join()
"""

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.timeout(600)]


def clean_env() -> dict[str, str]:
    drop = ("PYTHONPATH", "VIRTUAL_ENV", "PROCVIZ_")
    return {k: v for k, v in os.environ.items() if not k.startswith(drop)}


def run(
    argv: list[str | Path],
    cwd: Path,
    timeout: float = INSTALL_TIMEOUT,
    env: dict[str, str] | None = None,
) -> str:
    done = subprocess.run(
        [str(a) for a in argv],
        cwd=cwd,
        env=env or clean_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, f"{argv}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def base_python() -> str:
    """An interpreter every user can execute: runs of a root server execute as nobody."""
    system = Path("/usr/bin/python3.11")
    return str(system) if system.exists() else getattr(sys, "_base_executable", sys.executable)


def venv(path: Path) -> Path:
    run([base_python(), "-m", "venv", path], cwd=path.parent)
    return path / "bin"


def isolated(*, network: bool) -> list[str]:
    """An argv prefix: a mount namespace in which the checkout is an empty tmpfs (and, without
    ``network``, a network namespace with nothing in it); [] where the machine allows none."""
    flags = ["--mount", "--propagation", "private"] + ([] if network else ["--net"])
    prefix = ["unshare", *flags, "sh", "-c", f'mount -t tmpfs none "{REPO}" && exec "$@"', "-"]
    probe = subprocess.run([*prefix, "true"], capture_output=True, stdin=subprocess.DEVNULL)
    return prefix if shutil.which("unshare") and probe.returncode == 0 else []


def checkout_hidden_from(pid: int) -> bool:
    """Whether the process sees the checkout as the empty tmpfs ``isolated()`` mounts."""
    mounts = Path(f"/proc/{pid}/mountinfo").read_text().splitlines()
    return any(f" {REPO} " in m and " - tmpfs " in m for m in mounts)


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdist and the wheel, as `python -m build` makes them from the checkout."""
    tmp = tmp_path_factory.mktemp("wheel")
    if find_spec("build") is not None:  # the dev extra has it
        python = Path(sys.executable)
    else:
        python = venv(tmp / "build-venv") / "python"
        run([python, "-m", "pip", "install", "-q", "build>=1.2"], cwd=tmp)
    out = tmp / "dist"
    run([python, "-m", "build", "--outdir", out, REPO], cwd=tmp)
    return out


@pytest.fixture(scope="module")
def wheel(dist: Path) -> Path:
    (sdist,) = dist.glob(f"procviz-{VERSION}.tar.gz")
    (wheel,) = dist.glob(f"procviz-{VERSION}-py3-none-any.whl")
    assert sdist.stat().st_size > 0
    return wheel


@dataclass
class Installed:
    bin: Path
    home: Path  # where the student works: outside the checkout, no node_modules


@pytest.fixture(scope="module")
def installed(wheel: Path) -> Iterator[Installed]:
    # Not under pytest's private (0700) temporary root: the run user must reach the venv.
    home = Path(tempfile.mkdtemp(prefix="procviz-student-"))
    try:
        home.chmod(0o755)
        bin_ = venv(home / "venv")
        run([bin_ / "python", "-m", "pip", "install", "-q", wheel], cwd=home)
        yield Installed(bin_, home)
    finally:
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="module")
def served(installed: Installed) -> Iterator[Server]:
    port = free_port()
    mark_name, mark_value = MARK.split("=")
    env = clean_env() | {
        "PROCVIZ_DATA_DIR": str(installed.home / "data"),
        "PROCVIZ_TOKEN": TOKEN,
        # The leftover check (tests/conftest.py) finds this server's runs by the mark.
        mark_name: mark_value,
        "PROCVIZ_PASS_ENV": mark_name,
        # Nothing at run time from any network: no proxy either.
        "NO_PROXY": "*",
        "no_proxy": "*",
    }
    log = installed.home / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*isolated(network=True), installed.bin / "procviz", "serve", "--port", str(port)],
            cwd=installed.home,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, f"server exited {proc.returncode}: {log.read_text()}"
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"no /healthz in 30 s: {log.read_text()}"
            time.sleep(0.1)
        yield Server(base=base, ws_base=f"ws://127.0.0.1:{port}", pid=proc.pid, token=TOKEN)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def test_wheel_carries_the_page_and_not_node_modules(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    missing = [p for p in PAGE_FILES if not any(re.search(p, n) for n in names)]
    assert missing == [], f"the wheel carries none of {missing}"
    assert not [n for n in names if "node_modules" in n or n.endswith((".d.ts", ".cjs"))]
    assert wheel.stat().st_size < MAX_WHEEL_BYTES, wheel.stat().st_size


def test_installed_wheel_runs_from_its_own_environment(installed: Installed) -> None:
    out = run([installed.bin / "procviz", "--version"], cwd=installed.home)
    assert out.strip() == f"procviz {VERSION}"
    # The app and the page's files come from the fresh environment, not from the checkout.
    where = run(
        [
            installed.bin / "python",
            "-c",
            "import app, json; from app.webfiles import locate; w = locate(); "
            "print(json.dumps([app.__file__, str(w.templates), str(w.static), str(w.vendor)]))",
        ],
        cwd=installed.home,
    )
    for path in json.loads(where):
        assert Path(path).is_relative_to(installed.home / "venv"), where
    assert not (installed.home / "node_modules").exists()


def test_changelog_names_this_version() -> None:
    changelog = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"^## {re.escape(VERSION)}\b", changelog, re.MULTILINE), VERSION


def test_a_script_of_ones_own_runs_offline(installed: Installed) -> None:
    script = installed.home / "homework.py"
    script.write_text(HOMEWORK)
    script.chmod(0o644)
    env = clean_env() | {"PROCVIZ_DATA_DIR": str(installed.home / "data-run")}
    out = run(
        [*isolated(network=False), installed.bin / "procviz", "run", script],
        cwd=installed.home,
        timeout=60,
        env=env,
    )
    assert "answer 499500" in out, out


def test_page_and_a_run_load_offline_from_the_wheel(served: Server, installed: Installed) -> None:
    from playwright.sync_api import ConsoleMessage, Request, Response, expect, sync_playwright

    problems: list[str] = []
    served_paths: set[str] = set()

    def on_request(request: Request) -> None:
        if not request.url.startswith((served.base, served.ws_base, "data:", "blob:")):
            problems.append(f"fetched from elsewhere: {request.url}")

    def on_response(response: Response) -> None:
        if response.status >= 400:
            problems.append(f"{response.status} {response.url}")
        elif response.url.startswith(served.base):
            served_paths.add(response.url.removeprefix(served.base).split("?")[0])

    def on_failed(request: Request) -> None:
        if "ERR_ABORTED" not in (request.failure or ""):  # leaving a page aborts its loads
            problems.append(f"failed: {request.url} {request.failure}")

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(f"console.error: {message.text}")

    def drive() -> None:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=chromium_path(),
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            try:
                page = browser.new_page(viewport={"width": 1366, "height": 768})
                page.on("request", on_request)
                page.on("response", on_response)
                page.on("requestfailed", on_failed)
                page.on("console", on_console)
                page.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))
                frames: list[
                    int
                ] = []  # WebSocket frames the page received (for a failure's message)
                page.on("websocket", lambda ws: ws.on("framereceived", lambda _: frames.append(1)))
                # As the presenter: the editor (CodeMirror through the import map) loads too.
                page.goto(f"{served.base}/?lesson=zombie&token={TOKEN}")
                expect(page.locator(".cm-editor").first).to_be_visible(timeout=15_000)
                page.wait_for_load_state("networkidle")
                # Run from the page's own form: the page watches the run from its start.
                page.locator("#param-speed").fill("2")
                page.locator("#run-btn").click()
                page.wait_for_url(re.compile(r"/runs/[^/?]+$"), timeout=10_000)
                run_id = page.url.rstrip("/").rsplit("/", 1)[-1]
                try:
                    expect(page.locator('g.node[data-role="root"]')).to_have_count(
                        1, timeout=20_000
                    )
                    # The root and its child: process nodes, drawn by d3 from the wheel.
                    page.wait_for_function(
                        "document.querySelectorAll('g.node').length >= 2", timeout=20_000
                    )
                except AssertionError as error:
                    raise AssertionError(
                        f"{error}\nproblems: {problems}; WebSocket frames: {len(frames)}"
                    ) from None
                ended = wait_state(served, run_id, ENDED, timeout=60)
                assert ended["state"] == "finished", (ended, problems)
                page.wait_for_load_state("networkidle")
            finally:
                browser.close()

    # In a thread of its own: the browser tests' session keeps a Playwright (and its
    # asyncio loop) running in this one, and the sync API refuses to start inside it.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(drive).result()
    assert problems == []
    # The server never saw the checkout (where the machine allows a mount namespace) …
    if isolated(network=True):
        assert checkout_hidden_from(served.pid)
    assert Path(f"/proc/{served.pid}/cwd").resolve() == installed.home
    # … and every file the page loaded is the wheel's own copy, in the student's environment.
    (web,) = (installed.home / "venv").glob("lib/python3*/site-packages/app/web")
    files = [p for p in served_paths if p.startswith(("/static/", "/vendor/"))]
    assert any(p.startswith("/vendor/@codemirror/") for p in files), sorted(served_paths)
    assert any(p.startswith("/vendor/d3/") for p in files), sorted(served_paths)
    for path in files:
        assert (web / path.lstrip("/")).is_file(), path
