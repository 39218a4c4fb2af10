// The process tree: parent above children, the procviz server as a pseudo-node on top.

import { t } from "./i18n.js";
import { elbow, layoutTree, widestLeafFamily } from "./layout.js";
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
const MOVE_MS = window.matchMedia?.("(prefers-reduced-motion: reduce)").matches ? 0 : 900;
const MIN_FRAME_MS = 90;
const SERVER_ID = "server";

/** A picture's sizes, with room between levels for the most notes any node carries (and for
 * a zombie's tag above it), and no more. */
function geometry(name, { notes, zombies, adopted }) {
  const g = GEOMETRIES[name];
  const tagRoom = zombies ? g.tag[1] + 8 : 0;
  const gapY = Math.max(g.gapYMin, 20 + g.noteH * notes, tagRoom);
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
  constructor(container, model, { onNodeClick, isSelected } = {}) {
    this.container = container;
    this.model = model;
    this.onNodeClick = onNodeClick ?? (() => {});
    this.isSelected = isSelected ?? (() => false);
    this.svg = d3.select(container).append("svg").attr("class", "tree-svg").attr("role", "group").attr("aria-label", t("processes"));
    this.view = this.svg.append("g").attr("class", "view");
    this.linkLayer = this.view.append("g").attr("class", "links");
    this.nodeLayer = this.view.append("g").attr("class", "nodes");
    this.positions = new Map(); // id -> {x, y} last drawn, so moves animate from there
    this.lastFrame = 0;
    this.pending = false;
    this.viewKey = "";
    this.noteRoom = 0; // the most notes a node has had: room kept, so notes coming and going do not move the tree
    model.on("reset", () => {
      this.noteRoom = 0;
    });
    new ResizeObserver(() => this.schedule()).observe(container);
    // Ghosts fade out on a clock of their own.
    setInterval(() => {
      if (this.model.prune() || this.model.ghosts.size) this.schedule();
    }, 250);
  }

  schedule() {
    if (this.pending) return;
    this.pending = true;
    const wait = Math.max(0, MIN_FRAME_MS - (performance.now() - this.lastFrame));
    setTimeout(() => requestAnimationFrame(() => this.draw()), wait);
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
    this.pending = false;
    this.lastFrame = performance.now();
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
    const w = this.container.clientWidth || 800;
    const h = this.container.clientHeight || 500;
    this.geo = this.chooseGeometry(root, w, h);
    this.svg.attr("data-geo", this.geo.name);
    const bounds = this.layout(root, w, h);
    const nodes = root.descendants();
    this.fit(bounds, w, h);
    this.drawLinks(root.links());
    this.drawNodes(nodes);
    for (const n of nodes) this.positions.set(n.id, { x: n.x, y: n.y });
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
    this.noteRoom = room.notes = Math.max(this.noteRoom, room.notes);
    if (!isProjector()) return geometry("full", room);
    let best = null;
    for (const name of PROJECTOR_GEOMETRIES) {
      const geo = geometry(name, room);
      const px = bestColumns(root, w, h, geo).k * geo.minFont;
      if (px >= MIN_PX) return geo;
      if (!best || px > best.px) best = { geo, px };
    }
    return best.geo; // a tree too big for any: the most readable, or the tiny one below
  }

  /** Lay the tree out with the number of grid columns that lets it be drawn largest. */
  layout(root, w, h) {
    const geo = this.geo;
    const most = widestLeafFamily(root);
    let best = bestColumns(root, w, h, geo);
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

  fit(bounds, w, h) {
    const k = scaleFor(bounds, w, h, this.geo);
    // Drawn this small, only the PID and the state letter can be read: show those, larger.
    this.svg.classed("tiny", k < 0.55);
    const tx = w / 2 - ((bounds.x0 + bounds.x1) / 2) * k;
    const ty = 16 + (this.geo.nodeH / 2) * k;
    const key = `${tx.toFixed(1)},${ty.toFixed(1)},${k.toFixed(3)}`;
    this.svg.attr("width", w).attr("height", h).attr("viewBox", `0 0 ${w} ${h}`);
    if (key === this.viewKey) return;
    const transform = `translate(${tx},${ty}) scale(${k})`;
    // The first picture appears in place; later ones glide.
    if (this.viewKey) this.view.transition("fit").duration(MOVE_MS).attr("transform", transform);
    else this.view.attr("transform", transform);
    this.viewKey = key;
  }

  fromPos(d) {
    // A new node grows out of its parent's last position.
    return this.positions.get(d.id) ?? this.positions.get(d.parent?.id) ?? { x: d.x, y: d.y };
  }

  drawLinks(links) {
    const m = this.model;
    // Below the server the gap is its own (topH): its links turn within it.
    const top = { ...this.geo, gapY: this.geo.topH - this.geo.nodeH };
    const geoOf = (l) => (l.source.data.server ? top : this.geo);
    const sel = this.linkLayer.selectAll("path.link").data(links, (l) => l.target.id);
    sel.exit().transition().duration(300).style("opacity", 0).remove();
    const entered = sel
      .enter()
      .append("path")
      .attr("class", "link")
      .attr("d", (l) => {
        const o = this.fromPos(l.target);
        const s = this.positions.get(l.source.id) ?? o;
        return elbow(s, { ...l.target, x: o.x, y: o.y }, geoOf(l));
      });
    const all = entered.merge(sel);
    all
      .classed("link-server", (l) => l.source.data.server)
      .classed("link-adopted", (l) => m.adoptions.has(l.target.data.proc?.pid))
      .classed("link-ghost", (l) => Boolean(l.target.data.ghost));
    all.each(function (l) {
      const target = elbow(l.source, l.target, geoOf(l));
      if (this.dataset.target === target) return;
      this.dataset.target = target;
      d3.select(this).transition("move").duration(MOVE_MS).ease(d3.easeCubicInOut).attr("d", target);
    });
  }

  drawNodes(nodes) {
    const sel = this.nodeLayer.selectAll("g.node").data(nodes, (d) => d.id);
    sel.exit().transition().duration(300).style("opacity", 0).remove();
    const entered = sel
      .enter()
      .append("g")
      .attr("class", "node")
      .attr("transform", (d) => {
        const o = this.fromPos(d);
        return `translate(${o.x},${o.y})`;
      })
      .style("opacity", 0)
      .on("click", (ev, d) => {
        if (d.data.proc && !d.data.ghost) this.onNodeClick(d.data.proc, ev);
      })
      .on("keydown", (ev, d) => {
        if ((ev.key !== "Enter" && ev.key !== " ") || !d.data.proc || d.data.ghost) return;
        ev.preventDefault();
        const box = ev.currentTarget.getBoundingClientRect();
        this.onNodeClick(d.data.proc, { clientX: box.right, clientY: box.top });
      });
    entered.each(function (d) {
      buildNode(d3.select(this), d);
    });
    const geo = this.geo;
    // What is there when the page opens is simply there; what comes later fades in.
    if (this.drawnOnce) entered.transition("enter").duration(400).style("opacity", 1);
    else entered.style("opacity", 1);
    this.drawnOnce = true;

    const all = entered.merge(sel);
    const view = this;
    all.each(function (d) {
      const g = d3.select(this);
      if (this.dataset.geo !== geo.name) shapeNode(g, d, geo);
      view.updateNode(g, d);
      const target = `translate(${d.x},${d.y})`;
      if (this.dataset.target !== target) {
        this.dataset.target = target;
        g.transition("move").duration(MOVE_MS).ease(d3.easeCubicInOut).attr("transform", target);
      }
    });
  }

  updateNode(g, d) {
    const geo = this.geo;
    if (d.data.server) {
      const pid = this.model.serverPid;
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
      .attr("aria-label", [`PID ${p.pid} ${p.label ?? ""} ${t(`st_${status}`)}`, ...notesFor(m, p.pid).map((n) => n.text)].join(" · "))
      .classed("zombie", zombie)
      .classed("ghost", Boolean(ghost))
      .classed("ended", Boolean(d.data.ended))
      .attr("data-ended", d.data.ended ? "true" : null)
      .classed("blocked", Boolean(blocked))
      .classed("holder", held.length > 0)
      .classed("errored", Boolean(error))
      .classed("adopted", Boolean(adoption))
      .classed("held", Boolean(stepHold))
      .classed("selected", !ghost && this.isSelected(p.pid))
      .style("--status", st.color);
    if (ghost) g.interrupt("enter").style("opacity", Math.max(0.08, 0.6 * (1 - d.data.fade)));
    else if (wasGhost) g.style("opacity", 1);

    g.select(".box").attr("stroke", ghost ? "#888" : st.color);
    g.select(".badge").attr("d", shapePath(st.shape, geo.badgeR)).attr("fill", ghost ? "#999" : st.color);
    g.select(".badge-letter").text(st.letter).attr("fill", st.ink);
    // The PID in the colour its console lines are tagged with.
    g.select("title").text(
      [`PID ${p.pid} · PPID ${p.ppid}`, `${p.label ?? ""} (${p.name ?? ""})`, `${t(`st_${status}`)} · CPU ${p.cpu_percent ?? 0}%`,
        `${t("detail_memory")} ${mib(p.rss)} · ${p.threads ?? "?"} ${t("threads")}`].join("\n"),
    );
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
    if (geo.l3Px) {
      const px = geo.name === "full" && isProjector() ? PROJECTOR_L3_PX : geo.l3Px;
      fitText(g.select(".l3"), this.detailLine(p, ghost, geo.name === "full"), textW, px * 0.62);
    }
    g.select(".zombie-tag").attr("display", zombie ? null : "none").select("text").text(`☠ ${t("zombie")}`);

    drawNotes(g, notesFor(m, p.pid), geo);
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
  return Math.min(MAX_SCALE, w / Math.max(bw, 2.5 * geo.colW), h / Math.max(bh, geo.topH + 2 * geo.rowH));
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
