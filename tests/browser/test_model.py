"""The page's run model and tree layout, fed protocol messages directly in real Chromium."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Watched
from tests.client import Server

pytestmark = pytest.mark.browser

SERVER_PID = 100


def proc(pid: int, ppid: int, status: str = "sleeping", **extra: Any) -> dict[str, Any]:
    return {
        "pid": pid,
        "ppid": ppid,
        "name": "python",
        "label": f"P{pid}",
        "status": status,
        "cpu_percent": 0.0,
        "rss": 1 << 20,
        "threads": 1,
        "create_time": extra.pop("create_time", 1000.0 + pid),
        "role": "child",
        "life": "exited" if status == "zombie" else "running",
        "exitcode": None,
        **extra,
    }


def feed(watched: Watched, server: Server, messages: list[Any], probe: str) -> Any:
    """Apply messages to a fresh RunModel in the page and return what the probe expression says.

    The string "reset" stands for a new connection: the page resets the model before its messages.
    """
    page = watched.page
    page.goto(server.base + "/")
    page.evaluate(
        """async ([messages, serverPid]) => {
             const { RunModel } = await import('/static/js/state.js');
             const m = new RunModel(serverPid);
             for (const msg of messages) msg === 'reset' ? m.reset() : m.apply(msg);
             window.__model = m;
           }""",
        [messages, SERVER_PID],
    )
    # The probe as an expression of its own: the page's CSP allows no eval of its own.
    return page.evaluate(f"(m => ({probe}))(window.__model)")


def event(pid: int, kind: str, t: float, history: bool = False, **data: Any) -> dict[str, Any]:
    msg = {"type": "event", "run": "r", "t": t, "pid": pid, "kind": kind, "data": data}
    if history:
        msg["history"] = True
    return msg


def test_model_shows_a_replayed_backlog_once(server: Server, watched: Watched) -> None:
    line = event(201, "stdout", 5.0, line="hello")
    messages = [
        {"type": "snapshot", "run": "r", "t": 4.0, "seq": 1, "processes": [proc(201, SERVER_PID)]},
        line,
        # A reconnect: the model starts again; fresh snapshot, then the history.
        "reset",
        {"type": "snapshot", "run": "r", "t": 6.0, "seq": 3, "processes": [proc(201, SERVER_PID)]},
        {**line, "history": True},
        event(201, "stdout", 6.5, line="after"),
    ]
    assert feed(watched, server, messages, "m.lines.map((l) => l.line)") == ["hello", "after"]
    assert watched.errors == []


def test_model_keeps_a_removed_process_as_a_ghost(server: Server, watched: Watched) -> None:
    messages = [
        {
            "type": "snapshot",
            "run": "r",
            "t": 1.0,
            "seq": 1,
            "processes": [proc(201, SERVER_PID), proc(202, 201, "zombie")],
        },
        {"type": "delta", "run": "r", "t": 1.1, "seq": 2, "changed": [], "removed": [202]},
    ]
    got = feed(
        watched,
        server,
        messages,
        "{live: [...m.processes.keys()], ghosts: [...m.ghosts.keys()], end: m.lives.get(202).end}",
    )
    assert got == {"live": [201], "ghosts": [202], "end": 1.1}


def test_model_moves_an_adopted_orphan_under_the_server(server: Server, watched: Watched) -> None:
    messages = [
        {
            "type": "snapshot",
            "run": "r",
            "t": 1.0,
            "seq": 1,
            "processes": [proc(201, SERVER_PID), proc(202, 201), proc(203, 202)],
        },
        {"type": "delta", "run": "r", "t": 1.2, "seq": 2, "changed": [], "removed": [202]},
        event(203, "adopt", 1.25, old_ppid=202, new_ppid=SERVER_PID),
    ]
    got = feed(
        watched, server, messages, "{ppid: m.processes.get(203).ppid, a: m.adoptions.get(203)}"
    )
    assert got["ppid"] == SERVER_PID
    assert got["a"]["old_ppid"] == 202 and got["a"]["new_ppid"] == SERVER_PID


def test_model_draws_a_process_known_only_from_its_events_on_the_timeline_only(
    server: Server, watched: Watched
) -> None:
    # Lived 5 ms: spawned and exited between two samples; the server never read a record of
    # it. Nodes come from records only, so it is on the timeline, with its exact times, only.
    messages = [
        {"type": "snapshot", "run": "r", "t": 1.0, "seq": 1, "processes": [proc(201, SERVER_PID)]},
        event(210, "spawn", 1.01, ppid=201, label="quick"),
        event(210, "exit", 1.015, exitcode=0),
    ]
    probe = (
        "{live: m.processes.get(210)?.exitcode, ghost: m.ghosts.get(210)?.proc.label,"
        " code: m.ghosts.get(210)?.proc.exitcode,"
        " life: [m.lives.get(210).start, m.lives.get(210).exit.t, m.lives.get(210).end]}"
    )
    got = feed(watched, server, messages, probe)
    assert got == {"live": None, "ghost": None, "code": None, "life": [1.01, 1.015, None]}
    got = feed(watched, server, [*messages, event(210, "reap", 1.02, exitcode=0)], probe)
    assert got == {"live": None, "ghost": None, "code": None, "life": [1.01, 1.015, 1.02]}


def test_model_keeps_an_exited_child_a_zombie_until_its_reap(
    server: Server, watched: Watched
) -> None:
    # The zombie lesson when the child exits before its first sample: spawn, exit, then the
    # records say it is a zombie (life "exited", its exit code) for 1.5 s, then the parent's
    # join() reaps it. No record of it comes after its reap (the server's order).
    child = proc(202, 201, "zombie", create_time=1.1, life="exited", exitcode=0)
    delta = {"type": "delta", "run": "r", "seq": 2, "removed": []}
    messages = [
        {"type": "snapshot", "run": "r", "t": 1.0, "seq": 1, "processes": [proc(201, SERVER_PID)]},
        event(202, "spawn", 1.05, ppid=201, label="Process-1"),
        event(202, "exit", 1.08, exitcode=0),
        {**delta, "t": 1.1, "changed": [child]},
        {**delta, "t": 1.2, "seq": 3, "changed": [{**child, "cpu_percent": 0.5}]},
        event(202, "reap", 2.6, exitcode=0),
    ]
    probe = """{
      node: m.processes.get(202) && [m.processes.get(202).status, m.processes.get(202).exitcode],
      ghost: m.ghosts.get(202) && [m.ghosts.get(202).proc.status, m.ghosts.get(202).proc.exitcode],
      segs: m.lives.get(202).segs.map((s) => [s.t, s.status]),
      exit: m.lives.get(202).exit, end: m.lives.get(202).end}"""
    before_reap = feed(watched, server, messages[:5], probe)
    assert before_reap == {
        "node": ["zombie", 0],
        "ghost": None,
        "segs": [[1.05, "unknown"], [1.08, "zombie"]],
        "exit": {"t": 1.08, "code": 0},
        "end": None,
    }
    after = feed(watched, server, messages, probe)
    assert after == {**before_reap, "node": None, "ghost": ["zombie", 0], "end": 2.6}


def test_layout_wraps_many_siblings_into_a_grid_without_overlap(
    server: Server, watched: Watched
) -> None:
    page = watched.page
    page.goto(server.base + "/")
    boxes = page.evaluate(
        """async () => {
             const { layoutTree } = await import('/static/js/layout.js');
             const rows = [{id: 'root'}, {id: 'a', parentId: 'root'}];
             for (let i = 0; i < 10; i++) rows.push({id: `leaf${i}`, parentId: 'a'});
             rows.push({id: 'b', parentId: 'root'}, {id: 'b1', parentId: 'b'});
             const root = d3.stratify()(rows);
             layoutTree(root, {colW: 100, rowH: 80, cols: 4});
             return root.descendants().map((n) => [n.id, n.x, n.y]);
           }"""
    )
    where = {name: (x, y) for name, x, y in boxes}
    leaves = [where[f"leaf{i}"] for i in range(10)]
    assert len({y for _, y in leaves}) == 3  # 10 leaves in rows of 4: 4 + 4 + 2
    for i, (name, x, y) in enumerate(boxes):
        for other, ox, oy in boxes[i + 1 :]:
            assert abs(x - ox) >= 100 or abs(y - oy) >= 80, (name, other)
    # Parent above its children, everywhere.
    assert all(where["a"][1] < y for _, y in leaves)
    assert where["b"][1] < where["b1"][1]


def test_model_trusts_the_adopt_event_over_a_stale_sample(server: Server, watched: Watched) -> None:
    messages = [
        {
            "type": "snapshot",
            "run": "r",
            "t": 1.0,
            "seq": 1,
            "processes": [proc(201, SERVER_PID), proc(203, 201)],
        },
        event(203, "adopt", 1.2, old_ppid=201, new_ppid=SERVER_PID),
        # Sampled just before the adoption, delivered just after it.
        {
            "type": "delta",
            "run": "r",
            "t": 1.21,
            "seq": 2,
            "changed": [proc(203, 201)],
            "removed": [],
        },
    ]
    assert feed(watched, server, messages, "m.processes.get(203).ppid") == SERVER_PID


def test_model_moves_a_ghost_that_was_adopted_on_its_way_out(
    server: Server, watched: Watched
) -> None:
    messages = [
        {
            "type": "snapshot",
            "run": "r",
            "t": 1.0,
            "seq": 1,
            "processes": [proc(201, SERVER_PID), proc(203, 201)],
        },
        {"type": "delta", "run": "r", "t": 1.1, "seq": 2, "changed": [], "removed": [201, 203]},
        event(203, "adopt", 1.12, old_ppid=201, new_ppid=SERVER_PID),
    ]
    assert feed(watched, server, messages, "m.ghosts.get(203).proc.ppid") == SERVER_PID


def test_model_draws_no_process_from_the_replayed_past(server: Server, watched: Watched) -> None:
    # Opening a finished run: an empty snapshot, then the backlog of what happened.
    messages = [
        {"type": "snapshot", "run": "r", "t": 9.0, "seq": 40, "processes": []},
        event(201, "spawn", 1.0, history=True, ppid=SERVER_PID, label="MainProcess"),
        event(201, "exit", 8.0, history=True, exitcode=0),
    ]
    got = feed(
        watched,
        server,
        messages,
        "{n: m.processes.size + m.ghosts.size, life: [m.lives.get(201).start, m.lives.get(201).exit.t]}",
    )
    assert got == {"n": 0, "life": [1.0, 8.0]}


# Lines go on screen with the page's next paint (frameclock.js): a test waits for them.
LINES_OF = """() => {
  window.__linesOf = (el, n) => new Promise((resolve, reject) => {
    const t0 = performance.now();
    const check = () => {
      const got = el.querySelectorAll('.line').length;
      if (got >= n) resolve();
      else if (performance.now() - t0 > 5000) reject(new Error(`${got} lines, not ${n}`));
      else requestAnimationFrame(check);
    };
    check();
  });
}"""


def test_console_names_a_line_printed_before_its_process_was_known(
    server: Server, watched: Watched
) -> None:
    page = watched.page
    page.goto(server.base + "/")
    page.evaluate(LINES_OF)
    tags = page.evaluate(
        """async () => {
             const { RunModel } = await import('/static/js/state.js');
             const { ConsoleView } = await import('/static/js/console.js');
             const el = document.createElement('div');
             document.body.append(el);
             const m = new RunModel(100);
             const view = new ConsoleView(el, document.createElement('span'), (p) => m.labelOf(p));
             m.on('line', (e) => view.add(e));
             m.on('label', (pid) => view.relabel(pid, m.labelOf(pid)));
             const ev = (kind, t, data) => ({type: 'event', run: 'r', t, pid: 7, kind, data});
             const lines = (n) => window.__linesOf(el, n);
             m.apply(ev('stdout', 1.0, {line: 'early'}));        // before anything names pid 7
             m.apply(ev('spawn', 1.1, {ppid: 100, label: 'Process-1'}));
             await lines(1);
             m.apply(ev('stdout', 1.2, {line: 'later'}));
             await lines(2);
             return [...el.querySelectorAll('.tag')].map((t) => t.textContent);
           }"""
    )
    assert tags == ["[7 Process-1]", "[7 Process-1]"]


def test_console_sets_stderr_apart(server: Server, watched: Watched) -> None:
    page = watched.page
    page.goto(server.base + "/")
    page.evaluate(LINES_OF)
    rows = page.evaluate(
        """async () => {
             const { ConsoleView } = await import('/static/js/console.js');
             const el = document.createElement('div');
             document.body.append(el);
             const view = new ConsoleView(el, document.createElement('span'));
             view.add({pid: 7, label: 'P', stream: 'stdout', line: 'fine', t: 1});
             view.add({pid: 7, label: 'P', stream: 'stderr', line: 'Traceback', t: 2});
             await window.__linesOf(el, 2);
             return [...el.querySelectorAll('.line')].map((row) => [
               row.dataset.stream, getComputedStyle(row.querySelector('.text')).fontStyle]);
           }"""
    )
    assert rows == [["stdout", "normal"], ["stderr", "italic"]]
