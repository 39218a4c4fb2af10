// The batched protocol (?batch=1) in the page: a batch is unpacked into the same messages, in
// the same order, by the model (state.js) and by the connection (connection.js).

import assert from "node:assert/strict";
import { test } from "node:test";

import { Connection, runWsUrl } from "../../static/js/connection.js";
import { RunModel } from "../../static/js/state.js";
import { SERVER_PID, delta, event, history, proc, snapshot } from "./helpers.mjs";

const batch = (messages) => ({ type: "batch", run: "r", t: messages.at(-1)?.t ?? 0, messages });

// What the views read, without the wall-clock moments (ghosts' removedAt) that differ per model.
function stateOf(m) {
  return JSON.stringify({
    run: m.run,
    processes: [...m.processes],
    ghosts: [...m.ghosts].map(([pid, g]) => [pid, g.proc, g.exitcode]),
    labels: [...m.labels],
    values: [...m.values].map(([pid, v]) => [pid, [...v]]),
    adoptions: [...m.adoptions],
    queues: [...m.queues],
    lines: m.lines,
    result: m.result,
    limit: m.limit,
    lives: [...m.lives],
    roles: [...m.roles],
    lastT: m.lastT,
  });
}

// A run's stream: history on joining, then live events between frames.
function stream() {
  const out = [
    { type: "run", run: "r", t: 1.0, state: "running", server_pid: SERVER_PID, started: 1.0 },
    snapshot(1.0, [proc(201, SERVER_PID)], 1),
    history(1.0, [event(201, "spawn", 0.9, { ppid: SERVER_PID, label: "MainProcess", role: "root" })]),
  ];
  let seq = 1;
  for (let i = 0; i < 12; i++) {
    const t = 1.1 + i * 0.05;
    const pid = 210 + (i % 4);
    if (i % 4 === 0) out.push(event(pid, "spawn", t, { ppid: 201, label: `P-${i}` }));
    out.push(event(pid, "stdout", t + 0.01, { line: `第 ${i} 行` }));
    out.push(event(201, "queue", t + 0.02, { name: "q", depth: i % 5, maxsize: 4 }));
    seq += 1;
    out.push(delta(t + 0.03, [proc(pid, 201, i % 3 ? "running" : "sleeping")], i === 9 ? [210] : [], seq));
  }
  out.push(event(201, "result", 2.0, { produced: 12 }));
  out.push({ type: "run", run: "r", t: 2.0, state: "finished" });
  return out;
}

test("a batch applies as its messages one by one: the same state at every frame", () => {
  const messages = stream();
  const plain = new RunModel(SERVER_PID);
  const batched = new RunModel(SERVER_PID);
  const joined = messages.findIndex((m) => m.type === "history") + 1;
  for (const m of messages.slice(0, joined)) batched.apply(m); // unbatched until live
  let open = [];
  let frames = 0;
  for (const [i, m] of messages.entries()) {
    plain.apply(m);
    if (i < joined) continue;
    open.push(m);
    if (m.type === "delta" || i === messages.length - 1) {
      // A delivery ends at a frame: both models hold the same state there.
      batched.apply(batch(open));
      open = [];
      frames += 1;
      assert.equal(stateOf(batched), stateOf(plain), `after frame ${frames}`);
    }
  }
  assert.equal(frames, 13);
  assert.equal(batched.lines.length, 12);
  assert.deepEqual(batched.result, { produced: 12 });
});

test("an empty batch changes nothing", () => {
  const m = new RunModel(SERVER_PID);
  for (const msg of stream().slice(0, 3)) m.apply(msg);
  const before = stateOf(m);
  m.apply(batch([]));
  assert.equal(stateOf(m), before);
});

class FakeSocket {
  static last = null;
  constructor(url) {
    this.url = url;
    FakeSocket.last = this;
  }
  close() {}
}

test("the connection asks for batches and hands on each carried message in order", () => {
  globalThis.location = { protocol: "http:", host: "127.0.0.1:8000" };
  globalThis.navigator = { onLine: true };
  globalThis.window = { addEventListener() {}, removeEventListener() {} };
  globalThis.WebSocket = FakeSocket;
  assert.equal(runWsUrl("a b"), "ws://127.0.0.1:8000/ws/runs/a%20b?batch=1");
  const got = [];
  const conn = new Connection(runWsUrl("r"), {
    onMessage: (msg) => got.push(msg),
    onStatus: () => {},
    isFinished: () => false,
  });
  conn.open();
  const ws = FakeSocket.last;
  assert.equal(ws.url, "ws://127.0.0.1:8000/ws/runs/r?batch=1");
  const messages = stream().slice(3, 9);
  ws.onmessage({ data: JSON.stringify(stream()[1]) }); // before live: messages come alone
  ws.onmessage({ data: JSON.stringify(batch(messages)) });
  ws.onmessage({ data: JSON.stringify(batch([])) });
  assert.deepEqual(got, [stream()[1], ...messages]);
  conn.close();
});
