"""Fixtures: real procviz servers on loopback, and a guard that no process is left behind."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.client import Server

ROOT = Path(__file__).resolve().parent.parent
# Set in every server this test session starts and so inherited by every process of
# their runs: the leftover check looks at this session's runs only.
MARK = f"PROCVIZ_TEST_SESSION={uuid.uuid4().hex}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_processes() -> list[int]:
    """Every process of a run of this test session's servers, wherever it was re-parented."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/environ", "rb") as f:
                environ = f.read()
        except OSError:
            continue
        if MARK.encode() in environ and b"PROCVIZ_EVENTS=" in environ:
            found.append(int(entry.name))
    return found


class ServerProcess:
    def __init__(self, tmp: Path, env: dict[str, str]) -> None:
        port = free_port()
        self.log = tmp / f"server-{port}.log"
        self.data_dir = tmp / f"data-{port}"
        full_env = {
            **os.environ,
            "PROCVIZ_DATA_DIR": str(self.data_dir),
            "PROCVIZ_HOST": "127.0.0.1",
            MARK.split("=")[0]: MARK.split("=")[1],
            # Runs get no PROCVIZ_* variable unless passed on: the mark must reach them.
            "PROCVIZ_PASS_ENV": MARK.split("=")[0],
            **env,
        }
        with self.log.open("wb") as log:
            self.popen = subprocess.Popen(
                [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
                cwd=ROOT,
                env=full_env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.server = Server(
            base=f"http://127.0.0.1:{port}",
            ws_base=f"ws://127.0.0.1:{port}",
            pid=self.popen.pid,
            token=env.get("PROCVIZ_TOKEN"),
            data_dir=str(self.data_dir),
        )
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()}")
            try:
                if httpx.get(self.server.base + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"server did not answer /healthz: {self.log.read_text()}")

    def stop(self) -> int:
        self.popen.send_signal(signal.SIGTERM)
        try:
            return self.popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()
            raise


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    proc = ServerProcess(tmp_path_factory.mktemp("server"), {"PROCVIZ_MAX_RUNS": "8"})
    yield proc.server
    proc.stop()


@pytest.fixture
def make_server(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """A server of the test's own, with extra ``PROCVIZ_*`` settings."""
    started: list[ServerProcess] = []

    def make(**env: str) -> Server:
        proc = ServerProcess(tmp_path, env)
        started.append(proc)
        return proc.server

    yield make
    for proc in started:
        proc.stop()


@pytest.fixture(autouse=True)
def no_process_left_behind() -> Iterator[None]:
    """Fails a test after which any process of a run is still alive (after a grace)."""
    before = set(run_processes())
    yield
    deadline = time.monotonic() + 15
    left = [pid for pid in run_processes() if pid not in before]
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = [pid for pid in run_processes() if pid not in before]
    for pid in left:  # don't let one leak cascade into the next test
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    assert not left, f"processes left behind by this test: {left}"
