"""The run manager: start a lesson as its own process tree, follow it, stop it.

Each run's root is a fresh interpreter (``python -m workers.trace.script``) in its own
session and process group (and cgroup, and unprivileged user, where the OS gives
us those: ``app.confine``); the server never forks its threaded self. If the
server dies, the keeper (``app.keeper``) kills what is left of every run.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import workers
from app.channel import open_channel
from app.confine import (
    CODE_PREFIX,
    TASKS_PER_PROCESS,
    TASKS_SLACK,
    Cgroup,
    ConfinementError,
    Runtime,
    RunUser,
    clean_env,
    hand_over,
    remove_empty_cgroups,
    run_limits,
    runtime_for,
)
from app.fanout import Publisher
from app.handle import ProcessHandle
from app.hub import Hub
from app.keeper import Keeper
from app.lobby import Lobby
from app.procfs import Reader, default_reader
from app.programs import Program, validate_params
from app.recording import (
    Recorder,
    close_interrupted,
    complete_size,
    prune,
    recordings_dir,
    summarize,
)
from app.records import Event, ProcessRecord
from app.settings import Settings
from app.states import RunState, check_transition
from app.watcher import Limits, RunWatcher
from workers import catalog
from workers.trace import step
from workers.trace.events import ENV_CHANNEL
from workers.trace.script import ENV_LIMITS

WORKERS_ROOT = Path(workers.__file__).resolve().parent.parent
BOOT_DIR = WORKERS_ROOT / "workers" / "trace" / "boot"
# A run's working directory: procviz-run-SERVERPID-RUNID-xxxx in the temporary directory.
RUNDIR_PREFIX = "procviz-run-"


class LessonNotFound(LookupError):
    pass


class TooManyRuns(RuntimeError):
    pass


class RunNotFound(LookupError):
    pass


class NotAMember(LookupError):
    pass


class RunEnded(RuntimeError):
    pass


class NotStepping(RuntimeError):
    pass


def gate(run: Run, pid: int) -> str:
    assert run.workdir is not None
    return step.gate_path(str(run.workdir), pid)


@dataclass
class Run:
    id: str
    lesson: str | None  # None: a program of the user's own
    params: dict[str, Any]
    hub: Hub
    recorder: Recorder
    program: Program | None = None
    state: RunState = RunState.STARTING
    started: float = field(default_factory=time.time)
    ended: float | None = None
    result: dict[str, Any] | None = None
    returncode: int | None = None
    stop_reason: str | None = None
    watcher: RunWatcher | None = None
    workdir: Path | None = None
    cgroup: Cgroup | None = None
    frozen: bool = False
    breakpoints: list[tuple[str, int]] = field(default_factory=list)  # step mode
    expiry_extended: float = 0.0  # seconds of frozen time added to its maximum duration
    # The maximum duration's timer: cancelled at the end, or it would hold the run (its hub,
    # its watcher) in memory for the whole duration after it ended.
    expiry: asyncio.TimerHandle | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "lesson": self.lesson,
            "params": self.params,
            "state": str(self.state),
            "started": self.started,
            "ended": self.ended,
            "result": self.result,
            "returncode": self.returncode,
            "stop_reason": self.stop_reason,
            "program": self.program.public() if self.program else None,
            "frozen": self.frozen,
            "breakpoints": [{"file": f, "line": n} for f, n in self.breakpoints],
            "frozen_seconds": round(self.watcher.frozen_total(), 3) if self.watcher else 0.0,
        }

    def set_state(self, state: RunState) -> None:
        self.state = check_transition(self.state, state)
        self.announce()

    def announce(self) -> None:
        """Tell every viewer the run's state (and who the server is: orphans' adopter)."""
        fields = self.public()
        del fields["id"]
        self.hub.run_state(**fields, server_pid=os.getpid())


class _LoopSink:
    """Carries a watcher thread's output onto the event loop, one hop per loop iteration."""

    def __init__(self, manager: RunManager, run: Run, loop: asyncio.AbstractEventLoop) -> None:
        self.manager, self.run, self.loop = manager, run, loop
        self.batch: list[tuple[Callable[..., None], tuple[Any, ...]]] = []

    def frame(self, changed: list[ProcessRecord], removed: list[int]) -> None:
        self.batch.append((self.run.hub.frame, (changed, removed)))

    def event(self, event: Event) -> None:
        self.batch.append((self.manager._on_event, (self.run, event)))

    def ended(self, returncode: int | None) -> None:
        self.batch.append((self.manager._on_ended, (self.run, returncode)))

    def flush(self) -> None:
        if self.batch:
            batch, self.batch = self.batch, []
            self.loop.call_soon_threadsafe(_deliver, batch)


