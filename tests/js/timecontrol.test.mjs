// Freeze and step mode in the model: frozen intervals (state.js) and each process's
// step-mode hold (activity.js), from the server's freeze and step events.

import assert from "node:assert/strict";
import { test } from "node:test";

import { RunModel } from "../../static/js/state.js";
import { SERVER_PID, event, proc, snapshot } from "./helpers.mjs";

function model(messages) {
  const m = new RunModel(SERVER_PID);
  for (const msg of messages) m.apply(msg);
  return m;
}

const start = [snapshot(1.0, [proc(201, SERVER_PID), proc(202, 201), proc(203, 201)])];
const step = (pid, t, lineno) => event(pid, "step", t, { lineno, filename: "main.py", function: "buy" });

test("a freeze opens a frozen interval and the thaw closes it", () => {
  const m = model([...start, event(201, "freeze", 2.0, { frozen: true })]);
  assert.deepEqual(m.frozen, [{ from: 2.0, to: null }]);
  assert.deepEqual(m.frozenSpan(), { from: 2.0, to: null });
  assert.equal(m.frozenSeconds(5.0), 3.0);
  m.apply(event(201, "freeze", 14.0, { frozen: false, seconds: 12.0 }));
  assert.deepEqual(m.frozen, [{ from: 2.0, to: 14.0 }]);
  assert.equal(m.frozenSpan(), null);
  assert.equal(m.frozenSeconds(20.0), 12.0);
});

test("two freezes add up; a repeated freeze does not open a second interval", () => {
  const m = model([
    ...start,
    event(201, "freeze", 2.0, { frozen: true }),
    event(201, "freeze", 2.5, { frozen: true }),
    event(201, "freeze", 3.0, { frozen: false, seconds: 1.0 }),
    event(201, "freeze", 5.0, { frozen: true }),
    event(201, "freeze", 7.0, { frozen: false, seconds: 2.0 }),
  ]);
  assert.equal(m.frozen.length, 2);
  assert.equal(m.frozenSeconds(10), 3.0);
});

test("a thaw whose freeze the page never saw still gives the interval from its seconds", () => {
  const m = model([...start, event(201, "freeze", 9.0, { frozen: false, seconds: 4.0 })]);
  assert.deepEqual(m.frozen, [{ from: 5.0, to: 9.0 }]);
});

test("a step event marks its process held at that line; the code panel's line moves too", () => {
  const m = model([...start, step(202, 1.5, 16)]);
  assert.deepEqual(m.activity.held.get(202), { lineno: 16, filename: "main.py", function: "buy", t: 1.5 });
  assert.equal(m.activity.held.has(203), false);
  assert.equal(m.activity.at.get(202).lineno, 16);
});

test("a newer step replaces the hold; any other event of the process clears it", () => {
  const m = model([...start, step(202, 1.5, 16), step(202, 1.6, 17)]);
  assert.equal(m.activity.held.get(202).lineno, 17);
  m.apply(event(202, "stdout", 1.7, { line: "买票成功", lineno: 17 }));
  assert.equal(m.activity.held.has(202), false);
});

test("another process's events, a freeze or a spawn reported for it leave the hold", () => {
  const m = model([
    ...start,
    step(202, 1.5, 16),
    event(203, "stdout", 1.6, { line: "x" }),
    event(202, "freeze", 1.7, { frozen: true }),
    event(202, "spawn", 1.8, { ppid: 201, label: "P202" }),
  ]);
  assert.equal(m.activity.held.get(202).lineno, 16);
});

test("an exited or reaped process, or one the presenter let go, is held no more", () => {
  const m = model([...start, step(202, 1.5, 16), step(203, 1.5, 16), event(202, "reap", 2.0, { exitcode: 0 })]);
  assert.equal(m.activity.held.has(202), false);
  assert.equal(m.activity.released([203]), true);
  assert.equal(m.activity.held.has(203), false);
  assert.equal(m.activity.released([203]), false);
});

test("letting a process go keeps a hold that arrived after the request was sent", () => {
  const m = model([...start, step(202, 1.5, 16)]);
  const before = new Map(m.activity.held);
  m.apply(step(202, 1.6, 17)); // the next line's hold, before the server's answer
  assert.equal(m.activity.released([202], before), false);
  assert.equal(m.activity.held.get(202).lineno, 17);
});

test("the sampler's line event at the held line leaves the hold; at another line clears it", () => {
  const m = model([...start, step(202, 1.5, 16), event(202, "line", 1.6, { lineno: 16, filename: "main.py", function: "buy" })]);
  assert.equal(m.activity.held.get(202).lineno, 16);
  m.apply(event(202, "line", 1.7, { lineno: 19, filename: "main.py", function: "buy" }));
  assert.equal(m.activity.held.has(202), false);
});
