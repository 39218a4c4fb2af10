// The tree's moves (static/js/motion.js): duration follows speed and replay; no two boxes
// ever overlap during a planned move, checked by sampling the plan densely.

import assert from "node:assert/strict";
import { test } from "node:test";

import { BASE_MOVE_MS, collide, moveDuration, opacityAt, planMoves, positionAt } from "../../static/js/motion.js";

const BOX = { hw: 150, up: 50, down: 50 };
const W = 336; // a column: node 300 wide and a 36 gap
const H = 156; // a row: node 100 high and a 56 gap

function overlaps(a, b) {
  return Math.abs(a.x - b.x) < a.box.hw + b.box.hw - 0.5
    && a.y - b.y < a.box.up + b.box.down - 0.5 && b.y - a.y < b.box.up + a.box.down - 0.5;
}

/** The boxes shown at 401 instants of the move (opacity above 0), and any overlapping pair. */
function firstOverlap(plan, samples = 400) {
  for (let i = 0; i <= samples; i++) {
    const t = i / samples;
    const p = t < 0.5 ? 4 * t * t * t : 1 - (-2 * t + 2) ** 3 / 2; // d3.easeCubicInOut
    const shown = [];
    for (const [id, track] of plan) {
      const pos = positionAt(track, p);
      if (pos && opacityAt(track, t) > 0) shown.push({ id, box: track.box, ...pos });
    }
    for (let a = 0; a < shown.length; a++) {
      for (let b = a + 1; b < shown.length; b++) {
        if (overlaps(shown[a], shown[b])) return { t, a: shown[a].id, b: shown[b].id };
      }
    }
  }
  return null;
}

/** n leaves in a grid of `cols` columns, in reading order. */
function grid(n, cols, x0 = 0, y0 = H) {
  return Array.from({ length: n }, (_, i) => ({ x: x0 + (i % cols) * W, y: y0 + Math.floor(i / cols) * H }));
}

test("a move lasts 900 ms at speed 1, longer when the run or the replay is slower", () => {
  assert.equal(moveDuration(), BASE_MOVE_MS);
  assert.equal(moveDuration({ speed: 1, replay: 0.25 }), 3600);
  assert.equal(moveDuration({ speed: 0.5, replay: 1 }), 1800);
  assert.ok(moveDuration({ speed: 0.1, replay: 0.25 }) <= 4000); // capped: the tree keeps up
  assert.ok(moveDuration({ speed: 20, replay: 4 }) >= 250); // still seen moving
  assert.equal(moveDuration({ reduced: true }), 0);
});

test("two nodes swapping places along one row would collide: the plan never lets them", () => {
  const items = [
    { id: "a", from: { x: 0, y: 0 }, to: { x: W, y: 0 }, box: BOX },
    { id: "b", from: { x: W, y: 0 }, to: { x: 0, y: 0 }, box: BOX },
  ];
  const straight = items.map((i) => ({ box: i.box, segments: [{ p0: 0, p1: 1, a: i.from, b: i.to }] }));
  assert.ok(collide(straight[0], straight[1])); // the naive tween overlaps
  const plan = planMoves(items);
  assert.equal(firstOverlap(plan), null);
  assert.ok([...plan.values()].some((t) => t.kind === "fade"));
});

test("a grid re-flowing from 10 columns to 4 (ten buyers) never overlaps", () => {
  const from = grid(10, 10);
  const to = grid(10, 4);
  const items = from.map((f, i) => ({ id: `n${i}`, from: f, to: to[i], box: BOX }));
  items.push({ id: "root", from: { x: 4.5 * W, y: 0 }, to: { x: 1.5 * W, y: 0 }, box: BOX });
  assert.equal(firstOverlap(planMoves(items)), null);
});

test("nodes arriving while others move appear only where nothing passes", () => {
  const items = grid(6, 6).map((f, i) => ({ id: `m${i}`, from: f, to: grid(6, 3)[i], box: BOX }));
  // New nodes at places the movers cross on their way.
  for (const [i, to] of grid(3, 3, 0, 3 * H).entries()) items.push({ id: `new${i}`, from: null, to, box: BOX });
  items.push({ id: "gone", from: { x: 2 * W, y: 2 * H }, to: null, box: BOX });
  const plan = planMoves(items);
  assert.equal(firstOverlap(plan), null);
  assert.equal(plan.get("new0").kind, "enter");
  assert.equal(opacityAt(plan.get("new0"), 1), 1); // and each is fully there at the end
  assert.equal(opacityAt(plan.get("gone"), 1), 0);
});

test("random re-layouts between two overlap-free grids never overlap at any sampled instant", () => {
  let seed = 7;
  const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  for (let round = 0; round < 40; round++) {
    const n = 2 + Math.floor(rand() * 24);
    const from = grid(n, 1 + Math.floor(rand() * 8));
    const to = grid(n, 1 + Math.floor(rand() * 8), W * Math.floor(rand() * 3));
    const order = from.map((_, i) => i).sort(() => rand() - 0.5); // nodes may change slots
    const items = order.map((k, i) => ({ id: `n${i}`, from: from[i], to: to[k], box: BOX }));
    assert.equal(firstOverlap(planMoves(items), 200), null, `round ${round}`);
  }
});

test("a move between overlap-free layouts where nothing collides stays a plain straight move", () => {
  const items = grid(4, 4).map((f, i) => ({ id: `n${i}`, from: f, to: { x: f.x + 2 * W, y: f.y }, box: BOX }));
  const plan = planMoves(items);
  assert.equal(plan.mode, "straight");
  assert.ok([...plan.values()].every((t) => t.kind === "move"));
});
