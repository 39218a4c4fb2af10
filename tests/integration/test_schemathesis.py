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


# A vote's answer is checked against its question (a number on that question's scale, or one of
# its choices), which a schema shared by every question cannot say: a schema-valid answer that
# does not fit the question is refused with 422 naming `answer`, as documented.
VOTES = """
[[operations]]
include-path = "/api/questions/{question_id}/votes"
checks.positive_data_acceptance.expected-statuses = ["201", "401", "403", "404", "409", "422", "429"]
"""


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
    config = tmp_path / "schemathesis.toml"
    config.write_text(VOTES)
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "schemathesis.cli",
                f"--config-file={config}",
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
