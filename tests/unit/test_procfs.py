from __future__ import annotations

import os
import subprocess
import sys
import time

import psutil

from app.procfs import ProcReader, PsutilReader, exitcode_from_wait_status

# A real line from /proc/PID/stat, with a name holding spaces and parentheses.
STAT = (
    b"4242 (my (odd) name) S 4241 4242 4242 0 -1 4194560 1000 0 0 0 "
    b"150 50 0 0 20 0 3 0 12345 123456789 2048 18446744073709551615 1 1 0 0 0 0 0 "
    b"16781312 2 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
)


def test_procreader_parse_reads_every_field_after_the_name() -> None:
    reader = ProcReader()
    st = reader.parse(4242, STAT)
    assert st is not None
    assert st.name == "my (odd) name"
    assert st.status == "sleeping"
    assert st.ppid == 4241
    assert st.session == 4242
    assert st.cpu_seconds == 200 / reader.ticks
    assert st.threads == 3
    assert st.rss == 2048 * reader.page
    assert st.create_time == round(reader.boot_time + 12345 / reader.ticks, 2)
    assert st.exitcode is None


def test_procreader_parse_reads_a_zombies_exit_status() -> None:
    zombie = STAT.replace(b") S ", b") Z ").replace(b" 0\n", b" 256\n")
    st = ProcReader().parse(4242, zombie)
    assert st is not None and st.status == "zombie" and st.exitcode == 1


def test_exitcode_from_wait_status_follows_multiprocessing() -> None:
    assert exitcode_from_wait_status(0) == 0
    assert exitcode_from_wait_status(3 << 8) == 3
    assert exitcode_from_wait_status(15) == -15


def test_procreader_agrees_with_psutil_on_a_live_process() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        time.sleep(0.2)
        ours, theirs = ProcReader().read(child.pid), PsutilReader().read(child.pid)
        assert ours is not None and theirs is not None
        assert (ours.ppid, ours.session, ours.threads, ours.name) == (
            theirs.ppid,
            theirs.session,
            theirs.threads,
            theirs.name,
        )
        assert ours.create_time == round(psutil.Process(child.pid).create_time(), 2)
        assert abs(ours.rss - theirs.rss) < 1 << 20
    finally:
        child.kill()
        child.wait()


def test_procreader_returns_none_for_a_vanished_process() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert ProcReader().read(child.pid) is None
    assert PsutilReader().read(child.pid) is None


def test_procreader_sees_a_zombie_and_its_exit_code() -> None:
    child = subprocess.Popen([sys.executable, "-c", "raise SystemExit(7)"])
    deadline = time.monotonic() + 10
    st = ProcReader().read(child.pid)
    while (st is None or st.status != "zombie") and time.monotonic() < deadline:
        time.sleep(0.02)
        st = ProcReader().read(child.pid)
    assert st is not None and st.status == "zombie" and st.exitcode == 7
    child.wait()


def test_session_members_finds_a_new_session_and_only_it() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", "import os,time; os.fork(); time.sleep(30)"], start_new_session=True
    )
    try:
        deadline = time.monotonic() + 10
        members: list[int] = []
        while len(members) < 2 and time.monotonic() < deadline:
            members = ProcReader().session_members(child.pid)
            time.sleep(0.05)
        assert child.pid in members and len(members) == 2
        assert os.getpid() not in members
        # Members already known are neither read nor returned: only the other one is.
        assert ProcReader().session_members(child.pid, known={child.pid}) == [
            m for m in members if m != child.pid
        ]
    finally:
        os.killpg(child.pid, 9)
        child.wait()
