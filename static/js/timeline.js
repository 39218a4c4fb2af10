// The timeline: one lane per process, from its birth to its reap (or removal), coloured by the
// state sampled at each moment, a zombie (Z) from its exit to its reap; exits marked.
// join()'s "one after another" vs "side by side" shows here.
// DOM hooks: g.lane[data-pid][data-start][data-end][data-exit] and rect.seg[data-status]
// [data-from][data-to], times in server seconds (data-end empty while the process lives).
// Markers: g.marker[data-kind][data-t] on each lane, kinds spawn exit reap adopt (its life)
// and value queue lock stdout (the lesson's own events; lock: a lock's acquire/release, the
// tracer's sync events), each with a <title> saying what happened. The time axis follows
// "now" while live; the wheel / + − zoom it, dragging pans, "Fit all" / "Follow live" give the
// view back (#timeline[data-mode] follow | all | manual). Lanes share the panel's height (each
// between LANE_MIN and LANE_MAX tall); when they do not fit, the panel scrolls smoothly to the
// active process's lane while following live (#timeline[data-lane-h], [data-active-pid]).

import { onLangChange, t } from "./i18n.js";
import { pidColor, statusStyle } from "./status.js";
import { queueCapacity } from "./state.js";

const d3 = window.d3;

const LANE_MAX = 44;
const LANE_MIN = 32; // the bar, the events' strip under it and their glyphs, no more
const USER_SCROLL_MS = 5000; // a reader who scrolled the lanes keeps their place this long
const SMOOTH = window.matchMedia?.("(prefers-reduced-motion: reduce)").matches ? "auto" : "smooth";
const BAR_H = 18;
const EVENT_Y = BAR_H + 8; // the lesson's events: a strip under the bar
const LABEL_W = 230;
const AXIS_H = 26;
const REDRAW_MS = 250;
const FOLLOW_S = 60; // while live, the last minute (all of it while shorter)
const MAX_MARKERS = 300;
const MAX_EVENTS = 20000;
const MIN_SPAN_S = 0.05; // the deepest zoom: 50 ms across the lanes
const LIFE_KINDS = new Set(["spawn", "exit", "reap", "adopt"]);
const EVENT_KINDS = new Set(["reap", "adopt", "value", "queue", "stdout", "sync"]);
// The tracer's `sync` events of these objects are lock markers: acquire() holds, release()
// frees (activity.js HELD_KINDS; a Condition's lock is its own object).
const HELD_KINDS = new Set(["lock", "rlock", "semaphore", "boundedsemaphore"]);
// A lock marker holds: the tracer's acquire, or a lesson's own value("lock", "holding").
const holding = (d) => d?.op === "acquire" || d?.value === "holding";
// Priority when thinning: lower is kept first.
const RANK = { lock: 0, queue: 1, value: 2, stdout: 3 };
const SYMBOLS = {
  spawn: d3.symbolTriangle,
  reap: d3.symbolSquare,
  adopt: d3.symbolStar,
  value: d3.symbolCircle,
  lock: d3.symbolDiamond,
};
const SIZES = { spawn: 110, reap: 80, adopt: 160, value: 60, lock: 90 };

