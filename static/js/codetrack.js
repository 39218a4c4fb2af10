// Which line of the code each process is at (the model's activity: sampled `line` events and
// the lineno other events carry), and where a process failed. Each line with processes on it
// gets a bar and one PID chip per process (a crowd is summed up as "+N"); an error's line is
// red with the PID and the exception's type. The newest line is highlighted and scrolled to.

import { onNextPaint } from "./frameclock.js";
import { t } from "./i18n.js";
import { pidColor } from "./status.js";

// Chips drawn on one line before the rest are summed up: ten workers on one line stay readable.
const MAX_CHIPS = 4;

export class CodeTracker {
  /** @param {HTMLElement} body the code panel's body (one span#line-N per line) */
  constructor(body, model) {
    this.body = body;
    this.model = model;
    this.renderNow = () => this.render(); // one function: the paint clock draws it once
    this.scroll = false;
    this.shown = ""; // what the last render drew, so an unchanged picture is not drawn again
    this.drawn = new Map(); // lineno -> the picture of that line as drawn (its key)
    // No layout read in a frame that writes: each line's top and height, and the panel's
    // height, are read in a ResizeObserver callback (it runs after layout, when reading is
    // free), once per code and size; which lines are in view comes from an IntersectionObserver.
    this.metrics = null; // lineno -> [top, height]
    this.view = 0;
    this.inView = new Map(); // lineno -> visible share of the line (0..1)
    this.wanted = null; // a reveal asked for before the code was measured
    this.scrolledTo = null; // the scrollTop we set last, until the reader scrolls
    this.ownScroll = false;
    this.sizes = new ResizeObserver(() => this.measure());
    // A scroll is written after layout too: observing starts with a callback in the next
    // frame, after its layout, where setting scrollTop forces none.
    this.scrollTo = null;
    this.afterLayout = new ResizeObserver(() => {
      this.afterLayout.disconnect();
      if (this.scrollTo == null) return;
      this.ownScroll = true;
      this.body.scrollTop = this.scrollTo;
      this.scrollTo = null;
    });
    this.lines = new IntersectionObserver((entries) => {
      for (const e of entries) this.inView.set(Number(e.target.id.slice(5)), e.intersectionRatio);
    }, { root: body, threshold: [0, 0.99] });
    body.addEventListener("scroll", () => {
      if (this.ownScroll) this.ownScroll = false;
      else this.scrolledTo = null;
    }, { passive: true });
    model.on("activity", () => this.schedule(true));
    model.on("processes", () => this.schedule(false)); // a process gone is at no line
    model.on("reset", () => this.schedule(false));
    // The code is replaced whenever another lesson is shown: measure and mark the new lines.
    new MutationObserver(() => this.watchCode()).observe(body, { childList: true });
    this.watchCode();
  }

  /** Observe the code on show: its size (a line wraps on the projector) and its lines. */
  watchCode() {
    this.metrics = null;
    this.shown = "";
    this.drawn.clear(); // new code: no line of it is marked yet
    this.scrolledTo = null;
    this.sizes.disconnect();
    this.lines.disconnect();
    this.inView.clear();
    this.sizes.observe(this.body);
    const code = this.body.firstElementChild;
    if (code) this.sizes.observe(code);
    for (const el of this.body.querySelectorAll("span[id^='line-']")) this.lines.observe(el);
    this.schedule(true);
  }

  schedule(scroll) {
    this.scroll = this.scroll || scroll;
    onNextPaint(this.renderNow);
  }

  /** Does an event's file name the file on show? A lesson's code takes every line. */
  sameFile(filename) {
    const file = this.body.dataset.file;
    return !file || !filename || String(filename).split("/").pop() === file;
  }

  /** lineno -> {pids, newestT} for the processes still in the tree; and the error lines. */
  collect() {
    const m = this.model;
    const act = m.activity;
    const byLine = new Map();
    let newest = null;
    for (const [pid, at] of act.at) {
      if ((!m.processes.has(pid) && !m.ghosts.has(pid)) || !this.sameFile(at.filename)) continue;
      if (!byLine.has(at.lineno)) byLine.set(at.lineno, []);
      byLine.get(at.lineno).push(pid);
      if (!newest || at.t >= newest.t) newest = { pid, lineno: at.lineno, t: at.t };
    }
    const errors = new Map();
    for (const [pid, e] of act.errors) {
      if (e.lineno == null || !this.sameFile(e.filename)) continue;
      if (!errors.has(e.lineno)) errors.set(e.lineno, []);
      errors.get(e.lineno).push({ pid, type: e.type });
    }
    return { byLine, errors, newest };
  }

