"""Check a built procviz image from outside, as a user of `docker run` would meet it.

    python3 docker/check_image.py IMAGE        (docker/image-test.sh runs it: make image-test)

Talks to the Docker daemon at DOCKER_HOST with the `docker` CLI, to the server over its
published port, and reads the host's /proc for the truth about the container's processes.
Standard library only. Two containers run side by side:

- ``plain``: PID 1 is the server; hardened as deploy/procviz.yaml runs it (read-only root
  filesystem, /tmp a tmpfs, no capabilities, no privilege escalation); a named volume on /data.
- ``init``: ``docker run --init``, PID 1 is docker-init (tini) and the server its child.

Every container and volume made here carries the label procviz-image-test and is removed at
the end, failed or not. Exit status 1 when any check failed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
import traceback
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LABEL = "procviz-image-test"
APP_UID = 10001
PORT = 8000
ENDED = {"finished", "stopped", "failed"}
START_TIMEOUT = 40.0
RUN_TIMEOUT = 60.0
STOP_TIMEOUT = 10  # docker stop -t: SIGKILL after this; the server's own grace is 2 s


class CheckFailed(AssertionError):
    pass


def require(condition: object, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def docker(*args: str, timeout: float = 60, check: bool = True) -> str:
    done = subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
    )
    if check and done.returncode != 0:
        raise CheckFailed(f"docker {' '.join(args)}: exit {done.returncode}: {done.stderr.strip()}")
    return done.stdout


# ---- HTTP -------------------------------------------------------------------------------------


def http(
    method: str,
    url: str,
    *,
    token: str | None = None,
    body: object = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10,
) -> tuple[int, bytes]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status), response.read()
    except urllib.error.HTTPError as error:
        with error:
            return int(error.code), error.read()


def http_json(method: str, url: str, **kwargs: Any) -> tuple[int, Any]:
    status, raw = http(method, url, **kwargs)
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, raw.decode(errors="replace")


# ---- the host's view of a container's processes -----------------------------------------------


@dataclass(frozen=True)
class HostProcess:
    pid: int  # on the host
    ns_pid: int  # in the container's PID namespace
    starttime: int
    state: str
    uids: tuple[int, ...]
    cmdline: tuple[str, ...]


def host_processes(container_id: str) -> list[HostProcess]:
    """Every process on this host whose cgroup is the container's (cgroup v1 or v2)."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            if container_id not in Path(entry.path, "cgroup").read_text():
                continue
            stat = Path(entry.path, "stat").read_text()
            status = Path(entry.path, "status").read_text()
            cmdline = Path(entry.path, "cmdline").read_bytes()
        except OSError:
            continue  # gone meanwhile
        fields = stat[stat.rindex(")") + 2 :].split()
        lines = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        found.append(
            HostProcess(
                pid=int(entry.name),
                ns_pid=int(lines.get("NSpid", entry.name).split()[-1]),
                starttime=int(fields[19]),
                state=fields[0],
                uids=tuple(int(u) for u in lines["Uid"].split()),
                cmdline=tuple(a.decode(errors="replace") for a in cmdline.split(b"\0") if a),
            )
        )
    return found


def alive(process: HostProcess) -> bool:
    """The same process (PID and start time), still there."""
    try:
        stat = Path(f"/proc/{process.pid}/stat").read_text()
    except OSError:
        return False
    return int(stat[stat.rindex(")") + 2 :].split()[19]) == process.starttime


# ---- containers -------------------------------------------------------------------------------


