"""The OpenAPI document is true: schemathesis fuzzes every operation of a real server."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.client import ENDED, Server, api, wait_state

pytestmark = pytest.mark.integration

EXAMPLES = 50  # per operation and phase (as the issue found the 500s): about 15 s


def stop_every_run(server: Server) -> None:
    """Fuzzing POST /api/runs starts real runs: end them all (the leftover check follows)."""
    for run in api(server, "GET", "/api/runs").json():
        if run["state"] not in ENDED:
            api(server, "POST", f"/api/runs/{run['id']}/stop")
    for run in api(server, "GET", "/api/runs").json():
        wait_state(server, run["id"], ENDED, timeout=60)


def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    make_server: Callable[..., Server], tmp_path: Path
) -> None:
    server = make_server(
        PROCVIZ_MAX_DURATION="5",  # every fuzzed run ends on its own, soon
        PROCVIZ_CONTROL_RATE="100000",  # the fuzzer is one address sending thousands
        PROCVIZ_CONTROL_BURST="100000",
    )
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "schemathesis.cli",
                "run",
                f"{server.base}/openapi.json",
                "--checks=all",
                f"--max-examples={EXAMPLES}",
                "--seed=1",
                "--workers=1",
                "--no-shrink",
                "--request-timeout=30",
            ],
            cwd=tmp_path,  # its .hypothesis cache stays out of the repository
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert api(server, "GET", "/healthz").status_code == 200
    finally:
        stop_every_run(server)
    report = done.stdout[-12000:] + done.stderr[-2000:]
    assert done.returncode == 0, report
    cases = re.search(r"(\d+) generated, (\d+) passed", done.stdout)
    assert cases is not None and cases[1] == cases[2] and int(cases[1]) > 500, report