  render() {
    const { byLine, errors, newest } = this.collect();
    const key = JSON.stringify([[...byLine], [...errors], newest?.pid, newest?.lineno]);
    if (key === this.shown) return;
    this.shown = key;
    const body = this.body;
    // What each marked line should show; only the lines whose picture changed are redrawn
    // (with hundreds of processes moving, most lines stay as they were from frame to frame).
    const want = new Map();
    for (const lineno of new Set([...byLine.keys(), ...errors.keys()])) {
      const pids = byLine.get(lineno) ?? [];
      const errs = errors.get(lineno) ?? [];
      // The bar takes the colour of the newest process here; the chips name all of them.
      const lead = pids.length ? (newest && pids.includes(newest.pid) ? newest.pid : pids.at(-1)) : null;
      const isNewest = newest?.lineno === lineno;
      want.set(lineno, { pids, errs, lead, isNewest, key: JSON.stringify([pids, errs, lead, isNewest]) });
    }
    for (const [lineno, drawn] of this.drawn) {
      if (want.get(lineno)?.key === drawn) continue;
      const el = body.querySelector(`#line-${lineno}`);
      if (el) clearLine(el);
      this.drawn.delete(lineno);
    }
    for (const [lineno, line] of want) {
      if (this.drawn.has(lineno)) continue;
      const el = body.querySelector(`#line-${lineno}`);
      if (!el) continue;
      drawLine(el, lineno, line);
      this.drawn.set(lineno, line.key);
    }
    body.dataset.activeLine = newest ? String(newest.lineno) : "";
    if (newest && this.scroll) this.reveal(newest.lineno, [...want.keys()]);
    this.scroll = false;
  }

  /** Each line's top and height in the body's scroll coordinates, and the panel's height:
   * read in a ResizeObserver callback, after layout, so the reads cost nothing. */
  measure() {
    const lines = new Map();
    for (const el of this.body.querySelectorAll("span[id^='line-']")) {
      lines.set(Number(el.id.slice(5)), [el.offsetTop, el.offsetHeight]);
    }
    this.metrics = lines;
    this.view = this.body.clientHeight;
    if (this.wanted) this.reveal(...this.wanted);
  }

  /** Scroll the code so every marked line is in view if they fit, else the newest one. */
  reveal(lineno, marked) {
    const lines = this.metrics;
    this.wanted = lines ? null : [lineno, marked];
    if (!lines) return;
    const top = (n) => lines.get(n)?.[0] ?? 0;
    const bottom = (n) => top(n) + (lines.get(n)?.[1] ?? 0);
    const view = this.view;
    const lo = Math.min(...marked);
    const hi = Math.max(...marked);
    const fits = bottom(hi) - top(lo) <= view - 16;
    const [from, to] = fits ? [top(lo), bottom(hi)] : [top(lineno), bottom(lineno)];
    const shown = (n) => (this.inView.get(n) ?? 0) >= 0.99;
    if (fits ? shown(lo) && shown(hi) : shown(lineno)) return;
    // Centred in the panel, with the code around it for context.
    const target = Math.round(Math.max(0, (from + to) / 2 - view / 2));
    if (target === this.scrolledTo) return; // already there; the observer has not said so yet
    this.scrolledTo = target;
    this.scrollTo = target;
    this.afterLayout.observe(this.body);
  }
}

/** A marked line as it was before any process came to it. */
function clearLine(el) {
  el.classList.remove("at-line", "at-line-newest", "error-line");
  for (const attr of ["data-active-line", "data-pids", "data-error", "data-error-pids"]) el.removeAttribute(attr);
  el.style.removeProperty("--pid-color");
  for (const chips of el.querySelectorAll(".line-pids")) chips.remove();
  el.normalize();
}

/** Mark a line: its processes (bar, colour, chips), its errors, whether it is the newest. */
function drawLine(el, lineno, { pids, errs, lead, isNewest }) {
  if (pids.length) {
    el.classList.add("at-line");
    el.dataset.activeLine = String(lineno);
    el.dataset.pids = pids.join(" ");
    el.style.setProperty("--pid-color", pidColor(lead));
  }
  if (errs.length) {
    el.classList.add("error-line");
    el.dataset.error = errs.map((e) => e.type).join(" ");
    el.dataset.errorPids = errs.map((e) => e.pid).join(" ");
  }
  if (isNewest) el.classList.add("at-line-newest");
  insertBeforeNewline(el, chipsFor(pids, errs));
}

function chipsFor(pids, errors) {
  const chips = document.createElement("span");
  chips.className = "line-pids";
  chips.setAttribute("aria-hidden", "true");
  for (const e of errors) {
    const chip = document.createElement("span");
    chip.className = "pid-chip error-chip";
    chip.textContent = `✖ ${e.pid} ${e.type || t("code_error")}`;
    chips.append(chip);
  }
  const shown = pids.length > MAX_CHIPS ? pids.slice(0, MAX_CHIPS - 1) : pids;
  for (const pid of shown) {
    const chip = document.createElement("span");
    chip.className = "pid-chip";
    chip.style.setProperty("--pid-color", pidColor(pid));
    chip.textContent = String(pid);
    chips.append(chip);
  }
  if (shown.length < pids.length) {
    const more = document.createElement("span");
    more.className = "pid-chip pid-more";
    more.textContent = `+${pids.length - shown.length}`;
    more.title = pids.slice(shown.length).join(" ");
    chips.append(more);
  }
  return chips;
}

/** Put the chips on the line itself: before the newline that ends the line's last text. */
function insertBeforeNewline(el, node) {
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  let last = null;
  while (walker.nextNode()) last = walker.currentNode;
  if (last?.data.endsWith("\n")) {
    const newline = last.splitText(last.data.length - 1);
    newline.parentNode.insertBefore(node, newline);
  } else {
    el.append(node);
  }
}
