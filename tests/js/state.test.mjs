// RunModel (static/js/state.js): nodes from records only, zombies from the record, reset().

import assert from "node:assert/strict";
import { test } from "node:test";

import { RunModel } from "../../static/js/state.js";
import { SERVER_PID, delta, event, history, proc, snapshot } from "./helpers.mjs";

function model(messages) {
  const m = new RunModel(SERVER_PID);
  for (const msg of messages) m.apply(msg);
  return m;
}

test("a spawn event alone draws no node; the first record does", () => {
  const m = model([snapshot(1.0, [proc(201, SERVER_PID)]), event(210, "spawn", 1.01, { ppid: 201, label: "quick" })]);
  assert.deepEqual([...m.processes.keys()], [201]);
  assert.equal(m.labelOf(210), "quick");
  assert.equal(m.lives.get(210).start, 1.01); // the timeline knows it started
  m.apply(delta(1.05, [proc(210, 201)]));
  assert.deepEqual([...m.processes.keys()], [201, 210]);
});

test("a process too brief to be read is on the timeline and never a node", () => {
  const m = model([
    snapshot(1.0, [proc(201, SERVER_PID)]),
    event(210, "spawn", 1.01, { ppid: 201, label: "quick" }),
    event(210, "exit", 1.015, { exitcode: 0 }),
    event(210, "reap", 1.02, { exitcode: 0 }),
  ]);
  assert.equal(m.processes.has(210), false);
  assert.equal(m.ghosts.has(210), false);
  const life = m.lives.get(210);
  assert.deepEqual([life.start, life.exit, life.end], [1.01, { t: 1.015, code: 0 }, 1.02]);
});

test("a zombie's state and exit code come from its record, not from the exit event", () => {
  const child = proc(202, 201, "sleeping", { create_time: 1.1 });
  const m = model([
    snapshot(1.0, [proc(201, SERVER_PID), child]),
    event(202, "exit", 1.5, { exitcode: 3 }),
  ]);
  // The exit event alone: the timeline has the moment, the node waits for the server's word.
  assert.equal(m.processes.get(202).life, "running");
  assert.equal(m.processes.get(202).exitcode, null);
  assert.deepEqual(m.lives.get(202).exit, { t: 1.5, code: 3 });
  m.apply(delta(1.55, [{ ...child, status: "zombie", life: "exited", exitcode: 3 }]));
  assert.equal(m.processes.get(202).life, "exited");
  assert.equal(m.processes.get(202).exitcode, 3);
  // Reaped: a fading ghost that keeps the code; no record of it comes after its reap.
  m.apply(event(202, "reap", 2.6, { exitcode: 3 }));
  assert.equal(m.processes.has(202), false);
  assert.equal(m.ghosts.get(202).exitcode, 3);
  assert.equal(m.lives.get(202).end, 2.6);
  const segs = m.lives.get(202).segs.map((s) => [s.t, s.status]);
  assert.deepEqual(segs, [[1.0, "sleeping"], [1.5, "zombie"]]);
});

test("a killed process's record says so: -9", () => {
  const m = model([snapshot(1.0, [proc(202, SERVER_PID, "zombie", { exitcode: -9 })])]);
  assert.equal(m.processes.get(202).exitcode, -9);
  assert.equal(m.processes.get(202).life, "exited");
});

test("a removed record leaves a ghost that fades, then is gone", () => {
  const m = model([snapshot(1.0, [proc(201, SERVER_PID), proc(202, 201)]), delta(1.1, [], [202])]);
  assert.deepEqual([...m.ghosts.keys()], [202]);
  assert.equal(m.lives.get(202).end, 1.1);
  assert.equal(m.prune(performance.now() + 10_000), true);
  assert.equal(m.ghosts.size, 0);
});

test("a snapshot without a process ends it", () => {
  const m = model([snapshot(1.0, [proc(201, SERVER_PID), proc(202, 201)]), snapshot(2.0, [proc(201, SERVER_PID)], 5)]);
  assert.deepEqual([...m.processes.keys()], [201]);
  assert.deepEqual([...m.ghosts.keys()], [202]);
});

test("the replayed past draws no process, only lifelines", () => {
  const m = model([
    snapshot(9.0, [], 40),
    history(9.0, [event(201, "spawn", 1.0, { ppid: SERVER_PID, label: "MainProcess" }), event(201, "exit", 8.0, { exitcode: 0 })]),
  ]);
  assert.equal(m.processes.size + m.ghosts.size, 0);
  assert.deepEqual([m.lives.get(201).start, m.lives.get(201).exit.t], [1.0, 8.0]);
});

