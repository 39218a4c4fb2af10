// The console: every stdout/stderr line, tagged [pid label], one stable colour per PID.

import { onNextPaint } from "./frameclock.js";
import { t } from "./i18n.js";
import { pidColor } from "./status.js";

const MAX_DOM_LINES = 600;
const STICK_PX = 40; // "at the bottom" tolerance: keep following unless the reader scrolled up

// Following the newest line costs no layout read: the browser's scroll anchoring keeps the
// end marker (the only anchorable child, app.css) where it is while lines are added above it
// and trimmed off the top, and an IntersectionObserver says whether the reader is at the end.
// Anchoring holds only once the console is scrolled at all, so when new lines first push the
// marker out of view of a reader who did not scroll, the console is scrolled to it once.

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
    this.lastFlush = -Infinity;
    this.flushNow = () => this.flush();
    this.end = document.createElement("div");
    this.end.className = "console-end";
    this.end.setAttribute("aria-hidden", "true");
    el.append(this.end);
    this.following = true;
    this.scrolled = false; // a scroll since the marker was last seen: the reader's, or ours
    el.addEventListener("scroll", () => {
      this.scrolled = true;
    }, { passive: true });
    new IntersectionObserver(([entry]) => this.seen(entry.isIntersecting), {
      root: el,
      rootMargin: `0px 0px ${STICK_PX}px 0px`,
    }).observe(this.end);
  }

  /** The end marker came into view or left it. */
  seen(visible) {
    if (visible) {
      this.following = true;
    } else if (this.scrolled) {
      this.following = false; // the reader scrolled up to read: leave them there
    } else if (this.following) {
      this.el.scrollTop = this.el.scrollHeight; // pushed out by new lines: follow from now on
    }
    this.scrolled = false;
  }

  /** Queue a line; lines are put on screen with the page's next paint (frameclock.js). */
  add(entry) {
    this.pending.push(entry);
    if (this.pending.length === 1) onNextPaint(this.flushNow);
  }

  flush() {
    const entries = this.pending.splice(0);
    const frag = document.createDocumentFragment();
    // A new line flashes when lines trickle in; in a flood (or a steady stream: a flash is a
    // repaint of the console in every frame it lasts) the flashing would only be noise.
    const now = performance.now();
    const flash = entries.length <= 3 && now - this.lastFlush > 400;
    this.lastFlush = now;
    for (const entry of entries.slice(-MAX_DOM_LINES)) frag.append(this.row(entry, flash));
    this.el.insertBefore(frag, this.end);
    let extra = this.el.childElementCount - 1 - MAX_DOM_LINES;
    while (extra-- > 0) this.el.firstElementChild.remove();
    this.total += entries.length;
    this.updateCount();
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
    this.el.insertBefore(row, this.end);
  }

  /** Empty the console (a replay seeking back starts again from the first line). */
  clear() {
    this.pending.length = 0;
    this.el.replaceChildren(this.end);
    this.following = true;
    this.total = 0;
    this.updateCount();
  }

  updateCount() {
    this.countEl.textContent = this.total ? `${this.total} ${t(this.total === 1 ? "line" : "lines")}` : "";
  }
}