const secs = (s) => (Math.round(s * 100) / 100).toFixed(2);
const fill = (template, vars) => template.replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ""));
const short = (v) => {
  const s = typeof v === "string" ? v : JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}…` : s;
};

export class TimelineView {
  constructor(container, model) {
    this.container = container;
    this.model = model;
    this.mode = "follow"; // follow | all | manual
    this.view = null; // manual: [from, to] in seconds since the run's start
    this.events = []; // the events drawn as markers: {t, kind, pid, data, op}
    this.livesRef = model.lives; // a replay's seek empties the model: start again with it
    this.depths = new Map(); // queue name -> last depth, to tell a put from a get
    this.tools = this.buildTools();
    this.svg = d3.select(container).append("svg").attr("class", "timeline-svg");
    this.clipId = `timeline-clip-${Math.random().toString(36).slice(2, 8)}`;
    this.clip = this.svg.append("defs").append("clipPath").attr("id", this.clipId)
      .attr("clipPathUnits", "userSpaceOnUse").append("rect");
    this.lanes = this.svg.append("g").attr("class", "lanes");
    // Over the lanes, see-through: the lanes show the T under it, the label stays readable.
    this.bands = this.svg.append("g").attr("class", "frozen-bands").style("pointer-events", "none");
    this.axis = this.svg.append("g").attr("class", "axis");
    this.now = this.svg.append("line").attr("class", "now");
    this.visible = false;
    this.x = null;
    this.laneH = LANE_MAX;
    this.userScrolled = -Infinity;
    for (const type of ["wheel", "pointerdown", "keydown", "touchstart"]) {
      container.addEventListener(type, () => (this.userScrolled = performance.now()), { passive: true });
    }
    this.setupZoom();
    model.on("event", (msg) => this.note(msg));
    onLangChange(() => this.draw());
    setInterval(() => {
      if (this.visible && !this.model.isTerminal()) this.draw();
    }, REDRAW_MS);
  }

  buildTools() {
    const bar = document.createElement("div");
    bar.className = "tl-tools";
    const buttons = [
      ["tl-zoom-out", "−", "tl_zoom_out", () => this.zoomBy(1 / 1.6)],
      ["tl-zoom-in", "+", "tl_zoom_in", () => this.zoomBy(1.6)],
      ["tl-fit", null, "tl_fit_all", () => this.setMode("all")],
      ["tl-follow", null, "tl_follow_live", () => this.setMode("follow")],
    ];
    for (const [id, text, key, onClick] of buttons) {
      const b = document.createElement("button");
      b.type = "button";
      b.id = id;
      b.className = "btn tl-btn";
      if (text) {
        b.textContent = text;
        b.dataset.i18nTitle = key;
        b.title = t(key);
        b.setAttribute("aria-label", t(key));
      } else {
        b.dataset.i18n = key;
        b.textContent = t(key);
      }
      b.addEventListener("click", onClick);
      bar.append(b);
    }
    const hint = document.createElement("span");
    hint.className = "tl-hint";
    hint.dataset.i18n = "tl_hint";
    hint.textContent = t("tl_hint");
    bar.append(hint);
    this.container.append(bar);
    onLangChange(() => {
      for (const b of bar.querySelectorAll("[data-i18n-title]")) {
        b.title = t(b.dataset.i18nTitle);
        b.setAttribute("aria-label", b.title);
      }
    });
    return bar;
  }

  setupZoom() {
    // d3.zoom on x only: each gesture rescales the axis as it was when the gesture began,
    // then the zoom's own transform goes back to identity (the view keeps the domain).
    this.zoom = d3
      .zoom()
      .scaleExtent([1 / 100, 1000])
      .filter((ev) => (!ev.ctrlKey || ev.type === "wheel") && !ev.button)
      .on("start", () => {
        if (!this.resetting) this.base = this.x?.copy() ?? null;
      })
      .on("zoom", (ev) => {
        if (this.resetting || !this.base || !ev.sourceEvent) return;
        this.setView(ev.transform.rescaleX(this.base).domain());
      })
      .on("end", () => {
        if (this.resetting) return;
        this.resetting = true;
        this.svg.call(this.zoom.transform, d3.zoomIdentity);
        this.resetting = false;
        this.base = null;
      });
    this.svg.call(this.zoom).on("dblclick.zoom", () => this.setMode("all"));
  }

  setView([from, to]) {
    if (to - from < MIN_SPAN_S) {
      const mid = (from + to) / 2;
      [from, to] = [mid - MIN_SPAN_S / 2, mid + MIN_SPAN_S / 2];
    }
    this.mode = "manual";
    this.view = [from, to];
    this.draw();
  }

  zoomBy(factor) {
    if (!this.x) return;
    const [a, b] = this.x.domain();
    const mid = (a + b) / 2;
    const half = (b - a) / 2 / factor;
    this.setView([mid - half, mid + half]);
  }

  setMode(mode) {
    this.mode = mode;
    this.view = null;
    this.draw();
  }

  setVisible(visible) {
    this.visible = visible;
    if (visible) this.draw();
  }

  /** A replay's seek starts the model afresh (new maps): forget the events of before. */
  sync() {
    if (this.model.lives === this.livesRef) return;
    this.livesRef = this.model.lives;
    this.events = [];
    this.depths.clear();
  }

  note(msg) {
    this.sync();
    if (!EVENT_KINDS.has(msg.kind) || typeof msg.t !== "number") return;
    const data = msg.data ?? {};
    let kind = msg.kind;
    let op = null;
    if (kind === "value" && data.name === "lock") kind = "lock";
    if (kind === "sync") {
      if (!HELD_KINDS.has(data.kind) || (data.op !== "acquire" && data.op !== "release")) return;
      kind = "lock";
    }
    if (kind === "queue") {
      const name = data.name ?? "queue";
      const before = this.depths.get(name);
      op = before == null ? (data.depth > 0 ? "put" : "same") : data.depth > before ? "put" : data.depth < before ? "get" : "same";
      this.depths.set(name, data.depth);
    }
    this.events.push({ t: msg.t, kind, pid: msg.pid, data, op });
    if (this.events.length > MAX_EVENTS) {
      // Keep what tells the story: drop the oldest prints first.
      const i = this.events.findIndex((e) => e.kind === "stdout");
      this.events.splice(i >= 0 ? i : 0, 1);
    }
  }

  /** The run's time span: from its first moment to now (live) or to the last thing seen. */
  span(lives) {
    const m = this.model;
    const t0 = m.t0 ?? d3.min(lives, (l) => l.start) ?? 0;
    let t1 = d3.max(lives, (l) => l.end ?? l.segs.at(-1)?.t ?? l.start) ?? t0;
    if (m.run?.ended) t1 = Math.max(t1, m.run.ended);
    if (!m.isTerminal()) t1 = Math.max(t1, m.serverNow());
    return [t0, Math.max(t1, t0 + 1)];
  }

  /** The seconds (since the run's start) across the lanes now. */
  domain(t0, t1) {
    const all = t1 - t0;
    if (this.mode === "manual" && this.view) return this.view;
    if (this.mode === "follow" && !this.model.isTerminal() && all > FOLLOW_S) return [all - FOLLOW_S, all];
    return [0, all];
  }

  /** The markers of one lane within the view, as {kind, t, title, op}. */
  markersOf(l, byPid, d0, d1, t0) {
    const inView = (time) => time - t0 >= d0 - 1e-6 && time - t0 <= d1 + 1e-6;
    const end = l.end ?? Infinity;
    const out = [];
    out.push({ kind: "spawn", t: l.start, title: fill(t("tl_spawn"), { pid: l.pid, s: secs(l.start - t0) }) });
    if (l.exit) out.push({ kind: "exit", t: l.exit.t, title: fill(t("tl_exit"), { code: l.exit.code ?? "?", s: secs(l.exit.t - t0) }) });
    for (const e of byPid.get(l.pid) ?? []) {
      // A reused PID is another life: only this one's events.
      if (e.t < l.start - 0.5 || e.t > end + 0.5) continue;
      const s = secs(e.t - t0);
      const d = e.data;
      let title;
      switch (e.kind) {
        case "reap":
          title = fill(t("tl_reap"), { code: d.exitcode ?? l.exit?.code ?? "?", s });
          break;
        case "adopt":
          title = fill(t("tl_adopt"), { new: d.new_ppid ?? "?", old: d.old_ppid ?? "?", s });
          break;
        case "value":
          title = fill(t("tl_value"), { name: d.name, value: short(d.value), s });
          break;
        case "lock":
          title = fill(t(holding(d) ? "tl_lock_hold" : "tl_lock_release"), { value: short(d.value ?? d.name), s });
          break;
        case "queue":
          title = fill(t(`tl_queue_${e.op}`), { name: d.name ?? "queue", depth: d.depth, max: queueCapacity(d.maxsize) || "∞", s });
          break;
        case "stdout":
          title = fill(t("tl_print"), { line: short(String(d.line ?? "")), s });
          break;
        default:
          continue;
      }
      out.push({ kind: e.kind, t: e.t, title, op: e.op, data: d });
    }
    return out.filter((mk) => inView(mk.t));
  }

  /** At most MAX_MARKERS: life events always; the rest one per few pixels, then by rank. */
  thin(perLane, x, t0) {
    const keep = new Map();
    const rest = [];
    let count = 0;
    for (const [key, markers] of perLane) {
      const kept = [];
      const buckets = new Map();
      for (const mk of markers) {
        if (LIFE_KINDS.has(mk.kind)) {
          kept.push(mk);
          count++;
          continue;
        }
        const gap = mk.kind === "stdout" ? 6 : 3;
        const b = `${mk.kind}|${mk.op ?? ""}|${Math.floor(x(mk.t - t0) / gap)}`;
        const first = buckets.get(b);
        if (first) {
          first.more = (first.more ?? 0) + 1;
          continue;
        }
        buckets.set(b, mk);
        rest.push([key, mk]);
      }
      keep.set(key, kept);
    }
    const room = Math.max(0, MAX_MARKERS - count);
    rest.sort((a, b) => RANK[a[1].kind] - RANK[b[1].kind]);
    // Fill the room rank by rank; a rank that does not fit is sampled evenly.
    let left = room;
    let i = 0;
    while (i < rest.length && left > 0) {
      const rank = RANK[rest[i][1].kind];
      let j = i;
      while (j < rest.length && RANK[rest[j][1].kind] === rank) j++;
      const n = j - i;
      const stride = n <= left ? 1 : n / left;
      for (let k = 0; k < Math.min(n, left); k++) {
        const [key, mk] = rest[i + Math.floor(k * stride)];
        keep.get(key).push(mk);
      }
      left -= Math.min(n, left);
      i = j;
    }
    return keep;
  }

  draw() {
    if (!this.visible) return;
    this.sync();
    const model = this.model;
    const lives = [...model.lives.values()].sort((a, b) => a.start - b.start || a.pid - b.pid);
    const width = Math.max(300, this.container.clientWidth);
    const laneH = this.fitLanes(lives.length);
    const lanesH = lives.length * laneH;
    const height = lanesH + AXIS_H + 8;
    this.svg.attr("width", width).attr("height", height);
    const [t0, t1] = this.span(lives);
    const [d0, d1] = this.domain(t0, t1);
    const x = d3.scaleLinear().domain([d0, d1]).range([LABEL_W, width - 48]); // room for the last exit mark
    this.x = x;
    const rel = (time) => x(Math.max(0, time - t0));
    const endOf = (l) => l.end ?? (model.isTerminal() ? t1 : model.serverNow());
    this.container.dataset.mode = this.mode;
    this.container.dataset.domain = `${d0},${d1}`;
    for (const b of this.tools.querySelectorAll("#tl-fit, #tl-follow")) {
      b.setAttribute("aria-pressed", String(b.id === (this.mode === "all" ? "tl-fit" : this.mode === "follow" ? "tl-follow" : "")));
    }
    this.tools.querySelector("#tl-follow").hidden = model.isTerminal();
    this.clip.attr("x", LABEL_W - 8).attr("y", -10).attr("width", Math.max(0, width - LABEL_W + 8)).attr("height", laneH + 12);

    const byPid = d3.group(this.events, (e) => e.pid);
    const perLane = new Map(lives.map((l) => [`${l.pid}:${l.start}`, this.markersOf(l, byPid, d0, d1, t0)]));
    const shown = this.thin(perLane, x, t0);

    const clipUrl = `url(#${this.clipId})`;
    const lane = this.lanes.selectAll("g.lane").data(lives, (l) => `${l.pid}:${l.start}`);
    lane.exit().remove();
    const entered = lane.enter().append("g").attr("class", "lane");
    // PID and the process's name: identifiers.
    entered.append("text").attr("class", "lane-label").attr("translate", "no").attr("x", 8).attr("y", BAR_H - 3);
    entered.append("g").attr("class", "segs");
    entered.append("g").attr("class", "marks");
    entered.append("g").attr("class", "markers");
    const all = entered.merge(lane);
    all
      .attr("transform", (_, i) => `translate(0,${i * laneH + 4})`)
      .attr("data-pid", (l) => l.pid)
      .attr("data-start", (l) => l.start)
      .attr("data-end", (l) => l.end ?? "")
      .attr("data-exit", (l) => l.exit?.t ?? "");
    all.selectAll(".segs, .marks, .markers").attr("clip-path", clipUrl);
    all
      .select(".lane-label")
      .text((l) => `${l.pid} ${l.label ?? ""}`)
      .style("fill", (l) => pidColor(l.pid));
    all.each(function (l) {
      // Each sampled status holds until the next sample; the first one from birth.
      // Known only from its events (it lived between two samples, or before this page): grey.
      const segs = l.segs.length ? l.segs : [{ t: l.start, status: "unknown" }];
      const pieces = segs.map((s, i) => ({
        from: i === 0 ? l.start : s.t,
        to: i + 1 < segs.length ? segs[i + 1].t : endOf(l),
        status: s.status,
      }));
      const rects = d3.select(this).select(".segs").selectAll("rect").data(pieces);
      rects.exit().remove();
      rects
        .enter()
        .append("rect")
        .attr("height", BAR_H)
        .merge(rects)
        .attr("x", (p) => rel(p.from))
        // A moment's zombie (reaped at once) is a sliver; a life of 5 ms is still seen.
        .attr("width", (p, i) => Math.max(i === 0 ? 2 : 0, rel(p.to) - rel(p.from)))
        .attr("fill", (p) => statusStyle(p.status).color)
        .attr("class", (p) => `seg seg-${p.status}`)
        .attr("data-status", (p) => p.status)
        .attr("data-from", (p) => p.from)
        .attr("data-to", (p) => p.to);
      const marks = d3.select(this).select(".marks").selectAll("text").data(l.exit ? [l.exit] : []);
      marks.exit().remove();
      marks
        .enter()
        .append("text")
        .attr("class", "exit-mark")
        .attr("y", BAR_H - 3)
        .merge(marks)
        .attr("x", (e) => rel(e.t) + 4)
        .text((e) => `✕ ${e.code ?? ""}`);
      drawMarkers(d3.select(this).select(".markers"), shown.get(`${l.pid}:${l.start}`) ?? [], rel);
    });

    this.drawFrozen(rel, width, lanesH + 6);
    this.axis
      .attr("transform", `translate(0,${lanesH + 6})`)
      .call(d3.axisBottom(x).ticks(Math.max(2, Math.floor((width - LABEL_W) / 90))).tickFormat((s) => `${s} ${t("seconds_unit")}`));
    // Ticks left of the lanes (panned before the start) would sit under the labels.
    this.axis.selectAll(".tick").attr("display", (s) => (x(s) < LABEL_W - 1 ? "none" : null));
    const nowX = x(model.serverNow() - t0);
    this.now.attr("display", model.isTerminal() || nowX < LABEL_W || nowX > width ? "none" : null)
      .attr("x1", nowX).attr("x2", nowX)
      .attr("y1", 0).attr("y2", lanesH + 6);
    this.container.dataset.lanes = lives.length;
    this.follow(lives);
    this.container.dataset.markers = this.lanes.selectAll(".marker").size();
    this.container.setAttribute("aria-label", `${t("timeline")}: ${lives.length}`);
  }
}