test("reset() on a reconnect: each line is shown once", () => {
  const line = event(201, "stdout", 5.0, { line: "hello" });
  const m = new RunModel(SERVER_PID);
  const resets = [];
  m.on("reset", () => resets.push(m.lines.length));
  m.apply(snapshot(4.0, [proc(201, SERVER_PID)]));
  m.apply(line);
  // The connection drops; the new one sends a fresh snapshot, then the history.
  m.reset();
  m.apply(snapshot(6.0, [proc(201, SERVER_PID)], 3));
  m.apply(history(6.0, [line]));
  m.apply(event(201, "stdout", 6.5, { line: "after" }));
  assert.deepEqual(m.lines.map((l) => l.line), ["hello", "after"]);
  assert.deepEqual(resets, [0]); // emitted after emptying, so views clear what they show
  assert.equal(m.lines[0].history, true);
  // Listeners survive a reset.
  let n = 0;
  m.on("line", () => n++);
  m.reset();
  m.apply(line);
  assert.equal(n, 1);
});

test("reset() forgets every piece of the run", () => {
  const m = model([
    snapshot(1.0, [proc(201, SERVER_PID)]),
    event(201, "value", 1.1, { name: "money", value: 99 }),
    event(201, "queue", 1.2, { name: "q", depth: 2, maxsize: 3 }),
    event(201, "blocked", 1.3, { on: "q", op: "put", kind: "queue" }),
    { type: "run", run: "r", t: 1.4, state: "running" },
  ]);
  m.reset();
  assert.equal(m.processes.size + m.values.size + m.queues.size + m.lives.size, 0);
  assert.equal(m.run, null);
  assert.equal(m.activity.blocked.size, 0);
});

test("an adopted orphan hangs under its new parent, also against a stale sample", () => {
  const m = model([
    snapshot(1.0, [proc(201, SERVER_PID), proc(203, 201)]),
    event(203, "adopt", 1.2, { old_ppid: 201, new_ppid: SERVER_PID }),
    delta(1.21, [proc(203, 201)]),
  ]);
  assert.equal(m.processes.get(203).ppid, SERVER_PID);
});

test("a reused PID is another process: no adoption carried over", () => {
  const m = model([
    snapshot(1.0, [proc(203, 201)]),
    event(203, "adopt", 1.2, { old_ppid: 201, new_ppid: SERVER_PID }),
    delta(1.3, [], [203]),
    delta(5.0, [proc(203, 201, "running", { create_time: 2000 })], [], 3),
  ]);
  assert.equal(m.processes.get(203).ppid, 201);
  assert.equal(m.ghosts.has(203), false);
});

test("a pool worker's role is known from its spawn event before any record", () => {
  const m = model([event(301, "spawn", 1.0, { ppid: 201, label: "ForkPoolWorker-1", role: "pool-worker" })]);
  assert.equal(m.roleOf(301), "pool-worker");
  m.apply(snapshot(1.1, [proc(301, 201, "sleeping", { role: "pool-worker" })]));
  assert.equal(m.roleOf(301), "pool-worker");
});

test("beside a node: the variables its process changed or holds a copy of unlike another's", () => {
  const m = model([
    snapshot(1.0, [proc(201, SERVER_PID), proc(202, 201)]),
    event(201, "value", 1.01, { name: "money", value: 1000 }),
    event(201, "value", 1.01, { name: "hold", value: 2 }),
    event(201, "value", 1.01, { name: "count", value: 0 }),
    event(202, "value", 1.02, { name: "money", value: 99 }),
    event(202, "value", 1.02, { name: "hold", value: 2 }),
  ]);
  // hold is the same copy everywhere: not drawn; money differs: drawn beside both.
  assert.deepEqual(m.shownValues(201), [["money", 1000]]);
  assert.deepEqual(m.shownValues(202), [["money", 99]]);
  m.apply(event(201, "value", 1.03, { name: "count", value: 3 }));
  assert.deepEqual(m.shownValues(201), [["money", 1000], ["count", 3]]);
  assert.deepEqual(m.shownValues(203), []);
  m.reset();
  assert.deepEqual(m.shownValues(201), []);
});
