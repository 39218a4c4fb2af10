"""Zero-config views in real Chromium: programs with no annotation, run by a real server;
the page shows who is blocked on what, who holds a lock, pool tasks, each process's line and
an error, from the tracer's events."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Watched
from tests.client import Server, log_of, presenter_token, start_program, wait_state

pytestmark = pytest.mark.browser

PROGRAMS = Path(__file__).resolve().parents[1] / "programs"
# The lecture's shape of a failing child, slowed so the sampler reads it: the child lives 0.3 s,
# then stays a zombie until the parent's join() 2 s later.
CHILD_ERROR = """from multiprocessing import Process
import time


def fail():
    time.sleep(0.3)
    raise ValueError('boom in the child')


if __name__ == '__main__':
    p = Process(target=fail)
    p.start()
    time.sleep(2)
    p.join()
    print('child exit code', p.exitcode)
"""
SLOW_POOL = """from multiprocessing import Pool
import time


def slow_square(x):
    time.sleep(0.5)
    return x * x


if __name__ == '__main__':
    pool = Pool(2)
    squares = pool.map(slow_square, range(6), chunksize=1)
    pool.close()
    pool.join()
    print('squares', squares)
"""


@pytest.fixture(scope="module")
def token(server: Server) -> str:
    return presenter_token(server, log_of(server))


def watch(page: Page, server: Server, token: str, source: str, speed: float = 1.0) -> str:
    r = start_program(server, {"main.py": source}, token, speed=speed)
    assert r.status_code == 201, r.text
    run_id = str(r.json()["id"])
    page.goto(f"{server.base}/runs/{run_id}")
    return run_id


def code_line(page: Page, pid: str) -> str:
    """The text of the code line the page marks as where process ``pid`` is."""
    line = page.locator(f'#code-body .at-line[data-pids~="{pid}"]')
    expect(line).to_have_count(1)
    return line.inner_text().replace("\n", " ")


def test_a_producer_on_a_full_queue_is_drawn_blocked_in_put(
    server: Server, token: str, watched: Watched
) -> None:
    page = watched.page
    # Queue(3), a consumer that sleeps first: the producer's fourth put() waits (3.3 s here).
    run_id = watch(page, server, token, (PROGRAMS / "bounded_queue.py").read_text(), speed=0.3)
    producer = page.locator('g.node[data-role="root"][data-blocked="put(q)"]')
    expect(producer).to_be_visible(timeout=20_000)
    # The OS says it sleeps; the page says on what.
    expect(producer).to_have_attribute("data-status", "sleeping")
    expect(producer).to_have_attribute("data-blocked-kind", "queue")
    expect(producer.locator(".note-blocked text")).to_have_text("blocked: put(q)")
    expect(page.locator('.queue[data-queue="q"]')).to_have_attribute("data-depth", "3")
    # Only the producer waits: the consumer sleeps in time.sleep(), blocked on nothing.
    consumer = page.locator('g.node[data-role="child"]')
    expect(consumer).to_have_count(1)
    assert consumer.get_attribute("data-blocked") is None
    # The code panel: each process at its own line.
    pid = producer.get_attribute("data-pid")
    assert pid
    assert "q.put(i)" in code_line(page, pid)
    assert "time.sleep(1)" in code_line(page, str(consumer.get_attribute("data-pid")))
    page.click("#lang-toggle")
    expect(producer.locator(".note-blocked text")).to_have_text("阻塞: put(q)")
    watched.screenshot("zero-config-blocked-put")
    wait_state(server, run_id, {"finished"})
    assert watched.errors == []


def test_a_lock_holder_is_marked_and_its_waiter_blocked_in_acquire(
    server: Server, token: str, watched: Watched
) -> None:
    page = watched.page
    watch(page, server, token, (PROGRAMS / "lock_holder.py").read_text(), speed=0.3)
    holder = page.locator('g.node[data-holds="lock"]')
    waiter = page.locator('g.node[data-blocked="acquire(lock)"]')
    expect(holder).to_be_visible(timeout=20_000)
    expect(waiter).to_be_visible(timeout=20_000)
    expect(holder).to_have_attribute("data-label", "Process-1")
    expect(waiter).to_have_attribute("data-label", "Process-2")
    expect(holder.locator(".note-holds text")).to_have_text("holds lock")
    assert holder.get_attribute("data-blocked") is None
    assert waiter.get_attribute("data-holds") is None
    assert "time.sleep(1)" in code_line(page, str(holder.get_attribute("data-pid")))
    assert "lock.acquire()" in code_line(page, str(waiter.get_attribute("data-pid")))
    # The holder lets go: the waiter takes the lock and is blocked no more.
    expect(waiter).to_have_count(0, timeout=20_000)
    assert watched.errors == []


def test_an_error_is_marked_on_its_line_and_its_node(
    server: Server, token: str, watched: Watched
) -> None:
    page = watched.page
    run_id = watch(page, server, token, CHILD_ERROR)
    line = page.locator('#code-body .error-line[data-error="ValueError"]')
    expect(line).to_be_visible(timeout=20_000)
    assert "raise ValueError('boom in the child')" in line.inner_text()
    expect(line.locator(".error-chip")).to_contain_text("ValueError")
    # Its node says so too, while it is there (a zombie until the join, then a fading ghost).
    expect(page.locator('g.node[data-error="ValueError"] .note-error text')).to_contain_text(
        "ValueError: boom in the child", timeout=5_000
    )
    assert wait_state(server, run_id, {"finished", "failed"})["state"] == "finished"
    # The mark stays after the process is gone: the class reads where it failed.
    expect(line).to_be_visible()
    assert watched.errors == []


def test_a_pool_shows_its_workers_and_task_counts(
    server: Server, token: str, watched: Watched
) -> None:
    page = watched.page
    run_id = watch(page, server, token, SLOW_POOL)
    expect(page.locator('g.node[data-role="pool-worker"]')).to_have_count(2, timeout=20_000)
    expect(page.locator("g.node[data-role='pool-worker'] .note-task text").first).to_have_text(
        "task: slow_square()"
    )
    pool = page.locator("#pools .pool")
    expect(pool).to_have_count(1)
    expect(pool).to_have_attribute("data-submitted", "6")
    wait_state(server, run_id, {"finished"})
    expect(pool).to_have_attribute("data-done", "6")
    expect(pool).to_have_attribute("data-running", "0")
    expect(pool.locator('[data-count="done"] b')).to_have_text("6")
    assert watched.errors == []
