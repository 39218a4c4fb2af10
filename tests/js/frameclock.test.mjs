// The page's paint clock (static/js/frameclock.js): views ask to draw; all that asked are
// drawn together in one animation frame, each once, and painted frames are PAINT_MS apart.
// Node has setTimeout and performance; the animation frame is a stand-in that runs at once.

import assert from "node:assert/strict";
import { test } from "node:test";

globalThis.requestAnimationFrame = (fn) => setTimeout(() => fn(performance.now()), 0);
const { PAINT_MS, onNextPaint } = await import("../../static/js/frameclock.js");

const settle = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

test("every view that asked is drawn once, in the same paint, however often it asked", async () => {
  const drawn = [];
  const tree = () => drawn.push(["tree", performance.now()]);
  const console_ = () => drawn.push(["console", performance.now()]);
  for (let i = 0; i < 50; i++) onNextPaint(tree);
  onNextPaint(console_);
  onNextPaint(tree);
  await settle(PAINT_MS * 2 + 50);
  assert.deepEqual(drawn.map(([name]) => name), ["tree", "console"]);
  assert.ok(Math.abs(drawn[0][1] - drawn[1][1]) < 5, "drawn in one frame");
});

test("the next paint waits until PAINT_MS after the last one; asking during a draw counts", async () => {
  await settle(PAINT_MS + 10); // the previous test's paint is past
  const times = [];
  const again = () => {
    times.push(performance.now());
    if (times.length < 3) onNextPaint(again); // a draw that leaves more to draw
  };
  onNextPaint(again);
  await settle(PAINT_MS * 4 + 100);
  assert.equal(times.length, 3);
  for (let i = 1; i < times.length; i++) {
    assert.ok(times[i] - times[i - 1] >= PAINT_MS - 2, `paints ${times[i] - times[i - 1]} ms apart`);
  }
});

test("a view that throws does not stop the others drawing", async () => {
  await settle(PAINT_MS + 10);
  const drawn = [];
  const errors = console.error;
  console.error = () => {}; // the failure is logged; not in this test's output
  try {
    onNextPaint(() => {
      throw new Error("broken view");
    });
    onNextPaint(() => drawn.push("queues"));
    await settle(PAINT_MS * 2 + 50);
  } finally {
    console.error = errors;
  }
  assert.deepEqual(drawn, ["queues"]);
});
