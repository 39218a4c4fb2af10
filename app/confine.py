"""Containing a run: who it runs as, what it may use, and the cgroup that counts it.

What the OS enforces, not what the run promises:
- a server running as root starts every run as an unprivileged user (``nobody`` by
  default), so the run cannot touch the server's files and OS limits apply to it;
- a cgroup (v1 ``pids`` or a delegated v2 tree) caps the run's tasks (``pids.max``)
  and lists every process of the run, also one that left its session;
- resource limits (memory per process, file size, open files, and ``RLIMIT_NPROC``
  where no cgroup is available) are applied by the run's root before any lesson
  code runs (``workers.trace.script`` reads them from ``PROCVIZ_LIMITS``) and inherited.
"""

from __future__ import annotations

import os
import pwd
import shutil
import stat
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

CGROUP_V1_PIDS = Path("/sys/fs/cgroup/pids")
# A readable copy of the workers package: procviz-code-SERVERPID-xxxx in the temp dir.
CODE_PREFIX = "procviz-code-"
CGROUP_V2 = Path("/sys/fs/cgroup")
# The cgroup counts tasks (threads too): room for each process's helper threads
# (a Queue's feeder, a Pool's handlers), above the process cap the watcher enforces.
TASKS_PER_PROCESS = 4
TASKS_SLACK = 32


class ConfinementError(RuntimeError):
    """A run cannot be started confined as configured; the message says why and the fix."""


@dataclass(frozen=True)
class RunUser:
    name: str
    uid: int
    gid: int

    @classmethod
    def named(cls, name: str) -> RunUser:
        entry = pwd.getpwnam(name)
        return cls(entry.pw_name, entry.pw_uid, entry.pw_gid)


def run_limits(max_processes: int, cgroup: bool) -> dict[str, int]:
    """The resource limits a run's root applies to itself and its descendants."""
    limits = {
        "RLIMIT_AS": 4 << 30,  # 4 GiB of address space per process
        "RLIMIT_FSIZE": 256 << 20,  # no file larger than 256 MiB
        "RLIMIT_NOFILE": 1024,
    }
    if not cgroup and os.geteuid() != 0:
        # Per user, not per run, and threads count: a backstop above what the user
        # already runs (the server's own threads when runs share its user).
        limits["RLIMIT_NPROC"] = _tasks_of(os.geteuid()) + max_processes * TASKS_PER_PROCESS
    return limits


def _tasks_of(uid: int) -> int:
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    count += len(os.listdir(f"/proc/{entry.name}/task"))
            except OSError:
                continue
    return count


def reachable(path: Path, user: RunUser, executable: bool = False) -> bool:
    """Whether ``user`` can reach ``path`` (every directory searchable, the file readable),
    by the path as given (a symlink's own directories count) and by the file it names."""
    given = Path(os.path.abspath(path))
    real = Path(os.path.realpath(path))
    for directory in {*given.parents, *real.parents}:
        if not _allows(directory, user, stat.S_IXUSR):
            return False
    bits = stat.S_IRUSR | (stat.S_IXUSR if executable else 0)
    return _allows(real, user, bits)


def _allows(path: Path, user: RunUser, owner_bits: int) -> bool:
    try:
        st = path.stat()
    except OSError:
        return False
    if st.st_uid == user.uid:
        shift = 0
    elif st.st_gid == user.gid:
        shift = 3
    else:
        shift = 6
    want = owner_bits >> shift
    return st.st_mode & want == want


@dataclass(frozen=True)
class Runtime:
    """What a run executes: an interpreter, and the directory that holds ``workers``."""

    interpreter: Path
    code: Path
    copy: Path | None = None  # a copy of ours to remove at shutdown


def runtime_for(user: RunUser | None, interpreter: Path, code: Path) -> Runtime:
    """The server's own interpreter and code, if the run user can reach them.

    Otherwise (a checkout or a virtual environment under a private home, as /root): the
    base interpreter and a world-readable copy of the ``workers`` package, which needs
    nothing but the standard library. No run ever runs as a user it cannot serve.
    """
    if user is None:
        return Runtime(interpreter, code)
    base = Path(getattr(sys, "_base_executable", interpreter))
    exe = next((p for p in (interpreter, base) if reachable(p, user, executable=True)), None)
    if exe is None:
        raise ConfinementError(
            f"runs execute as the user {user.name!r}, who can execute neither {interpreter} "
            f"nor {base}: install Python where every user can (e.g. Debian's /usr/bin/python3), "
            "or set PROCVIZ_RUN_USER to a user who can"
        )
    if reachable(code / "workers" / "trace" / "script.py", user):
        return Runtime(exe, code)
    copy = Path(tempfile.mkdtemp(prefix=f"{CODE_PREFIX}{os.getpid()}-"))
    shutil.copytree(
        code / "workers", copy / "workers", ignore=shutil.ignore_patterns("__pycache__")
    )
    for parent, _dirs, files in os.walk(copy):
        os.chmod(parent, 0o755)
        for name in files:
            os.chmod(os.path.join(parent, name), 0o644)
    return Runtime(exe, copy, copy)


def hand_over(directory: Path, user: RunUser) -> None:
    """The run's working directory (its channel socket, a program's files) is the run's."""
    os.chown(directory, user.uid, user.gid)
    for parent, dirs, files in os.walk(directory):
        for name in dirs + files:
            os.chown(os.path.join(parent, name), user.uid, user.gid, follow_symlinks=False)


class Cgroup:
    """One run's cgroup: a cap on its tasks, and the list of its processes."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def create(cls, name: str, max_tasks: int) -> Cgroup | None:
        """A new cgroup under the first writable pids hierarchy, or None if there is none."""
        for parent in _pids_parents():
            path = parent / name
            try:
                path.mkdir()
            except OSError:
                continue
            try:
                (path / "pids.max").write_text(str(max_tasks))
            except OSError:
                path.rmdir()
                continue
            return cls(path)
        return None

    def add(self, pid: int) -> bool:
        try:
            (self.path / "cgroup.procs").write_text(str(pid))
        except OSError:
            return False
        return True

    def pids(self) -> list[int]:
        try:
            text = (self.path / "cgroup.procs").read_text()
        except OSError:
            return []
        return [int(line) for line in text.split()]

    def remove(self) -> None:
        """Once empty; a cgroup still holding a task stays (and says so by existing)."""
        try:
            self.path.rmdir()
        except OSError:
            pass


def _pids_parents() -> list[Path]:
    parents = []
    if (CGROUP_V1_PIDS / "cgroup.procs").exists():
        parents.append(CGROUP_V1_PIDS)
    own = _own_v2_cgroup()
    if own is not None:
        parents.append(own)
    return parents


def _own_v2_cgroup() -> Path | None:
    """Our own cgroup v2 directory, if the pids controller is delegated to its children."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith("0::"):
            own = CGROUP_V2 / line[3:].lstrip("/")
            try:
                if "pids" in (own / "cgroup.subtree_control").read_text().split():
                    return own
            except OSError:
                return None
    return None


def clean_env(base: dict[str, str], keep: tuple[str, ...]) -> dict[str, str]:
    """The environment a run gets: the server's, minus every ``PROCVIZ_*`` variable
    (the token is one) but those the operator passes on explicitly."""
    return {k: v for k, v in base.items() if not k.startswith("PROCVIZ_") or k in keep}


def remove_empty_cgroups(prefix: str) -> None:
    """Cgroups a dead server left (empty ones only: a live server's runs are in theirs)."""
    for parent in _pids_parents():
        for path in parent.glob(f"{prefix}*"):
            Cgroup(path).remove()
