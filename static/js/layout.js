// Tree layout: parent above children; many leaf siblings (ten ticket buyers, a pool of
// consumers) wrap into a grid so the tree fits the projector instead of shrinking to a strip.

/**
 * Place every node of a d3 hierarchy: sets node.x (centre), node.y (centre), and for a
 * child in a grid node.gridRow and node.gridLeft. Returns the bounds {x0, x1, y1}.
 */
export function layoutTree(root, { colW, rowH, cols }) {
  measure(root, colW, cols);
  place(root, -root.w / 2, 0, colW, rowH);
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

function measure(n, colW, cols) {
  const kids = n.children ?? [];
  n.grid = 0;
  if (!kids.length) {
    n.w = colW;
    return;
  }
  for (const k of kids) measure(k, colW, cols);
  if (kids.length > cols && kids.every((k) => !k.children)) {
    n.grid = cols;
    n.w = cols * colW;
  } else {
    n.w = Math.max(colW, kids.reduce((s, k) => s + k.w, 0));
  }
}

function place(n, left, y, colW, rowH) {
  n.x = left + n.w / 2;
  n.y = y;
  const kids = n.children ?? [];
  if (n.grid) {
    const gridLeft = n.x - (n.grid * colW) / 2;
    kids.forEach((k, i) => {
      const row = Math.floor(i / n.grid);
      const inRow = Math.min(n.grid, kids.length - row * n.grid);
      const rowLeft = n.x - (inRow * colW) / 2;
      k.w = colW;
      k.grid = 0;
      k.x = rowLeft + (i % n.grid) * colW + colW / 2;
      k.y = y + (row + 1) * rowH;
      k.gridRow = row;
      k.gridLeft = gridLeft;
    });
    return;
  }
  let x = n.x - kids.reduce((s, k) => s + k.w, 0) / 2;
  for (const k of kids) {
    k.gridRow = undefined;
    place(k, x, y + rowH, colW, rowH);
    x += k.w;
  }
}

/** The largest number of leaf siblings under one parent: the most columns worth trying. */
export function widestLeafFamily(root) {
  let most = 1;
  root.each((n) => {
    const kids = n.children ?? [];
    if (kids.length && kids.every((k) => !k.children)) most = Math.max(most, kids.length);
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
