// Tree layout: parent above children; many leaf siblings (ten ticket buyers, a pool of
// consumers) wrap into a grid so the tree fits the projector instead of shrinking to a strip.

/**
 * Place every node of a d3 hierarchy: sets node.x (centre), node.y (centre), and for a
 * child in a grid node.gridRow and node.gridLeft. Returns the bounds {x0, x1, y1}.
 * topH (default rowH) is the step from the root to its children: the root carries no notes.
 */
export function layoutTree(root, { colW, rowH, cols, topH = rowH }) {
  measure(root, colW, cols);
  place(root, -root.w / 2, 0, colW, rowH, topH);
  let x0 = Infinity;
  let x1 = -Infinity;
  let y1 = 0;
  root.each((n) => {
    x0 = Math.min(x0, n.x);
    x1 = Math.max(x1, n.x);
    y1 = Math.max(y1, n.y);
  });
  return { x0, x1, y1 };
}

// A node's children: subtrees side by side, then its leaf children; more leaves than
// `cols` wrap into a grid block, to the right of any subtrees.
function measure(n, colW, cols) {
  const kids = n.children ?? [];
  n.grid = 0;
  if (!kids.length) {
    n.w = colW;
    return;
  }
  for (const k of kids) measure(k, colW, cols);
  const inner = kids.filter((k) => k.children);
  const leaves = kids.filter((k) => !k.children);
  n.innerW = inner.reduce((s, k) => s + k.w, 0);
  if (leaves.length > cols) {
    n.grid = cols;
    n.w = n.innerW + cols * colW;
  } else {
    n.w = Math.max(colW, n.innerW + leaves.length * colW);
  }
}

function place(n, left, y, colW, rowH, step = rowH) {
  n.x = left + n.w / 2;
  n.y = y;
  const kids = n.children ?? [];
  if (!kids.length) return;
  const inner = kids.filter((k) => k.children);
  const leaves = kids.filter((k) => !k.children);
  const used = n.grid ? n.innerW + n.grid * colW : n.innerW + leaves.length * colW;
  let x = n.x - used / 2;
  for (const k of inner) {
    k.gridRow = undefined;
    place(k, x, y + step, colW, rowH);
    x += k.w;
  }
  if (!n.grid) {
    for (const k of leaves) {
      k.gridRow = undefined;
      place(k, x, y + step, colW, rowH);
      x += colW;
    }
    return;
  }
  const gridLeft = x;
  const gridMid = gridLeft + (n.grid * colW) / 2;
  leaves.forEach((k, i) => {
    const row = Math.floor(i / n.grid);
    const inRow = Math.min(n.grid, leaves.length - row * n.grid);
    const rowLeft = gridMid - (inRow * colW) / 2;
    k.w = colW;
    k.grid = 0;
    k.x = rowLeft + (i % n.grid) * colW + colW / 2;
    k.y = y + step + row * rowH;
    k.gridRow = row;
    k.gridLeft = gridLeft;
  });
}

/** The most leaf children under one parent: the most columns worth trying. */
export function widestLeafFamily(root) {
  let most = 1;
  root.each((n) => {
    const kids = n.children ?? [];
    most = Math.max(most, kids.filter((k) => !k.children).length);
  });
  return most;
}

/**
 * An elbow link with a fixed shape (M, then V H V H V), so d3 can tween any link into any
 * other: a child in a lower grid row is reached along the grid's left gutter, never through
 * a sibling, which would look like its parent.
 */
export function elbow(source, target, { nodeH, gapY, gapX }) {
  const sx = source.x;
  const sy = source.y + nodeH / 2;
  const ty = target.y - nodeH / 2;
  const bus = ty - Math.min(18, gapY / 3);
  if (!target.gridRow) {
    const mid = sy + (ty - sy) / 2;
    return `M${sx},${sy}V${mid}H${sx}V${mid}H${target.x}V${ty}`;
  }
  const gutter = target.gridLeft + gapX / 4;
  const firstBus = sy + gapY / 3;
  return `M${sx},${sy}V${firstBus}H${gutter}V${bus}H${target.x}V${ty}`;
}