/** Each lane's height: the panel's room shared out, within LANE_MIN..LANE_MAX. */
TimelineView.prototype.fitLanes = function fitLanes(n) {
  const room = this.container.clientHeight - this.tools.offsetHeight - AXIS_H - 12;
  const fit = n ? Math.floor(room / n) : LANE_MAX;
  this.laneH = Math.max(LANE_MIN, Math.min(LANE_MAX, fit));
  this.container.dataset.laneH = this.laneH;
  return this.laneH;
};

/** The lane of what happened last (a birth, an exit, an event), kept in view while live. */
TimelineView.prototype.follow = function follow(lives) {
  if (!lives.length) return;
  let best = 0;
  let bestT = -Infinity;
  const index = new Map(lives.map((l, i) => [l.pid, i]));
  lives.forEach((l, i) => {
    const t = Math.max(l.start, l.exit?.t ?? -Infinity);
    if (t >= bestT) [best, bestT] = [i, t];
  });
  const last = this.events.at(-1);
  if (last && last.t > bestT && index.has(last.pid)) best = index.get(last.pid);
  this.container.dataset.activePid = lives[best].pid;
  if (this.mode !== "follow" || this.model.isTerminal()) return;
  if (performance.now() - this.userScrolled < USER_SCROLL_MS) return;
  const box = this.container;
  const top = this.svg.node().getBoundingClientRect().top - box.getBoundingClientRect().top + box.scrollTop + best * this.laneH;
  const seen = box.scrollTop + this.tools.offsetHeight; // the tools stick at the top
  const seenEnd = box.scrollTop + box.clientHeight;
  if (top >= seen && top + this.laneH <= seenEnd) return;
  const target = top - this.tools.offsetHeight - (box.clientHeight - this.tools.offsetHeight - this.laneH) / 2;
  box.scrollTo({ top: Math.max(0, target), behavior: SMOOTH });
};

