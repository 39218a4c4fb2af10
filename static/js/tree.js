// The process tree: parent above children, the procviz server as a pseudo-node on top.

import { t } from "./i18n.js";
import { elbow, layoutTree, widestLeafFamily } from "./layout.js";
import { GHOST_MS } from "./state.js";
import { pidColor, shapePath, statusStyle } from "./status.js";

const d3 = window.d3;

const NODE_W = 300;
const NODE_H = 100;
const GAP_X = 36;
const NOTE_H = 34; // one value or adoption note below a node
const GAP_Y_MIN = 56;
const MAX_SCALE = 1.25;
const TEXT_X = 72; // where a node's text starts, right of its status badge
// Moves are the lesson (an orphan changing parent), but not for readers who asked for less motion.
const MOVE_MS = window.matchMedia?.("(prefers-reduced-motion: reduce)").matches ? 0 : 900;
const MIN_FRAME_MS = 90;
const SERVER_ID = "server";

const COL_W = NODE_W + GAP_X;

/** Room between levels: enough for the most notes any node carries, and no more. */
function geometry(notes) {
  const gapY = Math.max(GAP_Y_MIN, 20 + NOTE_H * notes);
  return { nodeH: NODE_H, gapY, gapX: GAP_X, colW: COL_W, rowH: NODE_H + gapY };
}

function mib(bytes) {
  return bytes ? `${(bytes / 1048576).toFixed(1)} ${t("mib")}` : "";
}

