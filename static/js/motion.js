// How the tree moves from one layout to the next without two nodes ever overlapping, and how
// long a move takes. Plain JS (no DOM): node --test runs it.
//
// A move is planned once, when the layout changes: each node gets a track, a list of
// segments in the move's progress p (0..1, the eased time), on each of which it is visible
// and goes in a straight line. Every pair of tracks is checked exactly (positions are linear
// on each segment, so the times at which two boxes overlap are an interval that can be
// solved for). The plan takes the first of: all nodes straight to their places; x first
// then y; y first then x; and a node that still collides fades out where it is and in at
// its new place (both layouts are free of overlaps, so that always works).

export const BASE_MOVE_MS = 900;
const MIN_MOVE_MS = 250;
const MAX_MOVE_MS = 4000;
const EPS = 0.5; // boxes may touch

/** A move's duration: slower runs (speed < 1) and slower replays move slower. */
export function moveDuration({ speed = 1, replay = 1, reduced = false } = {}) {
  if (reduced) return 0;
  const s = Number(speed) > 0 ? Number(speed) : 1;
  const r = Number(replay) > 0 ? Number(replay) : 1;
  return Math.round(Math.min(MAX_MOVE_MS, Math.max(MIN_MOVE_MS, BASE_MOVE_MS / (s * r))));
}

const seg = (p0, p1, a, b = a) => ({ p0, p1, a, b });
const same = (a, b) => Math.abs(a.x - b.x) < 0.01 && Math.abs(a.y - b.y) < 0.01;

/** The segments of a node going from `from` to `to` in a mode. */
function moving(from, to, mode) {
  if (same(from, to)) return [seg(0, 1, from)];
  if (mode === "straight") return [seg(0, 1, from, to)];
  const corner = mode === "x-first" ? { x: to.x, y: from.y } : { x: from.x, y: to.y };
  return [seg(0, 0.5, from, corner), seg(0.5, 1, corner, to)];
}

/** Fades out in place in the first half, in at its new place in the second. */
const fading = (from, to) => [seg(0, 0.5, from), seg(0.5, 1, to)];

/** Where a track is at progress p, or null while it is not shown. */
export function positionAt(track, p) {
  for (const s of track.segments) {
    if (p < s.p0 - 1e-9 || p > s.p1 + 1e-9) continue;
    const u = s.p1 > s.p0 ? Math.min(1, Math.max(0, (p - s.p0) / (s.p1 - s.p0))) : 0;
    return { x: s.a.x + (s.b.x - s.a.x) * u, y: s.a.y + (s.b.y - s.a.y) * u };
  }
  return null;
}

/** How opaque a track is at time t (0..1): fades happen in the halves the plan gave them. */
export function opacityAt(track, t) {
  if (t >= 1) return track.kind === "leave" ? 0 : 1;
  const ramp = (x) => Math.min(1, Math.max(0, x / 0.45));
  switch (track.kind) {
    case "fade":
      return t < 0.5 ? ramp(0.5 - t) : ramp(t - 0.5);
    case "enter":
      return ramp(t - track.segments[0].p0);
    case "leave":
      return track.segments.length ? ramp(0.5 - t) : 0;
    default:
      return 1;
  }
}

// The open interval of u in [0, 1] where r0 + (r1 - r0) u lies strictly inside (lo, hi).
function inside(r0, r1, lo, hi) {
  const d = r1 - r0;
  if (Math.abs(d) < 1e-9) return r0 > lo && r0 < hi ? [0, 1] : null;
  const u1 = (lo - r0) / d;
  const u2 = (hi - r0) / d;
  const a = Math.max(0, Math.min(u1, u2));
  const b = Math.min(1, Math.max(u1, u2));
  return a < b ? [a, b] : null;
}

function at(s, p) {
  const u = s.p1 > s.p0 ? (p - s.p0) / (s.p1 - s.p0) : 0;
  return { x: s.a.x + (s.b.x - s.a.x) * u, y: s.a.y + (s.b.y - s.a.y) * u };
}

