// The process tree: parent above children, the procviz server as a pseudo-node on top.

import { onNextPaint } from "./frameclock.js";
import { t } from "./i18n.js";
import { elbow, layoutTree, widestLeafFamily } from "./layout.js";
import { moveDuration, opacityAt, planMoves, positionAt } from "./motion.js";
import { isProjector } from "./projector.js";
import { GHOST_MS } from "./state.js";
import { pidColor, shapePath, statusStyle } from "./status.js";

const d3 = window.d3;

// How a node is drawn, in the tree's own units (it is scaled to fit). `full` is the picture on
// a laptop, and on the projector while the tree is small. A wide tree on the projector is drawn
// with the first of the others whose smallest text comes out at least MIN_PX on screen:
// `state` keeps three lines but only the state (no CPU, no MiB), `compact` has two (PID and
// name; the state is the badge's colour, letter and shape). minFont is the smallest text of
// that picture in projector.css (labels, server, zombie tag, notes): keep the two in step.
const GEOMETRIES = {
  full: { nodeW: 300, nodeH: 100, serverW: 300, gapX: 36, gapYMin: 56, noteH: 34, badgeX: 34, badgeR: 22,
    textX: 72, lines: [28, 55, 81], serverLines: [-6, 24], tag: [150, 34], l3Px: 17, minFont: 20 },
  state: { nodeW: 250, nodeH: 100, serverW: 380, gapX: 14, gapYMin: 30, noteH: 38, badgeX: 30, badgeR: 20,
    textX: 60, lines: [30, 60, 88], serverLines: [-5, 27], tag: [170, 36], l3Px: 23, minFont: 23 },
  compact: { nodeW: 230, nodeH: 72, serverW: 380, gapX: 14, gapYMin: 26, noteH: 38, badgeX: 30, badgeR: 20,
    textX: 58, lines: [31, 62], serverLines: [-5, 27], tag: [170, 36], l3Px: 0, minFont: 26 },
};
const PROJECTOR_GEOMETRIES = ["full", "state", "compact"];
const PROJECTOR_L3_PX = 20; // .l3 of the full picture in projector.css
const MIN_PX = 20; // no text under 20 px on the projector (at 1080p)
const MAX_SCALE = 1.25;
// Moves are the lesson (an orphan changing parent), but not for readers who asked for less motion.
const REDUCED_MOTION = Boolean(window.matchMedia?.("(prefers-reduced-motion: reduce)").matches);
// Level of detail: a node's hover title (CPU, memory) is written when the pointer is on it,
// not with every sample; a tree drawn tiny does not write the lines it hides.
const SERVER_ID = "server";

/** A picture's sizes, with room between levels for the most notes any node carries (and for
 * a zombie's tag above it), and no more. */
function geometry(name, { notes, zombies, adopted }) {
  const g = GEOMETRIES[name];
  const tagRoom = zombies ? g.tag[1] + 8 : 0;
  // A zombie's tag above a node of the next row must not meet the notes hanging above it.
  const gapY = Math.max(g.gapYMin, 20 + g.noteH * notes + (notes ? tagRoom : 0), tagRoom);
  // Below the server pseudo-node (no notes of its own): only the links, a zombie's tag, and
  // room to see an orphan's link to the server that adopted it (the lesson).
  const topH = g.nodeH + Math.max(g.gapYMin, tagRoom, adopted ? GEOMETRIES.full.gapYMin : 0);
  return { ...g, name, gapY, colW: g.nodeW + g.gapX, rowH: g.nodeH + gapY, topH };
}

function mib(bytes) {
  return bytes ? `${(bytes / 1048576).toFixed(1)} ${t("mib")}` : "";
}

/** The state a node shows: the server's lifecycle word wins over a sample not taken yet. */
export function shownStatus(p) {
  return p.life === "exited" ? "zombie" : p.status;
}

