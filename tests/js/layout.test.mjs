// The tree's layout (static/js/layout.js): whatever the tree, no two node boxes (with the
// notes that hang below them) overlap, so a move between two layouts can always avoid it.

import assert from "node:assert/strict";
import { test } from "node:test";

import { hierarchy } from "../../node_modules/d3-hierarchy/dist/d3-hierarchy.mjs";
import { layoutTree } from "../../static/js/layout.js";

// The full picture's sizes (tree.js GEOMETRIES.full) with room for two notes.
const GEO = { nodeW: 300, nodeH: 100, gapX: 36, noteH: 34, notes: 2 };
const gapY = Math.max(56, 20 + GEO.noteH * GEO.notes);
const colW = GEO.nodeW + GEO.gapX;
const rowH = GEO.nodeH + gapY;

function randomTree(n, rand) {
  const nodes = [{ id: 0, children: [] }];
  for (let i = 1; i < n; i++) {
    // Mostly wide families (a pool, ten buyers), some depth (a forkserver, a pool's workers).
    const parent = nodes[Math.floor(rand() ** 2 * nodes.length)];
    const node = { id: i, children: [] };
    parent.children.push(node);
    nodes.push(node);
  }
  return hierarchy(nodes[0], (d) => (d.children.length ? d.children : null));
}

function overlapping(root) {
  const boxes = root.descendants().map((n) => ({
    id: n.data.id,
    x0: n.x - colW / 2 + 3, // a note is at most a column less 6 wide
    x1: n.x + colW / 2 - 3,
    y0: n.y - GEO.nodeH / 2,
    y1: n.y + GEO.nodeH / 2 + 8 + GEO.notes * GEO.noteH,
  }));
  for (let a = 0; a < boxes.length; a++) {
    for (let b = a + 1; b < boxes.length; b++) {
      const A = boxes[a];
      const B = boxes[b];
      if (A.x0 < B.x1 && B.x0 < A.x1 && A.y0 < B.y1 && B.y0 < A.y1) return [A.id, B.id];
    }
  }
  return null;
}

test("no two boxes overlap in the layout of random trees, at any column count", () => {
  let seed = 11;
  const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  for (let round = 0; round < 60; round++) {
    const root = randomTree(2 + Math.floor(rand() * 80), rand);
    const cols = 1 + Math.floor(rand() * 12);
    layoutTree(root, { colW, rowH, cols, topH: rowH });
    assert.equal(overlapping(root), null, `round ${round}, ${cols} columns`);
  }
});

test("ten children of one parent wrap into a grid of the given columns, in order", () => {
  const root = hierarchy({ id: 0, children: Array.from({ length: 10 }, (_, i) => ({ id: i + 1 })) });
  layoutTree(root, { colW, rowH, cols: 4 });
  const rows = root.children.map((k) => Math.round((k.y - root.y) / rowH));
  assert.deepEqual(rows, [1, 1, 1, 1, 2, 2, 2, 2, 3, 3]);
  assert.ok(root.children.slice(0, 4).every((k, i, all) => i === 0 || k.x - all[i - 1].x === colW));
  assert.equal(overlapping(root), null);
});