function fmtValue(v) {
  if (typeof v === "string") return v;
  const s = JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 39)}…` : s;
}

export class TreeView {
  constructor(container, model, { onNodeClick } = {}) {
    this.container = container;
    this.model = model;
    this.onNodeClick = onNodeClick ?? (() => {});
    this.svg = d3.select(container).append("svg").attr("class", "tree-svg").attr("role", "group").attr("aria-label", t("processes"));
    this.view = this.svg.append("g").attr("class", "view");
    this.linkLayer = this.view.append("g").attr("class", "links");
    this.nodeLayer = this.view.append("g").attr("class", "nodes");
    this.positions = new Map(); // id -> {x, y} last drawn, so moves animate from there
    this.lastFrame = 0;
    this.pending = false;
    this.viewKey = "";
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
    for (const [pid, g] of m.ghosts) {
      if (!m.processes.has(pid)) items.push({ proc: g.proc, ghost: g, fade: (now - g.removedAt) / GHOST_MS });
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

    const ended = m.isTerminal() && m.processes.size === 0 && m.ghosts.size === 0;
    this.container.classList.toggle("is-ended", ended);
    const root = this.buildHierarchy();
    const w = this.container.clientWidth || 800;
    const h = this.container.clientHeight || 500;
    const most = d3.max(root.descendants(), (n) => (n.data.proc ? notesFor(m, n.data.proc.pid).length : 0));
    this.geo = geometry(most ?? 0);
    const bounds = this.layout(root, w, h);
    const nodes = root.descendants();
    this.fit(bounds, w, h);
    this.drawLinks(root.links());
    this.drawNodes(nodes);
    for (const n of nodes) this.positions.set(n.id, { x: n.x, y: n.y });
  }

  /** Lay the tree out with the number of grid columns that lets it be drawn largest. */
  layout(root, w, h) {
    const most = widestLeafFamily(root);
    let best = null;
    for (let cols = most; cols >= 1; cols--) {
      const k = scaleFor(layoutTree(root, { ...this.geo, cols }), w, h, this.geo);
      if (!best || k > best.k * 1.001) best = { cols, k };
    }
    // Keep the current arrangement unless another is clearly better: nodes should not hop.
    if (this.cols && this.cols <= most && this.cols !== best.cols) {
      const k = scaleFor(layoutTree(root, { ...this.geo, cols: this.cols }), w, h, this.geo);
      if (k >= best.k * 0.92) best = { cols: this.cols, k };
    }
    this.cols = best.cols;
    return layoutTree(root, { ...this.geo, cols: best.cols });
  }

  fit(bounds, w, h) {
    const k = scaleFor(bounds, w, h, this.geo);
    // Drawn this small, only the PID and the state letter can be read: show those, larger.
    this.svg.classed("tiny", k < 0.55);
    const tx = w / 2 - ((bounds.x0 + bounds.x1) / 2) * k;
    const ty = 16 + (NODE_H / 2) * k;
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
    const geo = this.geo;
    const sel = this.linkLayer.selectAll("path.link").data(links, (l) => l.target.id);
    sel.exit().transition().duration(300).style("opacity", 0).remove();
    const entered = sel
      .enter()
      .append("path")
      .attr("class", "link")
      .attr("d", (l) => {
        const o = this.fromPos(l.target);
        const s = this.positions.get(l.source.id) ?? o;
        return elbow(s, { ...l.target, x: o.x, y: o.y }, this.geo);
      });
    const all = entered.merge(sel);
    all
      .classed("link-server", (l) => l.source.data.server)
      .classed("link-adopted", (l) => m.adoptions.has(l.target.data.proc?.pid))
      .classed("link-ghost", (l) => Boolean(l.target.data.ghost));
    all.each(function (l) {
      const target = elbow(l.source, l.target, geo);
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
    // What is there when the page opens is simply there; what comes later fades in.
    if (this.drawnOnce) entered.transition("enter").duration(400).style("opacity", 1);
    else entered.style("opacity", 1);
    this.drawnOnce = true;

    const all = entered.merge(sel);
    const view = this;
    all.each(function (d) {
      const g = d3.select(this);
      view.updateNode(g, d);
      const target = `translate(${d.x},${d.y})`;
      if (this.dataset.target !== target) {
        this.dataset.target = target;
        g.transition("move").duration(MOVE_MS).ease(d3.easeCubicInOut).attr("transform", target);
      }
    });
  }

  updateNode(g, d) {
    if (d.data.server) {
      const pid = this.model.serverPid;
      g.attr("data-pid", pid ?? "").attr("data-role", "server");
      fitText(g.select(".l1"), t("server_node"), NODE_W - 24);
      fitText(g.select(".l2"), `PID ${pid ?? "?"}`, NODE_W - 24);
      return;
    }
    const m = this.model;
    const p = d.data.proc;
    const ghost = d.data.ghost;
    const st = statusStyle(p.status);
    const zombie = p.status === "zombie" && !ghost;
    const adoption = m.adoptions.get(p.pid);
    const wasGhost = g.classed("ghost");
    // A ghost no longer exists: psutil's word for that is "dead"; its last sample stays readable.
    g.attr("data-pid", p.pid)
      .attr("data-ppid", p.ppid)
      .attr("data-status", ghost ? "dead" : p.status)
      .attr("data-last-status", p.status)
      .attr("data-gone", ghost ? "true" : null)
      .attr("data-role", p.role ?? "")
      .attr("data-label", p.label ?? "")
      .attr("tabindex", ghost ? null : 0)
      .attr("aria-label", `PID ${p.pid} ${p.label ?? ""} ${t(`st_${p.status}`)}`)
      .classed("zombie", zombie)
      .classed("ghost", Boolean(ghost))
      .classed("provisional", Boolean(p.provisional))
      .classed("adopted", Boolean(adoption))
      .style("--status", st.color);
    if (ghost) g.interrupt("enter").style("opacity", Math.max(0.08, 0.6 * (1 - d.data.fade)));
    else if (wasGhost) g.style("opacity", 1);

    g.select(".box").attr("stroke", ghost ? "#888" : st.color);
    g.select(".badge").attr("d", shapePath(st.shape, 22)).attr("fill", ghost ? "#999" : st.color);
    g.select(".badge-letter").text(st.letter).attr("fill", st.ink);
    // The PID in the colour its console lines are tagged with.
    g.select("title").text(
      [`PID ${p.pid} · PPID ${p.ppid}`, `${p.label ?? ""} (${p.name ?? ""})`, `${p.status} · CPU ${p.cpu_percent ?? 0}%`,
        `RSS ${mib(p.rss)} · ${p.threads ?? "?"} ${t("threads")}`].join("\n"),
    );
    fitText(g.select(".l1"), `PID ${p.pid}`, NODE_W - TEXT_X - 10);
    g.select(".l1").style("fill", ghost ? null : pidColor(p.pid));
    // The role, unless the label already says it ("forkserver", "resource_tracker").
    const plain = (x) => String(x ?? "").toLowerCase().replace(/[\s_-]/g, "");
    const role = p.role && p.role !== "child" && plain(p.label) !== plain(p.role) ? ` · ${t(`role_${p.role}`)}` : "";
    fitText(g.select(".l2"), `${p.label || p.name || ""}${role}`, NODE_W - TEXT_X - 10);
    // Changes with every sample: estimated, not measured, so a frame does not force a reflow per node.
    fitText(g.select(".l3"), this.detailLine(p, ghost), NODE_W - TEXT_X - 10, 17 * 0.62);
    g.select(".zombie-tag").attr("display", zombie ? null : "none").select("text").text(`☠ ${t("zombie")}`);

    drawNotes(g, notesFor(m, p.pid));
  }

  detailLine(p, ghost) {
    if (ghost) {
      const code = p.exitcode != null ? ` · ${t("exit_code")} ${p.exitcode}` : "";
      return `${t("gone")}${code}`;
    }
    const parts = [t(`st_${p.status}`)];
    if (p.status === "zombie") {
      // The point of the lesson: it has exited, but nobody has waited for it yet.
      parts.push(p.exitcode != null ? `${t("exit_code")} ${p.exitcode}` : t("not_reaped"));
    } else if (p.exitcode != null) parts.push(`${t("exit_code")} ${p.exitcode}`);
    else {
      parts.push(`${(p.cpu_percent ?? 0).toFixed(0)}%`);
      if (p.rss) parts.push(mib(p.rss));
    }
    return parts.join(" · ");
  }
}

function buildNode(g, d) {
  const x = -NODE_W / 2;
  const y = -NODE_H / 2;
  if (d.data.server) {
    g.classed("server", true);
    g.append("rect").attr("class", "box").attr("x", x).attr("y", y).attr("width", NODE_W).attr("height", NODE_H).attr("rx", 6);
    g.append("rect").attr("class", "box-inner").attr("x", x + 5).attr("y", y + 5).attr("width", NODE_W - 10).attr("height", NODE_H - 10).attr("rx", 3);
    g.append("text").attr("class", "l1").attr("x", 0).attr("y", -6).attr("text-anchor", "middle");
    g.append("text").attr("class", "l2").attr("x", 0).attr("y", 24).attr("text-anchor", "middle");
    return;
  }
  g.append("title"); // the full record, on hover
  const tag = g.append("g").attr("class", "zombie-tag").attr("transform", `translate(${NODE_W / 2},${y})`);
  tag.append("rect").attr("x", -150).attr("y", -34).attr("width", 150).attr("height", 34).attr("rx", 5);
  tag.append("text").attr("x", -75).attr("y", -10).attr("text-anchor", "middle");
  g.append("rect").attr("class", "box").attr("x", x).attr("y", y).attr("width", NODE_W).attr("height", NODE_H).attr("rx", 10);
  g.append("path").attr("class", "badge").attr("transform", `translate(${x + 34},0)`);
  g.append("text").attr("class", "badge-letter").attr("x", x + 34).attr("y", 0).attr("dy", "0.36em").attr("text-anchor", "middle");
  const tx = x + TEXT_X;
  g.append("text").attr("class", "l1").attr("x", tx).attr("y", y + 28);
  g.append("text").attr("class", "l2").attr("x", tx).attr("y", y + 55);
  g.append("text").attr("class", "l3").attr("x", tx).attr("y", y + 81);
  g.append("g").attr("class", "notes").attr("transform", `translate(0,${NODE_H / 2 + 8})`);
}

/** What hangs below a node: its copies of variables, and who adopted it. */
function notesFor(m, pid) {
  const notes = [];
  for (const [name, v] of m.values.get(pid) ?? []) notes.push({ cls: "value", text: `${name} = ${fmtValue(v)}` });
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
  const bw = Math.max(x1 - x0 + NODE_W + 40, 2.5 * geo.colW);
  const bh = Math.max(y1 + NODE_H + geo.gapY + 20, 3 * geo.rowH);
  return Math.min(MAX_SCALE, w / bw, h / bh);
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

function drawNotes(g, notes) {
  const sel = g.select(".notes").selectAll("g.note").data(notes, (n, i) => `${n.cls}:${n.cls === "value" ? n.text.split(" =")[0] : i}`);
  sel.exit().remove();
  const entered = sel.enter().append("g").attr("class", (n) => `note note-${n.cls}`);
  entered.append("rect").attr("rx", 5);
  entered.append("text").attr("text-anchor", "middle");
  entered
    .merge(sel)
    .attr("transform", (_, i) => `translate(0,${i * 34})`)
    .each(function (n) {
      const ng = d3.select(this);
      const text = ng.select("text").attr("y", 21);
      if (text.text() === n.text) return;
      text.text(n.text).attr("textLength", null);
      const natural = text.node().getComputedTextLength();
      const w = Math.min(NODE_W + GAP_X - 6, natural + 20);
      ng.select("rect").attr("x", -w / 2).attr("y", 0).attr("width", w).attr("height", 30);
      if (natural > w - 12) text.attr("textLength", w - 12).attr("lengthAdjust", "spacingAndGlyphs");
    });
}
