// Which line of the lesson's code each process is at: events carry data.lineno, the lesson
// line that produced them. Each process's latest line gets a bar in its colour and a PID chip;
// the newest line overall is highlighted and scrolled into view.

import { pidColor } from "./status.js";

// Events whose lineno says where the process is in the lesson's code.
const KINDS = new Set(["stdout", "stderr", "value", "queue", "spawn"]);

export class CodeTracker {
  /** @param {HTMLElement} body the code panel's body (Pygments HTML, one span#line-N per line) */
  constructor(body, model) {
    this.body = body;
    this.model = model;
    this.at = new Map(); // pid -> lineno
    this.newest = null; // {pid, lineno}
    this.pending = false;
    model.on("event", (msg) => this.onEvent(msg));
    model.on("processes", () => this.forgetGone());
    // The code is replaced whenever another lesson is shown: mark the new lines again.
    new MutationObserver(() => this.schedule(true)).observe(body, { childList: true });
  }

  onEvent(msg) {
    const lineno = Number(msg.data?.lineno);
    if (!KINDS.has(msg.kind) || !Number.isInteger(lineno) || lineno < 1) return;
    // A spawn is reported about the child, from the parent's start() call: the line is the parent's.
    const pid = msg.kind === "spawn" ? msg.data.ppid ?? msg.pid : msg.pid;
    this.at.set(pid, lineno);
    this.newest = { pid, lineno };
    this.schedule(true);
  }

  /** A process that has left the tree is no longer at any line. */
  forgetGone() {
    const m = this.model;
    let changed = false;
    for (const pid of this.at.keys()) {
      if (!m.processes.has(pid) && !m.ghosts.has(pid)) {
        this.at.delete(pid);
        changed = true;
      }
    }
    if (changed) this.schedule(false);
  }

  schedule(scroll) {
    this.scroll = this.scroll || scroll;
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.render();
    });
  }

  render() {
    const body = this.body;
    for (const el of body.querySelectorAll(".at-line")) {
      el.classList.remove("at-line", "at-line-newest");
      el.removeAttribute("data-active-line");
      el.removeAttribute("data-pids");
      el.style.removeProperty("--pid-color");
      for (const chips of el.querySelectorAll(".line-pids")) chips.remove();
      el.normalize();
    }
    const byLine = new Map();
    for (const [pid, lineno] of this.at) {
      if (!byLine.has(lineno)) byLine.set(lineno, []);
      byLine.get(lineno).push(pid);
    }
    for (const [lineno, pids] of byLine) {
      const el = body.querySelector(`#line-${lineno}`);
      if (!el) continue;
      el.classList.add("at-line");
      el.dataset.activeLine = String(lineno);
      el.dataset.pids = pids.join(" ");
      // The bar takes the colour of the newest process here; the chips name all of them.
      const lead = this.newest && pids.includes(this.newest.pid) ? this.newest.pid : pids.at(-1);
      el.style.setProperty("--pid-color", pidColor(lead));
      const chips = document.createElement("span");
      chips.className = "line-pids";
      chips.setAttribute("aria-hidden", "true");
      for (const pid of pids) {
        const chip = document.createElement("span");
        chip.className = "pid-chip";
        chip.style.setProperty("--pid-color", pidColor(pid));
        chip.textContent = String(pid);
        chips.append(chip);
      }
      insertBeforeNewline(el, chips);
    }
    const newest = this.newest && body.querySelector(`#line-${this.newest.lineno}`);
    if (newest) newest.classList.add("at-line-newest");
    body.dataset.activeLine = this.newest ? String(this.newest.lineno) : "";
    if (newest && this.scroll) this.reveal(newest);
    this.scroll = false;
  }

  /** Scroll the code so every marked line is in view if they fit, else the newest one. */
  reveal(newest) {
    const body = this.body;
    const marked = [...body.querySelectorAll(".at-line")];
    const top = Math.min(...marked.map((el) => el.offsetTop));
    const bottom = Math.max(...marked.map((el) => el.offsetTop + el.offsetHeight));
    const [from, to] = bottom - top <= body.clientHeight - 16
      ? [top, bottom]
      : [newest.offsetTop, newest.offsetTop + newest.offsetHeight];
    if (from >= body.scrollTop && to <= body.scrollTop + body.clientHeight) return;
    // Centred in the panel, with the code around it for context.
    body.scrollTop = Math.max(0, (from + to) / 2 - body.clientHeight / 2);
  }
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