def _deliver(batch: list[tuple[Callable[..., None], tuple[Any, ...]]]) -> None:
    for fn, args in batch:
        fn(*args)


class RunObserver(Protocol):
    """Told of each run's start, events and end, on the event loop (app.predictions)."""

    def started(self, run: Run) -> None: ...

    def event(self, run: Run, event: Event) -> None: ...

    def ended(self, run: Run) -> None: ...


class RunManager:
    def __init__(
        self, settings: Settings, reader: Reader | None = None, publisher: Publisher | None = None
    ) -> None:
        self.settings = settings
        self.publisher = publisher  # to Redis, for viewer replicas (PROCVIZ_REDIS_URL)
        self.reader = reader or default_reader()
        self.runs: dict[str, Run] = {}
        self.lobby = Lobby()
        self.observers: list[RunObserver] = []
        self.keeper = Keeper()
        self.runtime: Runtime | None = None
        remove_leftovers()
        close_interrupted(recordings_dir(settings.data_dir))

    @property
    def active(self) -> list[Run]:
        return [r for r in self.runs.values() if not r.state.ended]

    def get(self, run_id: str) -> Run:
        try:
            return self.runs[run_id]
        except KeyError:
            raise RunNotFound(run_id) from None

    async def create(self, lesson_id: str, raw_params: dict[str, Any] | None) -> Run:
        entry = catalog.get(lesson_id)
        if entry is None:
            raise LessonNotFound(lesson_id)
        params = entry.lesson.validate(raw_params)  # raises ParamError, naming the field
        # The lesson's own parameters are written into its code: viewers see what ran.
        program = Program(entry=entry.entry, files=entry.program_files(params))
        return await self._start(lesson_id, params, program, _traced(program, params))

    async def create_program(
        self, program: Program, raw_params: dict[str, Any] | None, lesson: str | None = None
    ) -> Run:
        """A program of the user's own (``lesson``: the saved lesson it is), traced with no
        annotation (``workers.trace``)."""
        params = validate_params(raw_params)
        return await self._start(lesson, params, program, _traced(program, params))

    async def _start(
        self, lesson: str | None, params: dict[str, Any], program: Program | None, argv: list[str]
    ) -> Run:
        if len(self.active) >= self.settings.max_runs:
            raise TooManyRuns(
                f"{len(self.active)} runs are active; the cap is {self.settings.max_runs}"
            )
        run_id = time.strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)
        directory = recordings_dir(self.settings.data_dir)
        recorder = Recorder(directory / f"{run_id}.jsonl")
        channel = self.publisher.channel(run_id, recorder) if self.publisher else None
        hub = Hub(run_id, channel or recorder)  # a channel records, and publishes the same
        if channel is not None:
            channel.bind(hub)
        run = Run(run_id, lesson, params, hub, recorder, program=program)
        self.runs[run_id] = run
        run.announce()
        self._flush_every_second(run)
        try:
            self._launch(run, asyncio.get_running_loop(), argv)
        except (OSError, ConfinementError) as exc:
            run.hub.event(Event(pid=0, kind="stderr", data={"line": f"could not start: {exc}"}))
            self._finish(run, RunState.FAILED)
            return run
        run.set_state(RunState.RUNNING)
        for observer in self.observers:
            observer.started(run)
        current = {
            "run": run.id,
            "lesson": run.lesson,
            "params": run.params,
            "state": str(run.state),
        }
        await self.lobby.set(current)
        if self.publisher is not None:
            self.publisher.lobby(current)
        return run

    def _launch(self, run: Run, loop: asyncio.AbstractEventLoop, argv: list[str]) -> None:
        s = self.settings
        run.workdir = Path(tempfile.mkdtemp(prefix=f"{RUNDIR_PREFIX}{os.getpid()}-{run.id}-"))
        sock_path = run.workdir / "events.sock"
        sock = open_channel(sock_path)
        user = self._run_user()
        runtime = self._runtime(user)
        boot = runtime.code / BOOT_DIR.relative_to(WORKERS_ROOT)
        cwd = run.workdir
        if run.program is not None and run.program.cwd is not None:
            cwd = run.program.cwd
        elif run.program is not None:
            cwd = run.workdir / "program"
            cwd.mkdir()
            run.program.write(cwd)
        run.cgroup = Cgroup.create(
            f"procviz-{run.id}", s.max_processes * TASKS_PER_PROCESS + TASKS_SLACK
        )
        env = {
            **clean_env(dict(os.environ), s.pass_env),
            ENV_CHANNEL: str(sock_path),
            step.ENV_RUN_DIR: str(run.workdir),
            **({step.ENV_STEP: "1"} if run.params.get("step") else {}),
            ENV_LIMITS: json.dumps(run_limits(s.max_processes, run.cgroup is not None)),
            "HOME": str(run.workdir),
            # The bootstrap first: every interpreter of the run loads the tracer.
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(boot), str(runtime.code), os.environ.get("PYTHONPATH")) if p
            ),
            "PYTHONUNBUFFERED": "1",
        }
        as_user: dict[str, Any] = {}
        if user is not None:
            hand_over(run.workdir, user)
            as_user = {"user": user.uid, "group": user.gid, "extra_groups": []}
        popen = subprocess.Popen(
            [str(runtime.interpreter), *argv],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env=env,
            start_new_session=True,  # its own session and process group
            **as_user,
        )
        if run.cgroup is not None and not run.cgroup.add(popen.pid):
            run.cgroup = None  # before it forks (it is still importing), or not at all
        self.keeper.track(popen.pid, run.cgroup.path if run.cgroup else None)
        limits = Limits(
            s.sample_period, s.scan_period, s.max_processes, s.stop_grace, s.stall_seconds
        )
        # Each watcher thread reads through a reader of its own (it holds open files).
        run.watcher = RunWatcher(
            popen,
            sock,
            default_reader(),
            _LoopSink(self, run, loop),
            limits,
            extra_members=run.cgroup.pids if run.cgroup else None,
        )
        run.watcher.start()
        run.expiry = loop.call_later(s.max_duration, self._expire, run)

    def _run_user(self) -> RunUser | None:
        """Who the run executes as (None: as the server)."""
        name = self.settings.run_user
        return RunUser.named(name) if name is not None else None

    def _runtime(self, user: RunUser | None) -> Runtime:
        """The interpreter and code a run executes, found once (see ``runtime_for``)."""
        if self.runtime is None:
            self.runtime = runtime_for(user, Path(sys.executable), WORKERS_ROOT)
        return self.runtime

    def _flush_every_second(self, run: Run) -> None:
        """A crash loses at most the last second of a recording."""
        run.recorder.flush()
        if not run.state.ended:
            asyncio.get_running_loop().call_later(1.0, self._flush_every_second, run)

    def _expire(self, run: Run) -> None:
        if run.state.ended or run.watcher is None:
            return
        # Frozen time does not count, up to a cap of its own: a forgotten freeze still ends.
        owed = min(run.watcher.frozen_total(), self.settings.max_frozen) - run.expiry_extended
        if owed > 0.5:
            run.expiry_extended += owed
            run.expiry = asyncio.get_running_loop().call_later(owed, self._expire, run)
            return
        reason = f"the run reached the maximum duration of {self.settings.max_duration:g} s"
        run.hub.event(
            Event(
                pid=run.watcher.root_pid,
                kind="limit",
                data={"reason": reason, "cap": "max_duration"},
            )
        )
        self.stop(run.id, "max_duration")

    def _on_event(self, run: Run, event: Event) -> None:
        if event.kind == "result" and run.result is None:
            run.result = event.data
        if event.kind == "limit" and run.stop_reason is None:
            run.stop_reason = str(event.data.get("cap", "limit"))
        run.hub.event(event)
        for observer in self.observers:
            observer.event(run, event)

    def _on_ended(self, run: Run, returncode: int | None) -> None:
        run.returncode = returncode
        if run.stop_reason is not None:
            state = RunState.STOPPED
        elif returncode == 0:
            state = RunState.FINISHED
        else:
            state = RunState.FAILED
        self._finish(run, state)

    def _finish(self, run: Run, state: RunState) -> None:
        run.ended = time.time()
        for observer in self.observers:
            observer.ended(run)
        run.set_state(state)
        run.recorder.close()
        run.hub.release(run.recorder.path)  # its history now lives on disk only
        if run.expiry is not None:
            run.expiry.cancel()
        if run.watcher is not None:
            self.keeper.forget(run.watcher.root_pid)
        if run.cgroup is not None:
            run.cgroup.remove()
        if run.workdir is not None:
            shutil.rmtree(run.workdir, ignore_errors=True)
        active = [r.recorder.path for r in self.active]
        prune(recordings_dir(self.settings.data_dir), self.settings.max_recordings, active)
        self._forget_old_runs()
        run.done.set()

    def _forget_old_runs(self) -> None:
        """Keep at most ``max_recordings`` ended runs in memory; the rest live on disk."""
        ended = [r for r in self.runs.values() if r.state.ended]
        for old in ended[: max(0, len(ended) - self.settings.max_recordings)]:
            del self.runs[old.id]

    def freeze(self, run_id: str, frozen: bool) -> Run:
        """Freeze the whole run (SIGSTOP to every process) or thaw it; clocks are not faked."""
        run = self.get(run_id)
        if run.state.ended or run.watcher is None:
            raise RunEnded(f"run {run_id} has already ended ({run.state})")
        run.frozen = frozen
        run.watcher.request_freeze(frozen)
        run.announce()
        return run

    def step(self, run_id: str, pid: int | None, mode: str) -> list[int]:
        """Step mode: let one process (or every one) go on, by ``line``, ``event`` or ``run``.

        The word reaches each process's gate (``workers.trace.step``); the PIDs it reached.
        """
        run = self._stepping(run_id)
        pids = [pid] if pid is not None else self._gated(run)
        if pid is not None and (run.watcher is None or pid not in run.watcher.sampler.members):
            raise NotAMember(f"process {pid} is not a live process of run {run_id}")
        word = {"mode": mode, "breakpoints": [list(b) for b in run.breakpoints]}
        reached = [p for p in pids if self._tell(run, p, word)]
        if pid is not None and not reached:
            raise NotAMember(f"process {pid} of run {run_id} is not traced (or has gone)")
        return reached

    def set_breakpoints(self, run_id: str, lines: list[tuple[str, int]]) -> Run:
        """Lines where every process in ``run`` mode holds; running processes learn at once."""
        run = self._stepping(run_id)
        run.breakpoints = list(dict.fromkeys(lines))
        for pid in self._gated(run):
            self._tell(run, pid, {"breakpoints": [list(b) for b in run.breakpoints]})
        run.announce()
        return run

    def _stepping(self, run_id: str) -> Run:
        run = self.get(run_id)
        if run.state.ended or run.workdir is None:
            raise RunEnded(f"run {run_id} has already ended ({run.state})")
        if not run.params.get("step"):
            raise NotStepping(f"run {run_id} was not started in step mode (params.step)")
        return run

    def _gated(self, run: Run) -> list[int]:
        members = run.watcher.sampler.members if run.watcher else {}
        return [pid for pid in list(members) if run.workdir and Path(gate(run, pid)).exists()]

    def _tell(self, run: Run, pid: int, word: dict[str, Any]) -> bool:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.setblocking(False)  # a process that reads no gate (blocked) never stalls us
            try:
                sock.sendto(json.dumps(word).encode(), gate(run, pid))
            except OSError:  # no gate (not traced, gone), or its queue is full
                return False
        return True

    def stop(self, run_id: str, reason: str = "requested") -> Run:
        run = self.get(run_id)
        if run.state.ended:
            raise RunEnded(f"run {run_id} has already ended ({run.state})")
        if run.stop_reason is None:
            run.stop_reason = reason
        if run.watcher is not None:
            run.watcher.request_stop(reason)
        return run

    def signal(self, run_id: str, pid: int, sig: signal.Signals) -> None:
        run = self.get(run_id)
        watcher = run.watcher
        member = watcher.sampler.members.get(pid) if watcher and not run.state.ended else None
        if watcher is None or member is None:
            raise NotAMember(f"process {pid} is not a live process of run {run_id}")
        handle = ProcessHandle.open(self.reader, pid, member.create_time)
        self.reader.forget(pid)
        try:
            if handle is None or not handle.signal(sig):
                raise NotAMember(f"process {pid} of run {run_id} has already gone")
        finally:
            if handle is not None:
                handle.close()
        watcher.note_signal(pid, sig.name)

    def process(self, run_id: str, pid: int) -> dict[str, Any]:
        """One live process of a run: its latest record and its command line."""
        run = self.get(run_id)
        record = run.hub.processes.get(pid)
        if record is None:
            raise NotAMember(f"process {pid} is not a live process of run {run_id}")
        st = self.reader.read(pid)
        cmdline = self.reader.cmdline(pid)
        self.reader.forget(pid)
        if st is None or st.create_time != record["create_time"]:
            raise NotAMember(f"process {pid} of run {run_id} has already gone")
        return {**record, "cmdline": cmdline}

    def public(self, run_id: str) -> dict[str, Any]:
        """A run of this server, or one an earlier server recorded in the data directory."""
        run = self.runs.get(run_id)
        if run is not None:
            return run.public()
        summary = summarize(self.recording(run_id))
        if summary is None:
            raise RunNotFound(run_id)
        fields = ("id", "lesson", "params", "state", "started", "ended", "result")
        return {k: summary[k] for k in fields} | {"returncode": None, "stop_reason": None}

    def recording(self, run_id: str) -> Path:
        run = self.runs.get(run_id)
        if run is not None:
            run.recorder.flush()
            return run.recorder.path
        path = recordings_dir(self.settings.data_dir) / f"{run_id}.jsonl"
        try:
            if run_id.replace("-", "").isalnum() and path.is_file():
                return path
        except OSError:  # ENAMETOOLONG and the like: no such recording either
            pass
        raise RunNotFound(run_id)

    def recording_extent(self, run_id: str) -> tuple[Path, int]:
        """The recording and how much of it to send: up to its last complete line, even
        while the run goes on writing (a consistent prefix)."""
        path = self.recording(run_id)
        try:
            return path, complete_size(path)
        except OSError:  # pruned meanwhile (an ended run's)
            raise RunNotFound(run_id) from None

    async def shutdown(self, timeout: float = 10.0) -> None:
        """Stop every active run and wait until none of their processes remain."""
        active = self.active
        for run in active:
            self.stop(run.id, "server shutdown")
        if active:
            await asyncio.wait(
                [asyncio.create_task(r.done.wait()) for r in active], timeout=timeout
            )
        self.keeper.close()
        if self.runtime is not None and self.runtime.copy is not None:
            shutil.rmtree(self.runtime.copy, ignore_errors=True)


def _traced(program: Program, params: dict[str, Any]) -> list[str]:
    """The interpreter's arguments that run ``program`` under the tracer."""
    argv = ["-m", "workers.trace.script", "--speed", str(params["speed"])]
    if params["start_method"] is not None:
        argv += ["--start-method", params["start_method"]]
    return [*argv, "--", program.entry, *program.argv]


def remove_leftovers() -> None:
    """Run directories and cgroups of servers that died without cleaning up after them."""
    for prefix in (RUNDIR_PREFIX, CODE_PREFIX):
        for path in Path(tempfile.gettempdir()).glob(f"{prefix}*-*"):
            server_pid = path.name.removeprefix(prefix).split("-", 1)[0]
            if server_pid.isdigit() and not Path(f"/proc/{server_pid}").exists():
                shutil.rmtree(path, ignore_errors=True)
    remove_empty_cgroups("procviz-")