function fmtValue(v) {
  if (typeof v === "string") return v;
  const s = JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 39)}…` : s;
}

export class TreeView {
  constructor(container, model, { onNodeClick, isSelected, replay = 1 } = {}) {
    this.container = container;
    this.model = model;
    this.onNodeClick = onNodeClick ?? (() => {});
    this.isSelected = isSelected ?? (() => false);
    this.replay = replay; // the replay's speed (1 live): moves slow down with it
    this.svg = d3.select(container).append("svg").attr("class", "tree-svg").attr("role", "group").attr("aria-label", t("processes"));
    this.view = this.svg.append("g").attr("class", "view");
    this.linkLayer = this.view.append("g").attr("class", "links");
    this.nodeLayer = this.view.append("g").attr("class", "nodes");
    this.drawNow = () => this.draw(); // one function: the paint clock draws it once
    this.noteRoom = 0; // the most notes a node has had: room kept, so notes coming and going do not move the tree
    this.size = null; // the container's size, from the ResizeObserver (no layout read in a frame)
    this.columns = new Map(); // tree shape and size -> best column count (bestColumns is costly)
    // Where things are drawn: id -> {x, y} placed, the move under way, and the view's transform.
    this.targets = new Map();
    this.motion = null;
    this.fitNow = null;
    model.on("reset", () => {
      this.noteRoom = 0;
    });
    new ResizeObserver(() => {
      // Read here, after layout, where it costs nothing.
      this.size = { w: container.clientWidth, h: container.clientHeight };
      this.schedule();
    }).observe(container);
    // Ghosts fade out on a clock of their own.
    setInterval(() => {
      if (this.model.prune() || this.model.ghosts.size) this.schedule();
    }, 250);
  }

  /** How long a re-layout takes: slower for a slow run (speed < 1) and a slow replay. */
  moveMs() {
    return moveDuration({ speed: this.model.run?.params?.speed ?? 1, replay: this.replay, reduced: REDUCED_MOTION });
  }

  schedule() {
    onNextPaint(this.drawNow);
  }

  buildHierarchy() {
    const m = this.model;
    const now = performance.now();
    const items = [];
    for (const p of m.processes.values()) items.push({ proc: p, ghost: null });
    // An ended run keeps its last tree (state.js lastTree), faded but not fading away.
    const kept = new Map(m.lastTree().map((e) => [e.proc.pid, e]));
    for (const [pid, g] of m.ghosts) {
      if (!m.processes.has(pid) && !kept.has(pid)) items.push({ proc: g.proc, ghost: g, fade: (now - g.removedAt) / GHOST_MS });
    }
    for (const [pid, e] of kept) {
      if (!m.processes.has(pid)) items.push({ proc: e.proc, ghost: { exitcode: e.exitcode }, fade: 0.25, ended: true });
    }
    const ids = new Set(items.map((i) => i.proc.pid));
    const rows = [{ id: SERVER_ID, parentId: null, server: true }];
    for (const item of items) {
      const p = item.proc;
      const parent = p.ppid !== p.pid && ids.has(p.ppid) ? String(p.ppid) : SERVER_ID;
      rows.push({ id: String(p.pid), parentId: parent, ...item });
    }
    let root;
    try {
      root = d3.stratify().id((d) => d.id).parentId((d) => d.parentId)(rows);
    } catch {
      // Inconsistent samples (a cycle mid-update): hang everything under the server for a frame.
      root = d3.stratify().id((d) => d.id).parentId((d) => (d.server ? null : SERVER_ID))(rows);
    }
    root.sort((a, b) => (a.data.proc?.create_time ?? 0) - (b.data.proc?.create_time ?? 0)
      || (a.data.proc?.pid ?? 0) - (b.data.proc?.pid ?? 0));
    return root;
  }

  draw() {
    const m = this.model;
    const empty = m.processes.size === 0 && m.ghosts.size === 0 && !m.run;
    this.container.classList.toggle("is-empty", empty);
    if (empty) return;

    const lastTree = m.isTerminal() && m.lastTree().length > 0;
    const ended = m.isTerminal() && m.processes.size === 0 && (m.ghosts.size === 0 || lastTree);
    this.container.classList.toggle("is-ended", ended);
    this.container.classList.toggle("has-last-tree", lastTree);
    const note = this.container.querySelector(".ended-note");
    if (note) note.dataset.i18n = lastTree ? "tree_ended_kept" : "tree_ended";
    if (note) note.textContent = t(note.dataset.i18n);
    const root = this.buildHierarchy();
    // Read once, before anything is written, until the ResizeObserver reports the size.
    this.size ??= { w: this.container.clientWidth, h: this.container.clientHeight };
    const w = this.size.w || 800;
    const h = this.size.h || 500;
    const prevGeo = this.geo?.name;
    this.geo = this.chooseGeometry(root, w, h);
    this.svg.attr("data-geo", this.geo.name);
    const bounds = this.layout(root, w, h);
    const nodes = root.descendants();
    const fit = this.fit(bounds, w, h);
    const links = this.drawLinks(root.links());
    const { all, leaving } = this.drawNodes(nodes);
    const ms = this.moveMs();
    if (this.svg.attr("data-move-ms") !== String(ms)) this.svg.attr("data-move-ms", ms);
    this.place(nodes, all, links, leaving, fit, prevGeo !== this.geo.name);
  }

  /** The node picture: on the projector, the most detailed one whose text stays readable. */
  chooseGeometry(root, w, h) {
    const m = this.model;
    const room = { notes: 0, zombies: false, adopted: (root.children?.length ?? 0) > 1 };
    for (const n of root.descendants()) {
      if (!n.data.proc) continue;
      room.notes = Math.max(room.notes, notesFor(m, n.data.proc.pid).length);
      room.zombies ||= n.data.proc.life === "exited" && !n.data.ghost;
    }
    const now = room.notes;
    this.noteRoom = room.notes = Math.max(this.noteRoom, room.notes);
    if (!isProjector()) return geometry("full", room);
    let best = null;
    // The room kept for the most notes a node has had, then (if no picture is readable with
    // it) only what the nodes have now: readable text beats a tree that never moves.
    for (const notes of this.noteRoom > now ? [this.noteRoom, now] : [now]) {
      for (const name of PROJECTOR_GEOMETRIES) {
        const geo = geometry(name, { ...room, notes });
        const px = this.bestColumns(root, w, h, geo).k * geo.minFont;
        if (px >= MIN_PX) {
          this.noteRoom = notes;
          return geo;
        }
        if (!best || px > best.px) best = { geo, px };
      }
    }
    return best.geo; // a tree too big for any: the most readable, or the tiny one below
  }

  /** bestColumns, remembered per tree shape, size and picture: the same tree is not laid out
   * once per column count at every sample. */
  bestColumns(root, w, h, geo) {
    const shape = root.descendants().map((n) => n.children?.length ?? 0).join(",");
    const key = `${w}x${h}:${geo.name}:${geo.gapY}:${geo.topH}:${shape}`;
    let best = this.columns.get(key);
    if (!best) {
      if (this.columns.size > 64) this.columns.clear();
      best = bestColumns(root, w, h, geo);
      this.columns.set(key, best);
    }
    return best;
  }

  /** Lay the tree out with the number of grid columns that lets it be drawn largest. */
  layout(root, w, h) {
    const geo = this.geo;
    const most = widestLeafFamily(root);
    let best = this.bestColumns(root, w, h, geo);
    // Keep the current arrangement unless another is clearly better: nodes should not hop
    // (on the projector, only while its text stays readable).
    if (this.cols && this.cols <= most && this.cols !== best.cols) {
      const k = scaleFor(layoutTree(root, { ...geo, cols: this.cols }), w, h, geo);
      const readable = !isProjector() || k * geo.minFont >= Math.min(MIN_PX, best.k * geo.minFont);
      if (k >= best.k * 0.92 && readable) best = { cols: this.cols, k };
    }
    this.cols = best.cols;
    return layoutTree(root, { ...geo, cols: best.cols });
  }

  /** The view's transform that fits the bounds in w × h. */
  fit(bounds, w, h) {
    const k = scaleFor(bounds, w, h, this.geo);
    // Drawn this small, only the PID and the state letter can be read: show those, larger.
    this.tiny = k < 0.55;
    this.svg.classed("tiny", this.tiny);
    const tx = w / 2 - ((bounds.x0 + bounds.x1) / 2) * k;
    const ty = 16 + (this.geo.nodeH / 2) * k;
    const size = `${w}x${h}`;
    if (this.svgSize !== size) {
      this.svgSize = size;
      this.svg.attr("width", w).attr("height", h).attr("viewBox", `0 0 ${w} ${h}`);
    }
    return { tx, ty, k };
  }

  drawLinks(links) {
    const m = this.model;
    const sel = this.linkLayer.selectAll("path.link").data(links, (l) => l.target.id);
    sel.exit().remove();
    const all = sel.enter().append("path").attr("class", "link").style("opacity", 0).merge(sel);
    all.each(function (l) {
      const key = `${l.source.data.server ? 1 : 0}${m.adoptions.has(l.target.data.proc?.pid) ? 1 : 0}${l.target.data.ghost ? 1 : 0}`;
      if (this.__key === key) return;
      this.__key = key;
      d3.select(this)
        .classed("link-server", l.source.data.server)
        .classed("link-adopted", key[1] === "1")
        .classed("link-ghost", key[2] === "1");
    });
    return all;
  }

  drawNodes(nodes) {
    const sel = this.nodeLayer.selectAll("g.node").data(nodes, (d) => d.id);
    // Leaving nodes stay until the move has faded them (place()).
    const leaving = sel.exit().classed("leaving", true).attr("aria-hidden", "true");
    const view = this;
    const entered = sel
      .enter()
      .append("g")
      .attr("class", "node")
      .style("opacity", 0)
      .on("click", (ev, d) => {
        if (d.data.proc && !d.data.ghost) this.onNodeClick(d.data.proc, ev);
      })
      .on("keydown", (ev, d) => {
        if ((ev.key !== "Enter" && ev.key !== " ") || !d.data.proc || d.data.ghost) return;
        ev.preventDefault();
        const box = ev.currentTarget.getBoundingClientRect();
        this.onNodeClick(d.data.proc, { clientX: box.right, clientY: box.top });
      })
      .on("mouseenter", function (_, d) {
        if (d.data.proc) d3.select(this).select("title").text(titleFor(d.data.proc, shownStatus(d.data.proc)));
      });
    entered.each(function (d) {
      buildNode(d3.select(this), d);
    });
    const geo = this.geo;
    const all = entered.merge(sel);
    all.each(function (d) {
      const g = d3.select(this);
      if (this.dataset.geo !== geo.name) shapeNode(g, d, geo);
      view.updateNode(g, d, this);
    });
    return { all, leaving };
  }

  /** Put nodes and links where the layout says: at once for the first picture, a new picture
   * size or reduced motion; else a planned move (motion.js) in which no two nodes overlap. */
  place(nodes, all, links, leaving, fit, snap) {
    const targets = new Map(nodes.map((n) => [n.id, { x: n.x, y: n.y }]));
    const fitKey = `${fit.tx.toFixed(1)},${fit.ty.toFixed(1)},${fit.k.toFixed(3)}`;
    // A node already fading out in the move under way is no change.
    const planned = new Set(this.motion?.leaving ?? []);
    const newlyLeaving = leaving.nodes().some((el) => !planned.has(el));
    const changed = fitKey !== this.fitKey || newlyLeaving || targets.size !== this.targets.size
      || nodes.some((n) => {
        const o = this.targets.get(n.id);
        return !o || Math.abs(o.x - n.x) > 0.01 || Math.abs(o.y - n.y) > 0.01;
      });
    this.nodeEls = all;
    this.linkEls = links;
    if (!changed) return;
    this.fitKey = fitKey;
    const now = performance.now();
    const ms = this.moveMs();
    const first = !this.fitNow;
    const current = this.currentPositions(now);
    const fitFrom = this.fitNow ?? fit;
    this.targets = targets;
    if (first || snap || ms === 0) {
      leaving.remove();
      this.motion = null; // a move under way ends here, placed at once
      this.svg.attr("data-moving", null);
      this.fitNow = fit;
      this.view.attr("transform", transformOf(fit));
      for (const el of all.nodes()) setNode(el, targets.get(el.__data__.id), 1);
      for (const el of links.nodes()) setLink(el, this.linkPath(el.__data__, targets), 1);
      return;
    }
    const items = [];
    for (const el of all.nodes()) {
      const d = el.__data__;
      items.push({ id: d.id, from: current.get(d.id) ?? null, to: targets.get(d.id), box: this.boxOf(d, el) });
    }
    for (const el of leaving.nodes()) {
      const id = el.__data__.id;
      items.push({ id, from: current.get(id) ?? null, to: null, box: this.boxOf(el.__data__, el) });
    }
    const plan = planMoves(items.filter((i) => i.from || i.to));
    this.svg.attr("data-move-plan", plan.mode);
    this.motion = { start: now, ms, plan, fitFrom, fitTo: fit, leaving: leaving.nodes() };
    this.svg.attr("data-moving", "true");
    this.step();
  }

  /** Each visible node's position now (in the move under way, or where it was placed). */
  currentPositions(now) {
    const out = new Map();
    const mo = this.motion;
    if (!mo) {
      for (const [id, pos] of this.targets) out.set(id, pos);
      return out;
    }
    const t = Math.min(1, (now - mo.start) / mo.ms);
    const p = d3.easeCubicInOut(t);
    for (const [id, track] of mo.plan) {
      const pos = positionAt(track, p);
      if (pos && opacityAt(track, t) > 0) out.set(id, pos);
    }
    return out;
  }

  /** One frame of the move: nodes, links and the view's transform. */
  step() {
    const mo = this.motion;
    if (!mo) return;
    const t = Math.min(1, (performance.now() - mo.start) / mo.ms);
    const p = d3.easeCubicInOut(t);
    const { fitFrom: a, fitTo: b } = mo;
    // Zooming out is done in the first half and zooming in in the second, so that the tree,
    // spreading out or drawing together, stays in the panel while it moves.
    const v = b.k < a.k ? d3.easeCubicOut(Math.min(1, 2 * t)) : b.k > a.k ? d3.easeCubicIn(Math.max(0, 2 * t - 1)) : p;
    this.fitNow = { tx: a.tx + (b.tx - a.tx) * v, ty: a.ty + (b.ty - a.ty) * v, k: a.k + (b.k - a.k) * v };
    this.view.attr("transform", transformOf(this.fitNow));
    const at = new Map();
    const shown = new Map();
    for (const [id, track] of mo.plan) {
      at.set(id, positionAt(track, p) ?? (track.segments.length ? positionAt(track, track.segments[0].p0) : null));
      shown.set(id, opacityAt(track, t));
    }
    for (const el of [...this.nodeEls.nodes(), ...mo.leaving]) {
      const id = el.__data__.id;
      const pos = at.get(id);
      if (pos) setNode(el, pos, shown.get(id));
      else if (at.has(id)) el.style.opacity = "0"; // gone at once (it would be under a move)
    }
    for (const el of this.linkEls.nodes()) {
      const l = el.__data__;
      setLink(el, this.linkPath(l, at), shown.get(l.target.id) ?? 1);
    }
    if (t < 1) {
      requestAnimationFrame(() => {
        if (this.motion === mo) this.step();
      });
      return;
    }
    for (const el of mo.leaving) el.remove();
    this.motion = null;
    this.svg.attr("data-moving", null);
  }

  /** A link's path between where its two ends are drawn. */
  linkPath(l, at) {
    const s = at.get(l.source.id) ?? l.source;
    const e = at.get(l.target.id) ?? l.target;
    // Below the server the gap is its own (topH): its links turn within it.
    const geo = l.source.data.server ? { ...this.geo, gapY: this.geo.topH - this.geo.nodeH } : this.geo;
    return elbow(s, { ...l.target, x: e.x, y: e.y }, geo);
  }

  /** A node's box around its centre, with the notes that hang below it. */
  boxOf(d, el) {
    const geo = this.geo;
    const notes = el.__notes ?? 0;
    const w = d.data.server ? geo.serverW : geo.nodeW;
    const hw = notes ? Math.max(w, geo.colW - 6) / 2 : w / 2;
    const up = geo.nodeH / 2 + (el.__zombie ? geo.tag[1] : 0);
    return { hw, up, down: geo.nodeH / 2 + (notes ? 8 + notes * geo.noteH : 0) };
  }

  updateNode(g, d, el) {
    const geo = this.geo;
    if (d.data.server) {
      const pid = this.model.serverPid;
      const key = `${geo.name}|${pid}|${t("server_node")}`;
      if (el.__key === key) return;
      el.__key = key;
      g.attr("data-pid", pid ?? "").attr("data-role", "server");
      fitText(g.select(".l1"), t("server_node"), geo.serverW - 24);
      fitText(g.select(".l2"), `PID ${pid ?? "?"}`, geo.serverW - 24);
      return;
    }
    const m = this.model;
    const p = d.data.proc;
    const ghost = d.data.ghost;
    const status = shownStatus(p);
    const st = statusStyle(status);
    const zombie = p.life === "exited" && !ghost;
    const adoption = m.adoptions.get(p.pid);
    const act = m.activity;
    const blocked = ghost ? null : act.blocked.get(p.pid);
    const held = ghost ? [] : act.heldBy(p.pid);
    const error = act.errors.get(p.pid);
    const stepHold = ghost ? null : act.held.get(p.pid); // step mode: procviz holds it, not the OS
    const role = m.roleOf(p.pid);
    const notes = notesFor(m, p.pid);
    const selected = !ghost && this.isSelected(p.pid);
    const aria = [`PID ${p.pid} ${p.label ?? ""} ${t(`st_${status}`)}`, ...notes.map((n) => n.text)].join(" · ");
    // Drawn this small the third line is hidden (app.css .tiny): not written with every sample.
    const detail = geo.l3Px && !this.tiny ? this.detailLine(p, ghost, geo.name === "full") : "";
    const key = [geo.name, this.tiny, p.pid, p.ppid, status, p.life, p.label, p.name, role, ghost ? Math.round(d.data.fade * 20) : -1,
      blocked?.op, blocked?.on, blocked?.kind, held.join(" "), error?.type, stepHold?.lineno, Boolean(adoption), selected,
      aria, detail, t("zombie")].join("|");
    el.__notes = notes.length;
    el.__zombie = zombie;
    if (el.__key === key) return;
    el.__key = key;
    const wasGhost = g.classed("ghost");
    // A ghost no longer exists: psutil's word for that is "dead"; its last sample stays readable.
    g.attr("data-pid", p.pid)
      .attr("data-ppid", p.ppid)
      .attr("data-status", ghost ? "dead" : status)
      .attr("data-last-status", status)
      .attr("data-life", ghost ? "reaped" : p.life ?? "")
      .attr("data-gone", ghost ? "true" : null)
      .attr("data-role", role)
      .attr("data-label", p.label ?? "")
      .attr("data-blocked", blocked ? `${blocked.op}(${blocked.on})` : null)
      .attr("data-blocked-kind", blocked?.kind || null)
      .attr("data-holds", held.length ? held.join(" ") : null)
      .attr("data-error", error ? error.type : null)
      .attr("data-held-line", stepHold ? stepHold.lineno ?? "?" : null)
      .attr("tabindex", ghost ? null : 0)
      .attr("aria-label", aria)
      .classed("zombie", zombie)
      .classed("ghost", Boolean(ghost))
      .classed("ended", Boolean(d.data.ended))
      .attr("data-ended", d.data.ended ? "true" : null)
      .classed("blocked", Boolean(blocked))
      .classed("holder", held.length > 0)
      .classed("errored", Boolean(error))
      .classed("adopted", Boolean(adoption))
      .classed("held", Boolean(stepHold))
      .classed("selected", selected)
      .style("--status", st.color);
    // A ghost fades on its own clock; a move's fades multiply with it (setNode).
    if (ghost) el.__base = Math.max(0.08, 0.6 * (1 - d.data.fade));
    else if (wasGhost) el.__base = 1;
    if (el.__shown != null) {
      el.__o = (el.__base ?? 1) * el.__shown;
      el.style.opacity = String(el.__o);
    }

    g.select(".box").attr("stroke", ghost ? "#888" : st.color);
    g.select(".badge").attr("d", shapePath(st.shape, geo.badgeR)).attr("fill", ghost ? "#999" : st.color);
    g.select(".badge-letter").text(st.letter).attr("fill", st.ink);
    // The PID in the colour its console lines are tagged with.
    const textW = geo.nodeW - geo.textX - 10;
    fitText(g.select(".l1"), `PID ${p.pid}`, textW);
    g.select(".l1").style("fill", ghost ? null : pidColor(p.pid));
    // The role, unless the label already says it ("forkserver", "resource_tracker"); a
    // narrow node keeps the room for the name.
    const plain = (x) => String(x ?? "").toLowerCase().replace(/[\s_-]/g, "");
    const showRole = role && role !== "child" && (geo.name === "full" || !p.label) && plain(p.label) !== plain(role);
    const roleText = showRole ? ` · ${t(`role_${role}`)}` : "";
    fitText(g.select(".l2"), `${p.label || p.name || ""}${roleText}`, textW);
    // Changes with every sample: estimated, not measured, so a frame does not force a reflow per node.
    if (detail) {
      const px = geo.name === "full" && isProjector() ? PROJECTOR_L3_PX : geo.l3Px;
      fitText(g.select(".l3"), detail, textW, px * 0.62);
    }
    g.select(".zombie-tag").attr("display", zombie ? null : "none").select("text").text(`☠ ${t("zombie")}`);

    drawNotes(g, notes, geo);
  }

  /** The third line: state, and exit code once known; with CPU and memory in the full picture. */
  detailLine(p, ghost, full = true) {
    if (ghost) {
      const code = ghost.exitcode != null ? ` · ${t("exit_code")} ${ghost.exitcode}` : "";
      return `${t("gone")}${code}`;
    }
    const parts = [t(`st_${shownStatus(p)}`)];
    if (p.life === "exited") {
      // The point of the lesson: it has exited, but nobody has waited for it yet.
      parts.push(p.exitcode != null ? `${t("exit_code")} ${p.exitcode}` : t("not_reaped"));
    } else if (full) {
      parts.push(`${(p.cpu_percent ?? 0).toFixed(0)}%`);
      if (p.rss) parts.push(mib(p.rss));
    }
    return parts.join(" · ");
  }
}

/** The full record, for the node's hover title. */
function titleFor(p, status) {
  return [`PID ${p.pid} · PPID ${p.ppid}`, `${p.label ?? ""} (${p.name ?? ""})`, `${t(`st_${status}`)} · CPU ${p.cpu_percent ?? 0}%`,
    `${t("detail_memory")} ${mib(p.rss)} · ${p.threads ?? "?"} ${t("threads")}`].join("\n");
}

const transformOf = ({ tx, ty, k }) => `translate(${tx},${ty}) scale(${k})`;

/** A node at a place and opacity (times its ghost's own fade); nothing written if unchanged. */
function setNode(el, pos, shown) {
  const tr = `translate(${pos.x.toFixed(1)},${pos.y.toFixed(1)})`;
  if (el.__tr !== tr) {
    el.__tr = tr;
    el.setAttribute("transform", tr);
  }
  const o = (el.__base ?? 1) * shown;
  if (el.__shown !== shown || el.__o !== o) {
    el.__shown = shown;
    el.__o = o;
    el.style.opacity = String(o);
  }
}

function setLink(el, d, shown) {
  if (el.__d !== d) {
    el.__d = d;
    el.setAttribute("d", d);
  }
  if (el.__shown !== shown) {
    el.__shown = shown;
    el.style.opacity = shown === 1 ? "" : String(shown);
  }
}

/** A node's parts; shapeNode puts them in place for the current picture. */
function buildNode(g, d) {
  if (d.data.server) {
    g.classed("server", true);
    g.append("rect").attr("class", "box").attr("rx", 6);
    g.append("rect").attr("class", "box-inner").attr("rx", 3);
    g.append("text").attr("class", "l1").attr("x", 0).attr("text-anchor", "middle");
    g.append("text").attr("class", "l2").attr("x", 0).attr("text-anchor", "middle");
    return;
  }
  g.append("title"); // the full record, on hover
  const tag = g.append("g").attr("class", "zombie-tag");
  tag.append("rect").attr("rx", 5);
  tag.append("text").attr("text-anchor", "middle");
  g.append("rect").attr("class", "box").attr("rx", 10);
  g.append("path").attr("class", "badge");
  g.append("text").attr("class", "badge-letter").attr("y", 0).attr("dy", "0.36em").attr("text-anchor", "middle");
  g.append("text").attr("class", "l1");
  g.append("text").attr("class", "l2").attr("translate", "no"); // the process's name (and role)
  g.append("text").attr("class", "l3");
  g.append("g").attr("class", "notes");
}

/** Size and place a node's parts for a picture (GEOMETRIES); its labels are fitted again. */
function shapeNode(g, d, geo) {
  g.attr("data-geo", geo.name);
  g.selectAll("text").attr("data-fit", null);
  const w = d.data.server ? geo.serverW : geo.nodeW;
  const x = -w / 2;
  const y = -geo.nodeH / 2;
  g.select(".box").attr("x", x).attr("y", y).attr("width", w).attr("height", geo.nodeH);
  if (d.data.server) {
    g.select(".box-inner").attr("x", x + 5).attr("y", y + 5).attr("width", w - 10).attr("height", geo.nodeH - 10);
    g.select(".l1").attr("y", geo.serverLines[0]);
    g.select(".l2").attr("y", geo.serverLines[1]);
    return;
  }
  const [tagW, tagH] = geo.tag;
  const tag = g.select(".zombie-tag").attr("transform", `translate(${w / 2},${y})`);
  tag.select("rect").attr("x", -tagW).attr("y", -tagH).attr("width", tagW).attr("height", tagH);
  tag.select("text").attr("x", -tagW / 2).attr("y", -tagH * 0.29);
  g.select(".badge").attr("transform", `translate(${x + geo.badgeX},0)`);
  g.select(".badge-letter").attr("x", x + geo.badgeX);
  const [y1, y2, y3] = geo.lines;
  g.select(".l1").attr("x", x + geo.textX).attr("y", y + y1);
  g.select(".l2").attr("x", x + geo.textX).attr("y", y + y2);
  g.select(".l3").attr("x", x + geo.textX).attr("y", y + (y3 ?? 0)).attr("display", y3 == null ? "none" : null);
  g.select(".notes").attr("transform", `translate(0,${geo.nodeH / 2 + 8})`);
  g.select(".notes").selectAll("g.note").remove(); // drawn again at this picture's size
}

/** What hangs below a node: what it waits for, holds, runs or failed with; its copies of
 * variables (those it changed, or whose copy differs from another process's); who adopted it. */
function notesFor(m, pid) {
  const notes = [];
  const act = m.activity;
  const gone = !m.processes.has(pid);
  const stepHold = gone ? null : act.held.get(pid);
  if (stepHold) notes.push({ cls: "held", text: `${t("held_at").replace("{n}", stepHold.lineno ?? "?")}` });
  const blocked = gone ? null : act.blocked.get(pid);
  // `code`: the end of the text that is the program's (a call, a name, a value), marked as code.
  const withCode = (cls, words, code) => ({ cls, text: `${words}${code}`, code });
  if (blocked) notes.push(withCode("blocked", `${t("blocked")}: `, `${blocked.op}(${blocked.on})`));
  const held = gone ? [] : act.heldBy(pid);
  if (held.length) notes.push(withCode("holds", `${t("holds")} `, held.join(", ")));
  const task = gone ? null : act.tasks.get(pid);
  if (task) notes.push(withCode("task", `${t("task")}: `, `${task.fn || "?"}()`));
  const error = act.errors.get(pid);
  if (error) notes.push(withCode("error", "", clip(`${error.type}: ${error.message}`, 36)));
  for (const [name, v] of m.shownValues(pid)) notes.push(withCode("value", "", `${name} = ${fmtValue(v)}`));
  const adoption = m.adoptions.get(pid);
  if (adoption) {
    notes.push({ cls: "adopt", text: `↑ ${t("adopted")}` });
    notes.push({ cls: "adopt-sub", text: t("adopted_host") });
    notes.push({ cls: "adopt-sub", text: `${t("was_child_of")} ${adoption.old_ppid}` });
  }
  return notes;
}

/** The scale at which bounds fit w × h; a one-node tree is not blown up to fill the panel. */
function scaleFor({ x0, x1, y1 }, w, h, geo) {
  // The server pseudo-node, wider on the projector, is alone on top, centred.
  const bw = Math.max(x1 - x0 + geo.nodeW, geo.serverW) + 40;
  const bh = y1 + geo.nodeH + geo.gapY + 20;
  // The view starts 16 px below the top (fit) in screen pixels, not scaled with the tree: a
  // tree drawn tiny needs those pixels as well, or its last row is cut off.
  const bottom = (h - 20) / (y1 + geo.nodeH);
  return Math.min(MAX_SCALE, w / Math.max(bw, 2.5 * geo.colW), h / Math.max(bh, geo.topH + 2 * geo.rowH), bottom);
}

/** The number of grid columns that lets the tree be drawn largest with this picture, and that scale. */
function bestColumns(root, w, h, geo) {
  let best = null;
  for (let cols = widestLeafFamily(root); cols >= 1; cols--) {
    const k = scaleFor(layoutTree(root, { ...geo, cols }), w, h, geo);
    if (!best || k > best.k * 1.001) best = { cols, k };
  }
  return best;
}

/** Set a label, squeezing it into maxWidth if it is longer (names and words vary). */
function fitText(sel, text, maxWidth, charWidth) {
  if (sel.text() === text && sel.attr("data-fit") === String(maxWidth)) return;
  sel.text(text).attr("textLength", null).attr("data-fit", maxWidth);
  const width = charWidth ? [...text].reduce((w, c) => w + (c.charCodeAt(0) > 0x2e80 ? 1.7 : 1) * charWidth, 0) : sel.node().getComputedTextLength();
  if (width > maxWidth) {
    sel.attr("textLength", maxWidth).attr("lengthAdjust", "spacingAndGlyphs");
  }
}

/** The notes' font size in the tree's units (app.css / projector.css `.note text`). */
function notePx(geo) {
  if (geo.name === "full") return isProjector() ? 20 : 18;
  return geo.name === "state" ? 24 : 26;
}

/** A line's width in a monospaced face (0.6 em a character; a CJK character a full em). */
function estimateWidth(text, px) {
  let w = 0;
  for (const c of text) w += c.charCodeAt(0) > 0x2e80 ? px : px * 0.62;
  return w;
}

function clip(s, n) {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

function drawNotes(g, notes, geo) {
  const sel = g.select(".notes").selectAll("g.note").data(notes, (n, i) => `${n.cls}:${n.cls === "value" ? n.text.split(" =")[0] : i}`);
  sel.exit().remove();
  const entered = sel.enter().append("g").attr("class", (n) => `note note-${n.cls}`);
  entered.append("rect").attr("rx", 5);
  entered.append("text").attr("text-anchor", "middle");
  entered
    .merge(sel)
    .attr("transform", (_, i) => `translate(0,${i * geo.noteH})`)
    .each(function (n) {
      const ng = d3.select(this);
      const text = ng.select("text").attr("y", geo.noteH * 0.62);
      if (text.text() === n.text && this.dataset.geo === geo.name) return;
      this.dataset.geo = geo.name;
      text.text(n.code ? n.text.slice(0, n.text.length - n.code.length) : n.text).attr("textLength", null);
      if (n.code) text.append("tspan").attr("class", "note-code").attr("translate", "no").text(n.code);
      // Estimated, not measured: notes change with every wait and lock, and a measure after
      // each write would lay the page out once per note.
      const natural = estimateWidth(n.text, notePx(geo));
      const w = Math.min(geo.colW - 6, natural + 20);
      ng.select("rect").attr("x", -w / 2).attr("y", 0).attr("width", w).attr("height", geo.noteH - 4);
      if (natural > w - 12) text.attr("textLength", w - 12).attr("lengthAdjust", "spacingAndGlyphs");
    });
}
