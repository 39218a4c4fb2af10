"""Checking a program before it runs, and the bootstrap every interpreter of a run loads."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT
from tests.tracing import BOOT, PROGRAMS, trace_run
from workers.trace.check import Problem, compile_files


def test_check_compile_files_names_file_line_and_column() -> None:
    files = {
        "main.py": "print('ok')\n",
        "lib/broken.py": "x = 1\ndef f(:\n    pass\n",
        "data.json": "{not python at all",
    }
    assert compile_files(files) == [Problem("lib/broken.py", 2, 7, "invalid syntax")]


def test_check_compile_files_runs_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    assert compile_files({"main.py": f"open({str(marker)!r}, 'w')\n"}) == []
    assert not marker.exists()


def test_check_compile_files_null_byte_is_a_problem() -> None:
    (problem,) = compile_files({"main.py": "x = 1\0\n"})
    assert problem.file == "main.py" and "null" in problem.message


def _python(code: str, env: dict[str, str]) -> str:
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=30
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_boot_chains_to_the_next_sitecustomize_and_is_inert_without_a_channel(
    tmp_path: Path,
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "sitecustomize.py").write_text("import builtins\nbuiltins.OTHER_SITE = 42\n")
    env = {k: v for k, v in os.environ.items() if k != "PROCVIZ_EVENTS"}
    env["PYTHONPATH"] = os.pathsep.join([str(BOOT), str(other), str(ROOT)])
    code = (
        "import sys, time; print(OTHER_SITE, 'workers.trace' in sys.modules, time.sleep.__module__)"
    )
    assert _python(code, env).split() == ["42", "False", "time"]


def test_boot_alone_traces_a_plain_python_run(tmp_path: Path) -> None:
    # ``python script.py`` with the bootstrap on PYTHONPATH, no runner: still traced.
    script = tmp_path / "plain.py"
    script.write_text((PROGRAMS / "money.py").read_text())
    got = trace_run(script, cwd=tmp_path, runner=False)
    assert got.returncode == 0, got.lines("stderr")
    money = {
        (e["pid"] == got.root, e["data"]["value"])
        for e in got.of("value")
        if e["data"]["name"] == "money"
    }
    assert money == {(True, 1000), (False, 99)}