/** The intervals the whole run was frozen (SIGSTOP): a hatched band across every lane. */
TimelineView.prototype.drawFrozen = function drawFrozen(rel, width, height) {
  const m = this.model;
  const end = m.run?.ended ?? m.serverNow();
  const spans = m.frozen.map((s) => ({ from: s.from, to: s.to ?? end, open: s.to === null }));
  const sel = this.bands.selectAll("g.frozen-band").data(spans);
  sel.exit().remove();
  const entered = sel.enter().append("g").attr("class", "frozen-band");
  entered.append("rect");
  entered.append("text").attr("y", 14);
  entered.append("title");
  const all = entered.merge(sel);
  all
    .attr("data-from", (s) => s.from)
    .attr("data-to", (s) => s.to)
    .attr("data-seconds", (s) => (s.to - s.from).toFixed(1));
  const left = (s) => Math.max(LABEL_W, rel(s.from));
  const right = (s) => Math.min(width, rel(s.to));
  all.select("rect").attr("x", left).attr("y", 0).attr("height", height).attr("width", (s) => Math.max(2, right(s) - left(s)));
  const label = (s) => fill(t("frozen_band"), { s: (s.to - s.from).toFixed(1) });
  all.select("text").attr("x", (s) => left(s) + 4).text((s) => (right(s) - left(s) > 70 ? label(s) : "❄"));
  all.select("title").text(label);
};

