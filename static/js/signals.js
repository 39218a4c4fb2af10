// Click a process node to send it a signal (the presenter can freeze a process and watch T appear).

import { api } from "./api.js";
import { t } from "./i18n.js";

const SIGNALS = ["SIGSTOP", "SIGCONT", "SIGINT", "SIGTERM", "SIGKILL"];

export class SignalMenu {
  constructor(el, { runId, isActive }) {
    this.el = el;
    this.runId = runId;
    this.isActive = isActive;
    this.pid = null;
    document.addEventListener("click", (ev) => {
      if (!this.el.hidden && !this.el.contains(ev.target) && !ev.target.closest?.("g.node")) this.hide();
    });
    document.addEventListener("keydown", (ev) => {
      if (ev.key === "Escape") this.hide();
    });
  }

  open(proc, ev) {
    if (!this.runId || !this.isActive()) return;
    this.pid = proc.pid;
    this.el.replaceChildren();
    const title = document.createElement("p");
    title.className = "node-menu-title";
    title.textContent = `${t("send_signal")} ${proc.pid}`;
    this.el.append(title);
    for (const sig of SIGNALS) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "btn btn-signal";
      b.setAttribute("role", "menuitem");
      b.textContent = sig;
      b.addEventListener("click", () => this.send(sig));
      this.el.append(b);
    }
    this.msg = document.createElement("p");
    this.msg.className = "node-menu-msg";
    this.el.append(this.msg);
    this.el.hidden = false;
    const x = Math.min(ev.clientX + 8, window.innerWidth - this.el.offsetWidth - 8);
    const y = Math.min(ev.clientY + 8, window.innerHeight - this.el.offsetHeight - 8);
    this.el.style.left = `${x}px`;
    this.el.style.top = `${y}px`;
    this.el.querySelector("button")?.focus();
  }

  async send(signal) {
    const res = await api("POST", `/api/runs/${encodeURIComponent(this.runId)}/signal`, { pid: this.pid, signal });
    if (res.ok) this.hide();
    else this.msg.textContent = res.error.message;
  }

  hide() {
    this.el.hidden = true;
  }
}
