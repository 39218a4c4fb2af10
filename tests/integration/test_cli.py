"""``procviz lessons`` and ``procviz run`` in a terminal."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import MARK

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


def procviz(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_lessons_lists_every_lesson_with_both_titles() -> None:
    out = procviz("lessons")
    assert out.returncode == 0
    lines = out.stdout.splitlines()
    assert len(lines) == 12
    assert any(line.startswith("zombie") and "僵尸进程" in line for line in lines)


def test_cli_run_prints_events_the_tree_and_the_result() -> None:
    out = procviz("run", "zombie", "--param", "speed=10", "--param", "start_method=spawn")
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "jason is running" in text and "· exit" in text and "· reap" in text
    tree = text.split("── process tree")[1]
    assert "MainProcess" in tree and "Process-1" in tree and "zombie" in tree
    assert "'reaped_by_join': True" in text


def test_cli_run_rejects_a_bad_parameter_naming_it() -> None:
    out = procviz("run", "zombie", "--param", "speed=1000")
    assert out.returncode == 2
    assert "speed" in out.stderr and "≤ 20" in out.stderr
    out = procviz("run", "teleport")
    assert out.returncode == 2 and "unknown lesson" in out.stderr


def traced_env() -> dict[str, str]:
    """The test session's mark reaches the run: the leftover check sees its processes."""
    key, value = MARK.split("=")
    return {**os.environ, key: value, "PROCVIZ_PASS_ENV": key, "BROWSER": "true"}


def run_script(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "run", *args],
        cwd=cwd,
        env={**traced_env(), "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )


SCRIPT = """\
import json, sys
from multiprocessing import Process

def buy():
    with open("data.json") as f:
        print("tickets", json.load(f)["ticket_num"])

if __name__ == "__main__":
    p = Process(target=buy)
    p.start()
    p.join()
    print("argv", sys.argv[1:])
    sys.exit(int(sys.argv[1]))
"""


def test_cli_runs_a_script_in_place_with_its_argv_and_exit_status(tmp_path: Path) -> None:
    (tmp_path / "buy.py").write_text(SCRIPT)
    (tmp_path / "data.json").write_text('{"ticket_num": 7}')
    out = run_script(tmp_path, "buy.py", "3", "--verbose")
    assert out.returncode == 3, out.stderr
    assert "] tickets 7" in out.stdout  # data.json beside the script was found
    assert "argv ['3', '--verbose']" in out.stdout
    assert "MainProcess" in out.stdout.split("── process tree")[1]


def test_cli_json_prints_the_protocol_and_record_writes_the_recording(tmp_path: Path) -> None:
    (tmp_path / "buy.py").write_text(SCRIPT)
    (tmp_path / "data.json").write_text('{"ticket_num": 1}')
    out = run_script(tmp_path, "--json", "--record", "rec.jsonl", "buy.py", "0")
    assert out.returncode == 0, out.stderr
    messages = [json.loads(line) for line in out.stdout.splitlines()]
    assert messages[0]["type"] == "run" and messages[0]["program"]["argv"] == ["0"]
    kinds = {m["kind"] for m in messages if m["type"] == "event"}
    assert {"spawn", "stdout", "exit", "reap"} <= kinds
    assert {m["type"] for m in messages} >= {"run", "snapshot", "delta", "event"}
    assert messages[-1]["type"] == "run" and messages[-1]["state"] == "finished"
    recorded = (tmp_path / "rec.jsonl").read_text().splitlines()
    assert any('"tickets 1"' in line for line in recorded)


def test_cli_refuses_a_missing_a_non_python_and_a_broken_script(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "broken.py").write_text("x = (\n")
    out = run_script(tmp_path, "missing.py")
    assert out.returncode == 2 and "no such script" in out.stderr
    out = run_script(tmp_path, "notes.txt")
    assert out.returncode == 2 and "not a Python script" in out.stderr
    out = run_script(tmp_path, "broken.py")
    assert out.returncode == 2
    assert 'syntax error in "broken.py", line 1, column 5' in out.stderr


@contextlib.contextmanager
def opened(cwd: Path, *args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``procviz ARGS`` serving in the background: the process and the URL it opened."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", *args],
        cwd=cwd,
        env={**traced_env(), "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    try:
        yield proc, proc.stdout.readline()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()


def test_cli_open_serves_the_run_until_ctrl_c_and_exits_with_the_scripts_status(
    tmp_path: Path,
) -> None:
    (tmp_path / "buy.py").write_text(SCRIPT)
    (tmp_path / "data.json").write_text('{"ticket_num": 2}')
    with opened(tmp_path, "run", "--open", "buy.py", "5") as (proc, line):
        url = re.search(r"(http://127\.0\.0\.1:\d+)/runs/([\w-]+)\?token=(\S+)", line)
        assert url, line
        base, run_id, token = url.groups()
        page = httpx.get(f"{base}/runs/{run_id}?token={token}", timeout=10)
        assert page.status_code == 200
        deadline = time.monotonic() + 30
        while httpx.get(f"{base}/api/runs/{run_id}").json()["state"] not in ("finished", "failed"):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert proc.poll() is None  # it serves on after the run, until Ctrl-C
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 5


def test_cli_open_replays_a_recording(tmp_path: Path) -> None:
    (tmp_path / "buy.py").write_text(SCRIPT)
    (tmp_path / "data.json").write_text('{"ticket_num": 1}')
    assert run_script(tmp_path, "--record", "rec.jsonl", "buy.py", "0").returncode == 0
    with opened(tmp_path, "open", "rec.jsonl") as (proc, line):
        url = re.search(r"(http://127\.0\.0\.1:\d+)/runs/([\w-]+)\?replay=1&token=", line)
        assert url, line
        base, run_id = url.groups()
        got = httpx.get(f"{base}/api/runs/{run_id}/recording", timeout=10)
        assert got.text == (tmp_path / "rec.jsonl").read_text()
        assert httpx.get(f"{base}/api/runs/{run_id}").json()["state"] == "finished"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 0