/** One lane's markers: a small glyph per kind, its <title> the tooltip. */
function drawMarkers(group, markers, rel) {
  const sel = group.selectAll("g.marker").data(markers, (mk) => `${mk.kind}|${mk.t}|${mk.op ?? ""}`);
  sel.exit().remove();
  const entered = sel.enter().append("g");
  entered.append("title");
  entered.each(function (mk) {
    const g = d3.select(this);
    if (mk.kind === "stdout") {
      g.append("line").attr("y1", BAR_H - 8).attr("y2", BAR_H); // inside the bar, at its foot
    } else if (mk.kind === "exit") {
      g.append("line").attr("y1", -3).attr("y2", BAR_H + 3);
    } else if (mk.kind === "queue") {
      // put: up, get: down, a report of the same depth: a bar.
      const d = mk.op === "put" ? "M0,-7L7,5L-7,5Z" : mk.op === "get" ? "M0,7L7,-5L-7,-5Z" : "M-6,-2H6V2H-6Z";
      g.append("path").attr("d", d);
    } else {
      const sym = d3.symbol(SYMBOLS[mk.kind] ?? d3.symbolCircle, SIZES[mk.kind] ?? 40)();
      // The spawn triangle points along time.
      g.append("path").attr("d", sym).attr("transform", mk.kind === "spawn" ? "rotate(90)" : null);
    }
  });
  const all = entered.merge(sel);
  all
    .attr("class", (mk) => `marker marker-${mk.kind}${mk.op ? ` marker-${mk.op}` : ""}${mk.kind === "lock" ? ` marker-lock-${holding(mk.data) ? "held" : "free"}` : ""}`)
    .attr("data-kind", (mk) => mk.kind)
    .attr("data-t", (mk) => mk.t)
    .attr("transform", (mk) => {
      const y = mk.kind === "exit" || mk.kind === "stdout" ? 0 : LIFE_KINDS.has(mk.kind) ? BAR_H / 2 : EVENT_Y;
      // The spawn glyph sits just inside the lane's start.
      return `translate(${rel(mk.t) + (mk.kind === "spawn" ? 5 : 0)},${y})`;
    });
  all.select("title").text((mk) => (mk.more ? `${mk.title} (+${mk.more})` : mk.title));
}
