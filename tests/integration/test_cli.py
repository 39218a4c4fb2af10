"""``procviz lessons`` and ``procviz run`` in a terminal."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

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
