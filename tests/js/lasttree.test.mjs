// RunModel (static/js/state.js): an ended run keeps its last tree; queue capacities.

import assert from "node:assert/strict";
import { test } from "node:test";

import { RunModel, SEM_VALUE_MAX, queueCapacity } from "../../static/js/state.js";
import { SERVER_PID, delta, event, history, proc, snapshot } from "./helpers.mjs";

function model(messages) {
  const m = new RunModel(SERVER_PID);
  for (const msg of messages) m.apply(msg);
  return m;
}

const runMsg = (t, state, extra = {}) => ({ type: "run", run: "r", t, state, started: 1.0, ...extra });
const pids = (m) => m.lastTree().map((e) => e.proc.pid).sort((a, b) => a - b);

// A root (201) with an early child (210, gone at 1.5) and two children gone just before the result.
function liveRun() {
  return [
    runMsg(1.0, "running"),
    snapshot(1.0, [proc(201, SERVER_PID, "sleeping", { role: "root" }), proc(210, 201)]),
    delta(1.5, [], [210]),
    event(210, "reap", 1.5, { exitcode: 0 }),
    delta(5.0, [proc(211, 201), proc(212, 201)], [], 3),
    event(211, "exit", 7.99, { exitcode: 0 }),
    event(212, "exit", 7.99, { exitcode: 1 }),
    delta(8.0, [], [211, 212], 4),
    event(211, "reap", 8.0, { exitcode: 0 }),
    event(212, "reap", 8.0, { exitcode: 1 }),
    event(201, "result", 8.01, { sold: 2 }),
    delta(8.2, [], [201], 5),
  ];
}

test("a run going on has no last tree: its nodes are the live ones", () => {
  const m = model(liveRun());
  assert.deepEqual(m.lastTree(), []);
});

test("an ended run keeps the processes there were at the result, with their exit codes", () => {
  const m = model([...liveRun(), runMsg(8.3, "finished", { ended: 8.3 })]);
  // 210 ended long before the result: not part of the last tree.
  assert.deepEqual(pids(m), [201, 211, 212]);
  const byPid = new Map(m.lastTree().map((e) => [e.proc.pid, e]));
  assert.equal(byPid.get(212).exitcode, 1);
  assert.equal(byPid.get(211).proc.ppid, 201);
  // Ghosts fade and are pruned; the last tree is not.
  m.prune(performance.now() + 60_000);
  assert.equal(m.ghosts.size, 0);
  assert.deepEqual(pids(m), [201, 211, 212]);
});

test("a run opened after it ended draws its last tree from the history's spawn events", () => {
  const spawns = [
    event(201, "spawn", 1.0, { ppid: 50, label: "MainProcess", role: "root", create_time: 0.9 }),
    event(211, "spawn", 1.1, { ppid: 201, label: "Process-1", role: "child", create_time: 1.05 }),
    event(212, "spawn", 1.2, { ppid: 201, label: "Process-2", role: "child", create_time: 1.15 }),
  ];
  const m = model([
    runMsg(9.0, "finished", { ended: 8.3, result: { sold: 2 } }),
    snapshot(9.0, []),
    history(9.0, [
      ...spawns,
      event(211, "exit", 7.99, { exitcode: 0 }),
      event(211, "reap", 8.0, { exitcode: 0 }),
      event(212, "exit", 7.99, { exitcode: -15 }),
      event(212, "reap", 8.0, { exitcode: -15 }),
      event(201, "result", 8.01, { sold: 2 }),
      event(201, "exit", 8.1, { exitcode: 0 }),
      event(201, "reap", 8.1, { exitcode: 0 }),
    ]),
  ]);
  assert.equal(m.processes.size, 0);
  assert.deepEqual(pids(m), [201, 211, 212]);
  const child = m.lastTree().find((e) => e.proc.pid === 212);
  assert.deepEqual([child.proc.ppid, child.proc.label, child.exitcode], [201, "Process-2", -15]);
});

test("the last tree shows an orphan under the parent that adopted it", () => {
  const m = model([
    snapshot(1.0, [proc(201, SERVER_PID), proc(211, 201)]),
    event(211, "adopt", 2.0, { old_ppid: 201, new_ppid: SERVER_PID }),
    delta(3.0, [], [201, 211]),
    runMsg(3.1, "finished", { ended: 3.1 }),
  ]);
  assert.deepEqual(pids(m), [201, 211]);
  assert.equal(m.lastTree().find((e) => e.proc.pid === 211).proc.ppid, SERVER_PID);
});

test("a run stopped before any result keeps the tree it had when it ended", () => {
  const m = model([
    snapshot(1.0, [proc(201, SERVER_PID), proc(211, 201)]),
    delta(4.0, [], [201, 211]),
    runMsg(4.0, "stopped", { ended: 4.0 }),
  ]);
  assert.deepEqual(pids(m), [201, 211]);
});

test("a reset forgets the last tree", () => {
  const m = model([...liveRun(), runMsg(8.3, "finished", { ended: 8.3 })]);
  m.reset();
  assert.deepEqual(m.lastTree(), []);
  assert.equal(m.records.size, 0);
});

test("an unbounded multiprocessing.Queue() has no capacity, not 2147483647", () => {
  assert.equal(queueCapacity(SEM_VALUE_MAX), 0);
  assert.equal(queueCapacity(4), 4);
  assert.equal(queueCapacity(0), 0);
  assert.equal(queueCapacity(undefined), 0);
  const m = model([
    event(201, "queue", 1.0, { name: "sold", depth: 1, maxsize: SEM_VALUE_MAX }),
    event(201, "queue", 1.1, { name: "q", depth: 4, maxsize: 4 }),
  ]);
  assert.equal(m.queues.get("sold").maxsize, 0);
  assert.equal(m.queues.get("q").maxsize, 4);
});
