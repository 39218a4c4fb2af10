// Activity (static/js/activity.js), through RunModel: who is blocked on what, who holds which
// lock, pool tasks, the line each process is at, errors.

import assert from "node:assert/strict";
import { test } from "node:test";

import { RunModel } from "../../static/js/state.js";
import { SERVER_PID, delta, event, proc, snapshot } from "./helpers.mjs";

function model(messages) {
  const m = new RunModel(SERVER_PID);
  for (const msg of messages) m.apply(msg);
  return m;
}

const start = [snapshot(1.0, [proc(201, SERVER_PID), proc(202, 201), proc(203, 201)])];

test("a producer is blocked in put(q) until its unblocked, whatever its sampled status", () => {
  const m = model([...start, event(202, "blocked", 1.5, { on: "q", op: "put", kind: "queue", lineno: 18 })]);
  assert.deepEqual(m.activity.blocked.get(202), { on: "q", op: "put", kind: "queue", t: 1.5, lineno: 18 });
  assert.equal(m.activity.blocked.has(203), false);
  m.apply(delta(1.6, [proc(202, 201, "sleeping")]));
  assert.equal(m.activity.blocked.get(202).op, "put"); // a sample does not end the wait
  m.apply(event(202, "unblocked", 2.5, { on: "q", op: "put", kind: "queue", waited: 1.0, lineno: 18 }));
  assert.equal(m.activity.blocked.has(202), false);
});

test("blocked is per process: two waiters, one released", () => {
  const m = model([
    ...start,
    event(202, "blocked", 1.5, { on: "q", op: "get", kind: "queue" }),
    event(203, "blocked", 1.6, { on: "mutex", op: "acquire", kind: "lock" }),
    event(203, "unblocked", 2.0, { on: "mutex", op: "acquire", kind: "lock", waited: 0.4 }),
  ]);
  assert.deepEqual([...m.activity.blocked.keys()], [202]);
});

test("an unblocked of another wait leaves the current one", () => {
  const m = model([...start, event(202, "blocked", 1.5, { on: "q", op: "get", kind: "queue" }), event(202, "unblocked", 1.6, { on: "ev", op: "wait", kind: "event" })]);
  assert.equal(m.activity.blocked.get(202).on, "q");
});

test("lock holders follow acquire and release, per process", () => {
  const sync = (pid, t, op, name = "mutex") => event(pid, "sync", t, { name, kind: "lock", op, holders: op === "acquire" ? 1 : 0 });
  const m = model([...start, sync(202, 1.1, "acquire")]);
  assert.deepEqual(m.activity.heldBy(202), ["mutex"]);
  assert.deepEqual(m.activity.heldBy(203), []);
  m.apply(sync(202, 1.5, "release"));
  m.apply(sync(203, 1.51, "acquire"));
  assert.deepEqual(m.activity.heldBy(202), []);
  assert.deepEqual(m.activity.heldBy(203), ["mutex"]);
  // A condition's notify or an event's set makes no holder.
  m.apply(event(202, "sync", 1.6, { name: "cv", kind: "condition", op: "notify" }));
  assert.deepEqual(m.activity.heldBy(202), []);
});

test("an exited process holds nothing and waits for nothing", () => {
  const m = model([
    ...start,
    event(202, "sync", 1.1, { name: "mutex", kind: "lock", op: "acquire" }),
    event(203, "blocked", 1.2, { on: "mutex", op: "acquire", kind: "lock" }),
    event(202, "exit", 1.3, { exitcode: -9 }),
    delta(1.4, [], [203]),
  ]);
  assert.deepEqual(m.activity.heldBy(202), []);
  assert.equal(m.activity.blocked.size, 0);
});

test("the line each process is at: line events, and lineno on other events", () => {
  const m = model([
    ...start,
    event(201, "line", 1.1, { lineno: 25, filename: "main.py", function: "<module>" }),
    event(202, "line", 1.1, { lineno: 8, filename: "main.py", function: "hold" }),
    event(203, "stdout", 1.2, { line: "hi", lineno: 15 }),
    event(202, "blocked", 1.3, { on: "q", op: "put", kind: "queue", lineno: 9 }),
  ]);
  const at = (pid) => m.activity.at.get(pid)?.lineno;
  assert.deepEqual([at(201), at(202), at(203)], [25, 9, 15]);
  assert.equal(m.activity.at.get(202).filename, "main.py"); // kept from its line event
  // A spawn is reported from the parent's start(): the line is the parent's.
  m.apply(event(204, "spawn", 1.4, { ppid: 201, label: "Process-3", lineno: 30 }));
  assert.deepEqual([at(201), at(204)], [30, undefined]);
});

test("an error marks its process and line", () => {
  const m = model([...start, event(202, "error", 2.0, { type: "ValueError", message: "boom", filename: "main.py", lineno: 5 })]);
  assert.deepEqual(m.activity.errors.get(202), { type: "ValueError", message: "boom", filename: "main.py", lineno: 5, t: 2.0 });
  assert.equal(m.activity.at.get(202).lineno, 5);
});

test("pool tasks: submitted by the parent, running and done in its workers, merged bursts counted", () => {
  const task = (pid, t, state, id, extra = {}) => event(pid, "task", t, { id, state, fn: "square", ...extra });
  const spawn = (pid) => event(pid, "spawn", 1.0, { ppid: 201, label: `ForkPoolWorker-${pid}`, role: "pool-worker" });
  const m = model([
    ...start,
    spawn(301),
    spawn(302),
    task(201, 1.1, "submitted", "0:0"),
    task(201, 1.12, "submitted", "0:7", { coalesced: 7 }),
    task(301, 1.2, "running", "0:0"),
    task(302, 1.2, "running", "0:1"),
    task(301, 1.3, "done", "0:0", { ok: true }),
  ]);
  assert.deepEqual(m.activity.poolCounts(201), { submitted: 8, waiting: 6, running: 1, done: 1, failed: 0 });
  assert.equal(m.activity.tasks.has(301), false);
  assert.deepEqual(m.activity.tasks.get(302), { id: "0:1", fn: "square" });
  m.apply(task(302, 1.35, "running", "0:6", { coalesced: 5 }));
  m.apply(task(302, 1.4, "done", "0:6", { ok: false, coalesced: 6 }));
  m.apply(task(301, 1.4, "running", "0:7"));
  m.apply(task(301, 1.5, "done", "0:7", { ok: true }));
  assert.deepEqual(m.activity.poolCounts(201), { submitted: 8, waiting: 0, running: 0, done: 8, failed: 1 });
});

test("activity listeners hear which process changed", () => {
  const m = new RunModel(SERVER_PID);
  const heard = [];
  m.on("activity", (pid) => heard.push(pid));
  for (const msg of [...start, event(202, "blocked", 1.5, { on: "q", op: "put", kind: "queue" }), event(202, "stdout", 1.6, { line: "x" })]) m.apply(msg);
  assert.deepEqual(heard, [202]);
});
