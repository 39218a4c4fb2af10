// The console: every stdout/stderr line, tagged [pid label], one stable colour per PID.

import { t } from "./i18n.js";
import { pidColor } from "./status.js";

const MAX_DOM_LINES = 600;
const STICK_PX = 40; // "at the bottom" tolerance: keep following unless the reader scrolled up

function tagText(pid, label) {
  return `[${pid}${label ? ` ${label}` : ""}]`;
}

export class ConsoleView {
  constructor(el, countEl, labelOf = () => "") {
    this.labelOf = labelOf;
    this.el = el;
    this.countEl = countEl;
    this.total = 0;
    this.pending = [];
  }

  /** Queue a line; lines are put on screen once per frame, however fast they come. */
  add(entry) {
    this.pending.push(entry);
    if (this.pending.length === 1) requestAnimationFrame(() => this.flush());
  }

  flush() {
    const entries = this.pending.splice(0);
    // Keep following only if the reader was at the bottom (they may have scrolled up to read).
    const stick = this.el.scrollHeight - this.el.scrollTop - this.el.clientHeight < STICK_PX;
    const frag = document.createDocumentFragment();
    // A new line flashes when lines trickle in; in a flood the flashing would only be noise.
    const flash = entries.length <= 3;
    for (const entry of entries.slice(-MAX_DOM_LINES)) frag.append(this.row(entry, flash));
    this.el.append(frag);
    let extra = this.el.childElementCount - MAX_DOM_LINES;
    while (extra-- > 0) this.el.firstElementChild.remove();
    this.total += entries.length;
    this.updateCount();
    if (stick) this.el.scrollTop = this.el.scrollHeight;
  }

  row(entry, flash) {
    const row = document.createElement("div");
    row.className = `line line-${entry.stream}${flash && !entry.history ? " line-new" : ""}`;
    row.dataset.pid = entry.pid;
    row.dataset.stream = entry.stream;
    row.style.setProperty("--pid-color", pidColor(entry.pid));
    const tag = document.createElement("span");
    tag.className = "tag";
    // The name may have been learned while the line waited for its frame.
    tag.textContent = tagText(entry.pid, entry.label || this.labelOf(entry.pid));
    const text = document.createElement("span");
    text.className = "text";
    text.textContent = entry.line;
    row.append(tag, " ", text);
    return row;
  }

  /** Name the lines of a process that printed before its name was known. */
  relabel(pid, label) {
    for (const tag of this.el.querySelectorAll(`.line[data-pid="${pid}"] .tag`)) tag.textContent = tagText(pid, label);
  }

  /** A line from procviz itself (not from a process), e.g. "120 early events omitted". */
  notice(text) {
    const row = document.createElement("div");
    row.className = "line line-notice";
    row.textContent = `procviz: ${text}`;
    this.el.append(row);
  }

  /** Empty the console (a replay seeking back starts again from the first line). */
  clear() {
    this.pending.length = 0;
    this.el.replaceChildren();
    this.total = 0;
    this.updateCount();
  }

  updateCount() {
    this.countEl.textContent = this.total ? `${this.total} ${t(this.total === 1 ? "line" : "lines")}` : "";
  }
}