@dataclass
class Container:
    image: str
    session: str
    role: str
    init: bool = False
    hardened: bool = False
    volume: str | None = None
    id: str = ""
    base: str = ""
    token: str | None = None
    # What later checks need from earlier ones.
    zombie_run: str = ""
    stopped_run: str = ""
    saved_recording: bytes = b""

    @property
    def name(self) -> str:
        return f"procviz-check-{self.session}-{self.role}"

    def start(self) -> None:
        args = ["run", "--detach", "--name", self.name, "--label", f"{LABEL}={self.session}"]
        args += ["--publish", f"127.0.0.1::{PORT}", "--health-interval", "1s"]
        if self.init:
            args.append("--init")
        if self.volume:
            args += ["--volume", f"{self.volume}:/data"]
        if self.hardened:  # as deploy/procviz.yaml runs it
            args += ["--read-only", "--tmpfs", "/tmp", "--cap-drop", "ALL"]
            args += ["--security-opt", "no-new-privileges"]
        self.id = docker(*args, self.image).strip()
        published = docker("port", self.id, f"{PORT}/tcp").split()[0]
        self.base = f"http://{published}"

    def inspect(self) -> dict[str, Any]:
        return dict(json.loads(docker("inspect", self.id))[0])

    def logs(self) -> str:
        done = subprocess.run(["docker", "logs", self.id], capture_output=True, text=True)
        return done.stdout + done.stderr

    def processes(self) -> list[HostProcess]:
        return host_processes(self.id)

    def server(self) -> HostProcess:
        # python .../bin/procviz serve (PID 1 with --init is docker-init -- procviz serve)
        servers = [
            p
            for p in self.processes()
            if len(p.cmdline) >= 3
            and Path(p.cmdline[0]).name.startswith("python")
            and p.cmdline[-2:] == (p.cmdline[-2], "serve")
            and Path(p.cmdline[-2]).name == "procviz"
        ]
        require(len(servers) == 1, f"{self.role}: expected one `procviz serve`, saw {servers}")
        return servers[0]

    def api(self, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        kwargs.setdefault("token", self.token)
        return http_json(method, self.base + path, **kwargs)

    def start_run(self, lesson: str, params: dict[str, Any]) -> str:
        status, run = self.api("POST", "/api/runs", body={"lesson": lesson, "params": params})
        require(status == 201, f"{self.role}: POST /api/runs {lesson}: {status} {run}")
        return str(run["id"])

    def wait_run(
        self, run_id: str, states: set[str], timeout: float = RUN_TIMEOUT
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            status, run = self.api("GET", f"/api/runs/{run_id}")
            require(status == 200, f"{self.role}: GET run {run_id}: {status} {run}")
            if run["state"] in states:
                return dict(run)
            require(time.monotonic() < deadline, f"{self.role}: run {run_id} still {run['state']}")
            time.sleep(0.1)

    def recording(self, run_id: str) -> bytes:
        status, raw = http("GET", f"{self.base}/api/runs/{run_id}/recording", token=self.token)
        require(status == 200, f"{self.role}: GET recording {run_id}: {status} {raw[:200]!r}")
        return raw

    def remove(self) -> None:
        if self.id:
            docker("rm", "--force", "--volumes", self.id, check=False)


def messages(raw: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in raw.splitlines() if line.strip()]


def events(items: list[dict[str, Any]], kind: str, pid: int | None = None) -> list[dict[str, Any]]:
    return [
        m
        for m in items
        if m["type"] == "event" and m["kind"] == kind and (pid is None or m["pid"] == pid)
    ]


def records(items: list[dict[str, Any]], pid: int) -> list[dict[str, Any]]:
    return [
        p for m in items for p in m.get("processes", []) + m.get("changed", []) if p["pid"] == pid
    ]


def the_result(items: list[dict[str, Any]]) -> dict[str, Any]:
    results = events(items, "result")
    require(len(results) == 1, f"expected one result event, got {len(results)}")
    return dict(results[0]["data"])


# ---- the checks -------------------------------------------------------------------------------


Row = tuple[str, str, float, str]  # outcome, name, seconds, detail


def evaluate(name: str, check: Callable[[], str | None]) -> Row:
    started = time.monotonic()
    try:
        detail = check() or ""
        outcome = "PASS"
    except SkipCheck as skip:
        outcome, detail = "SKIP", str(skip)
    except Exception as error:  # every check runs; the summary says which failed
        outcome = "FAIL"
        detail = f"{type(error).__name__}: {error}"
        if not isinstance(error, CheckFailed):
            detail += "\n" + traceback.format_exc()
    return outcome, name, time.monotonic() - started, detail


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)

    def add(self, row: Row) -> bool:
        outcome, name, took, detail = row
        self.rows.append(row)
        print(
            f"[check] {outcome} {name} ({took:.1f} s){': ' + detail if detail else ''}", flush=True
        )
        return outcome != "FAIL"

    def run(self, name: str, check: Callable[[], str | None]) -> bool:
        return self.add(evaluate(name, check))

    @property
    def failed(self) -> list[str]:
        return [name for outcome, name, _, _ in self.rows if outcome == "FAIL"]


class SkipCheck(Exception):
    pass


def wait_healthy(c: Container) -> str:
    deadline = time.monotonic() + START_TIMEOUT
    status: int | None = None
    while time.monotonic() < deadline:
        state = c.inspect()["State"]
        require(state["Running"], f"{c.role}: exited {state['ExitCode']}:\n{c.logs()}")
        try:
            status, body = http_json("GET", c.base + "/healthz", timeout=2)
        except OSError:
            status = None
        if status == 200:
            require(body.get("status") == "ok", f"{c.role}: /healthz said {body}")
            break
        time.sleep(0.2)
    require(status == 200, f"{c.role}: /healthz gave {status} for {START_TIMEOUT} s:\n{c.logs()}")
    served = time.monotonic()
    # Docker's own HEALTHCHECK (the image's command; the interval shortened to 1 s by `run`).
    while True:
        health = c.inspect()["State"].get("Health") or {}
        if health.get("Status") == "healthy":
            return f"/healthz 200, HEALTHCHECK healthy {time.monotonic() - served:.1f} s later"
        require(
            time.monotonic() - served < 20,
            f"{c.role}: HEALTHCHECK {health.get('Status')}: {health.get('Log', [])[-1:]}",
        )
        time.sleep(0.2)


def check_user(c: Container) -> str:
    inside = docker("exec", c.id, "id", "-u").strip()
    require(inside == str(APP_UID), f"{c.role}: `id -u` in the container says {inside}")
    procs = c.processes()
    wrong = [p for p in procs if set(p.uids) != {APP_UID}]
    require(not wrong, f"{c.role}: processes not running as {APP_UID} (host view): {wrong}")
    return f"id -u {inside}; all {len(procs)} processes uid {APP_UID} in the host's /proc"


def check_token(c: Container) -> str:
    logs = c.logs()
    found = re.findall(r"presenter URL \(controls runs\): http://\S+\?token=(\S+)", logs)
    require(found, f"{c.role}: no presenter URL with a token in the logs:\n{logs}")
    c.token = found[-1]
    body = {"lesson": "create-process", "params": {"speed": 10}}
    status, _ = http_json("POST", c.base + "/api/runs", body=body)
    require(status == 401, f"{c.role}: POST /api/runs without the token: {status}, not 401")
    status, _ = http_json("POST", c.base + "/api/runs", body=body, token="not-the-token")
    require(status == 401, f"{c.role}: POST /api/runs with a wrong token: {status}, not 401")
    run_id = c.start_run("create-process", {"speed": 10})
    c.wait_run(run_id, ENDED)
    # The image allows any Host header (PROCVIZ_ALLOWED_HOSTS=*): a name the server cannot know.
    status, _ = http_json(
        "GET", c.base + "/healthz", headers={"Host": "procviz.school.example:8080"}
    )
    require(status == 200, f"{c.role}: /healthz with another Host header: {status}")
    return "token in the logs; 401 without, 401 wrong, 201 with; any Host header served"


def check_zombie(c: Container, run_id: str) -> dict[str, Any]:
    run = c.wait_run(run_id, ENDED)
    require(run["state"] == "finished", f"{c.role}: zombie run {run['state']}")
    items = messages(c.recording(run_id))
    result = the_result(items)
    require(result["reaped_by_join"] is True, f"{c.role}: zombie result {result}")
    require(result["zombie_seconds"] > 0.3, f"{c.role}: zombie result {result}")
    root = next(e["pid"] for e in events(items, "spawn") if e["data"].get("role") == "root")
    child = next(e["pid"] for e in events(items, "spawn") if e["data"]["ppid"] == root)
    statuses = [p["status"] for p in records(items, child)]
    require("zombie" in statuses, f"{c.role}: the child was never sampled as a zombie: {statuses}")
    kinds = [m["kind"] for m in items if m["type"] == "event" and m["pid"] == child]
    require(
        "exit" in kinds and "reap" in kinds and kinds.index("exit") < kinds.index("reap"),
        f"{c.role}: the child's events {kinds}",
    )
    return result


def check_orphan(c: Container, run_id: str) -> dict[str, Any]:
    run = c.wait_run(run_id, ENDED)
    require(run["state"] == "finished", f"{c.role}: orphan run {run['state']}")
    items = messages(c.recording(run_id))
    result = the_result(items)
    server = c.server().ns_pid
    if c.init:
        require(server != 1, f"{c.role}: with --init the server should not be PID 1")
        pid1 = [p for p in c.processes() if p.ns_pid == 1]
        require(
            pid1 and pid1[0].cmdline and pid1[0].cmdline[0].endswith("init"),
            f"{c.role}: PID 1 is not docker-init: {pid1}",
        )
    else:
        require(server == 1, f"{c.role}: without --init the server should be PID 1, is {server}")
    orphan = result["orphan_pid"]
    require(
        result["new_ppid"] == server, f"{c.role}: adopted by {result['new_ppid']}, not {server}"
    )
    require(result["old_ppid"] != server, f"{c.role}: orphan result {result}")
    adopt = events(items, "adopt", orphan)
    require(len(adopt) == 1, f"{c.role}: adopt events {adopt}")
    require(adopt[0]["data"]["new_ppid"] == server, f"{c.role}: adopt event {adopt[0]}")
    ppids = [p["ppid"] for p in records(items, orphan)]
    require(ppids and ppids[0] == result["old_ppid"] and ppids[-1] == server, f"ppids {ppids}")
    require(events(items, "reap", orphan), f"{c.role}: the server did not reap the orphan")
    return result


def check_lessons(c: Container) -> str:
    zombie = c.start_run("zombie", {"speed": 4})
    orphan = c.start_run("orphan", {"speed": 4})
    z = check_zombie(c, zombie)
    o = check_orphan(c, orphan)
    time.sleep(0.3)  # the server reaps what is left of both runs
    zombies = [p for p in c.processes() if p.state == "Z"]
    require(not zombies, f"{c.role}: zombies left in the container after both runs: {zombies}")
    c.zombie_run = zombie
    return (
        f"zombie {z['zombie_seconds']:.2f} s then reaped by join; orphan {o['orphan_pid']} "
        f"adopted {o['old_ppid']} -> {o['new_ppid']} (the server) and reaped; no Z left"
    )


def check_stop_mid_run(c: Container) -> str:
    run_id = c.start_run("join", {"speed": 0.5})
    c.wait_run(run_id, {"running"})
    deadline = time.monotonic() + 20
    while len(c.processes()) < 4:  # server (+ init), the lesson root, its children
        require(time.monotonic() < deadline, f"{c.role}: the run's children did not appear")
        time.sleep(0.1)
    before = c.processes()
    started = time.monotonic()
    docker("stop", "--time", str(STOP_TIMEOUT), c.id, timeout=STOP_TIMEOUT + 30)
    took = time.monotonic() - started
    state = c.inspect()["State"]
    require(not state["Running"], f"{c.role}: still running after docker stop")
    require(
        took < STOP_TIMEOUT - 2,
        f"{c.role}: docker stop took {took:.1f} s (the server did not end on SIGTERM)",
    )
    # 0: the server returned after its graceful shutdown. 143 (128 + SIGTERM): uvicorn re-raises
    # the SIGTERM it handled once shut down; as PID 1 the kernel ignores that, under --init it
    # ends the server and docker-init passes it on. 137 would be docker's SIGKILL at the timeout.
    require(state["ExitCode"] in (0, 143), f"{c.role}: exit code {state['ExitCode']} after SIGTERM")
    left = [p for p in before if alive(p)] + c.processes()
    require(not left, f"{c.role}: left on the host after docker stop: {left}")
    c.stopped_run = run_id
    return (
        f"{len(before)} processes mid-run; stopped in {took:.1f} s, "
        f"exit {state['ExitCode']}; none left on the host"
    )


def check_recording_survives(old: Container, image: str, session: str) -> str:
    """A new container on the same /data volume serves the old container's recordings."""
    zombie_run, stopped_run, saved = old.zombie_run, old.stopped_run, old.saved_recording
    require(zombie_run and stopped_run and saved, "the earlier checks on `plain` did not run")
    new = Container(image, session, "restarted", hardened=True, volume=old.volume)
    CONTAINERS.append(new)
    new.start()
    wait_healthy(new)
    check_token(new)  # a new token: the generated one is not kept on the volume
    again = new.recording(zombie_run)
    require(again == saved, f"zombie recording changed across the restart ({len(again)} bytes)")
    stopped = messages(new.recording(stopped_run))
    states = [m["state"] for m in stopped if m["type"] == "run"]
    require(states and states[-1] == "stopped", f"the run stopped by docker stop ended {states}")
    status, listed = new.api("GET", "/api/recordings")
    require(status == 200, f"GET /api/recordings: {status}")
    ids = {r["id"] for r in listed}
    require({zombie_run, stopped_run} <= ids, f"recordings listed: {sorted(ids)}")
    new.remove()
    return f"{len(saved)} bytes identical; the docker-stopped run's recording ends 'stopped'"


# A program of the user's own, multiprocessing as a student writes it: a child that waits.
USER_PROGRAM = """\
import time
from multiprocessing import Process


def child():
    time.sleep(3)


if __name__ == "__main__":
    p = Process(target=child)
    p.start()
    p.join()
"""
# The limits a run gets (app/confine.run_limits), as /proc/<pid>/limits names them.
RUN_LIMITS = ("Max address space", "Max file size", "Max open files")


def proc_limits(pid: int) -> dict[str, str]:
    """Soft limit by name, from /proc/<pid>/limits ("unlimited" or a number)."""
    out = {}
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines()[1:]:
        name = line[:26].strip()
        out[name] = line[26:].split()[0]
    return out


def check_user_program(c: Container) -> str:
    """Issue 9: a program of the user's own runs as the image's user, confined, without secrets."""
    body = {"program": {"files": {"main.py": USER_PROGRAM}, "entry": "main.py"}, "params": {}}
    status, run = c.api("POST", "/api/runs", body=body)
    if status in (400, 422) and "program" in json.dumps(run):
        raise SkipCheck(f"issue 9 not built in this image: POST /api/runs {{program}}: {status}")
    require(status == 201, f"{c.role}: POST /api/runs with a program: {status} {run}")
    deadline = time.monotonic() + 20
    program: list[HostProcess] = []
    while time.monotonic() < deadline and len(program) < 2:  # the program's root and its child
        program = [p for p in c.processes() if "workers.trace.script" in p.cmdline]
        time.sleep(0.05)
    require(len(program) >= 2, f"{c.role}: the program's processes never appeared: {program}")
    # Read once the child exists: the root confines itself before the program's code runs,
    # so by then both are as they will stay (the child sleeps 3 s).
    seen: dict[int, tuple[HostProcess, dict[str, str], bool]] = {}
    for p in program:
        try:
            limits = proc_limits(p.pid)
            environ = Path(f"/proc/{p.pid}/environ").read_bytes()
        except OSError:
            continue
        seen[p.pid] = (p, limits, b"PROCVIZ_TOKEN=" in environ)
    require(len(seen) >= 2, f"{c.role}: the program's processes ended too soon: {program}")
    ended = c.wait_run(str(run["id"]), ENDED)
    require(ended["state"] == "finished", f"{c.role}: program run {ended['state']}")
    wrong = [p for p, _, _ in seen.values() if set(p.uids) != {APP_UID}]
    require(not wrong, f"{c.role}: program processes not uid {APP_UID}: {wrong}")
    secret = [p for p, _, has in seen.values() if has]
    require(not secret, f"{c.role}: PROCVIZ_TOKEN in the program's environment: {secret}")
    # Confined: each of the run's limits tighter than the server's own (which has none of them).
    server = proc_limits(c.server().pid)

    def tighter(mine: str, theirs: str) -> bool:
        return mine.isdigit() and (not theirs.isdigit() or int(mine) < int(theirs))

    loose = {
        pid: [n for n in RUN_LIMITS if not tighter(limits.get(n, "?"), server.get(n, "?"))]
        for pid, (_, limits, _) in seen.items()
    }
    require(
        not any(loose.values()),
        f"{c.role}: limits of the program not tighter than the server's {server}: {loose}",
    )
    (_, first, _) = next(iter(seen.values()))
    shown = ", ".join(f"{n.removeprefix('Max ')} {first[n]}" for n in RUN_LIMITS)
    return (
        f"{len(seen)} processes uid {APP_UID}, no PROCVIZ_TOKEN in their environment; "
        f"limits in each: {shown}"
    )


CONTAINERS: list[Container] = []


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("image")
    image = parser.parse_args().image
    session = uuid.uuid4().hex[:8]
    volume = f"procviz-check-{session}"
    report = Report()
    started = time.monotonic()
    try:
        docker("volume", "create", "--label", f"{LABEL}={session}", volume)
        plain = Container(image, session, "plain", hardened=True, volume=volume)
        init = Container(image, session, "init", init=True)
        CONTAINERS.extend([plain, init])
        both = [plain, init]
        for c in both:
            c.start()
        ok = {c.role: True for c in both}

        def each(name: str, check: Callable[[Container], str | None], gate: bool = True) -> None:
            """One check on both containers at once (those still fit to be checked).

            A failed check that ``gate``s leaves its container out of the later checks.
            """
            live = [c for c in both if ok[c.role]]
            with ThreadPoolExecutor(len(live) or 1) as pool:
                rows = list(
                    pool.map(lambda c: evaluate(f"{name} [{c.role}]", lambda: check(c)), live)
                )
            for c, row in zip(live, rows, strict=True):
                passed = report.add(row)
                if gate:
                    ok[c.role] &= passed

        each("serves /healthz, Docker HEALTHCHECK healthy", wait_healthy)
        each("runs as uid 10001", check_user)
        each("token printed in the logs and required", check_token)
        each("zombie and orphan lessons as on the host", check_lessons)
        each("a program of the user's own as uid 10001 with limits", check_user_program, False)
        for c in both:
            if ok[c.role] and c.zombie_run:
                c.saved_recording = c.recording(c.zombie_run)
        each("docker stop mid-run leaves no process", check_stop_mid_run)
        if ok["plain"]:
            report.run(
                "recording survives in the /data volume across a restart",
                lambda: check_recording_survives(plain, image, session),
            )
    finally:
        for c in CONTAINERS:
            c.remove()
        docker("volume", "rm", "--force", volume, check=False)
    total = time.monotonic() - started
    passed = sum(1 for r in report.rows if r[0] == "PASS")
    skipped = sum(1 for r in report.rows if r[0] == "SKIP")
    print(
        f"[check] {passed} passed, {skipped} skipped, {len(report.failed)} failed in {total:.1f} s",
        flush=True,
    )
    for name in report.failed:
        print(f"[check] FAILED: {name}", file=sys.stderr)
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