/** Do two tracks' boxes ({hw, up, down} around the centre) overlap at any progress? */
export function collide(ta, tb) {
  const A = ta.box;
  const B = tb.box;
  const wx = A.hw + B.hw - EPS;
  const yLo = -(A.down + B.up) + EPS;
  const yHi = A.up + B.down - EPS;
  for (const sa of ta.segments) {
    for (const sb of tb.segments) {
      const lo = Math.max(sa.p0, sb.p0);
      const hi = Math.min(sa.p1, sb.p1);
      // Segments that only touch share one instant, at which a fade shows nothing.
      if (lo > hi || (lo === hi && sa.p0 !== sa.p1 && sb.p0 !== sb.p1)) continue;
      const a0 = at(sa, lo);
      const b0 = at(sb, lo);
      const a1 = at(sa, hi);
      const b1 = at(sb, hi);
      const ix = inside(a0.x - b0.x, a1.x - b1.x, -wx, wx);
      if (!ix) continue;
      const iy = inside(a0.y - b0.y, a1.y - b1.y, yLo, yHi);
      if (!iy) continue;
      if (lo === hi || Math.max(ix[0], iy[0]) < Math.min(ix[1], iy[1])) return true;
    }
  }
  return false;
}

function extent(track) {
  let x0 = Infinity;
  let x1 = -Infinity;
  for (const s of track.segments) {
    x0 = Math.min(x0, s.a.x, s.b.x);
    x1 = Math.max(x1, s.a.x, s.b.x);
  }
  return [x0 - track.box.hw, x1 + track.box.hw];
}

/** Every colliding pair of tracks (a sweep over their x extents, then the exact test). */
export function collisions(tracks) {
  const spans = tracks.filter((t) => t.segments.length).map((t) => [extent(t), t]);
  spans.sort((a, b) => a[0][0] - b[0][0]);
  const pairs = [];
  for (let i = 0; i < spans.length; i++) {
    const [[, right], ti] = spans[i];
    for (let j = i + 1; j < spans.length && spans[j][0][0] < right; j++) {
      if (collide(ti, spans[j][1])) pairs.push([ti, spans[j][1]]);
    }
  }
  return pairs;
}

/**
 * Plan a move. items: [{id, from: {x, y} | null, to: {x, y} | null, box: {hw, up, down}}]
 * (from null: the node is new; to null: it is leaving). Returns Map id -> track
 * {kind: "stay" | "move" | "fade" | "enter" | "leave", segments, box}, and the mode used.
 */
export function planMoves(items) {
  const kept = items.filter((i) => i.from && i.to);
  let best = null;
  for (const mode of ["straight", "x-first", "y-first"]) {
    const tracks = kept.map((i) => ({
      id: i.id,
      box: i.box,
      kind: same(i.from, i.to) ? "stay" : "move",
      segments: moving(i.from, i.to, mode),
      item: i,
    }));
    const pairs = collisions(tracks);
    if (!best || pairs.length < best.pairs.length) best = { mode, tracks, pairs };
    if (!pairs.length) break;
  }
  const tracks = best.tracks;
  // What still collides fades instead, the node in most collisions first.
  let pairs = best.pairs;
  while (pairs.length) {
    const count = new Map();
    for (const [a, b] of pairs) {
      if (a.kind === "move") count.set(a, (count.get(a) ?? 0) + 1);
      if (b.kind === "move") count.set(b, (count.get(b) ?? 0) + 1);
    }
    // Only nodes that stay or fade left colliding: one of the two layouts overlaps already.
    if (!count.size) break;
    const worst = [...count].sort((x, y) => y[1] - x[1])[0][0];
    worst.kind = "fade";
    worst.segments = fading(worst.item.from, worst.item.to);
    pairs = collisions(tracks);
  }
  const placed = [...tracks];
  const fits = (t) => placed.every((o) => !collide(t, o));
  for (const i of items.filter((x) => x.from && !x.to)) {
    const t = { id: i.id, box: i.box, kind: "leave", segments: [seg(0, 0.5, i.from)] };
    if (!fits(t)) t.segments = []; // gone at once rather than under a moving node
    placed.push(t);
  }
  for (const i of items.filter((x) => !x.from && x.to)) {
    let t = null;
    for (const p0 of [0, 0.5, 1]) {
      t = { id: i.id, box: i.box, kind: "enter", segments: [seg(p0, 1, i.to)] };
      if (p0 === 1 || fits(t)) break;
    }
    placed.push(t);
  }
  const out = new Map(placed.map((t) => [t.id, t]));
  out.mode = best.mode;
  return out;
}
