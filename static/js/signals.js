// Click a process node: its details (PID, PPID, state, CPU, memory, threads, start time,
// command line) and, for the presenter, signals (freeze a process and watch T appear).

import { api } from "./api.js";
import { isPresenter } from "./follow.js";
import { formatTime, t } from "./i18n.js";
import { statusStyle } from "./status.js";

// Signal and what it does, in the words of the lecture.
const SIGNALS = [
  ["SIGSTOP", "sig_stop"],
  ["SIGCONT", "sig_continue"],
  ["SIGINT", "sig_interrupt"],
  ["SIGTERM", "sig_terminate"],
  ["SIGKILL", "sig_kill"],
];

function detailRows(p) {
  const started = p.create_time ? formatTime(p.create_time) : "";
  return [
    ["PID", p.pid],
    ["PPID", p.ppid],
    [t("detail_state"), p.status ? `${t(`st_${p.status}`)} (${statusStyle(p.status).letter})` : ""],
    ["CPU", `${p.cpu_percent} %`],
    [t("detail_memory"), `${(p.rss / 1048576).toFixed(1)} MiB`],
    [t("detail_threads"), p.threads],
    [t("detail_started"), started],
    [t("detail_cmdline"), (p.cmdline || []).join(" "), "code"],
  ];
}

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
    const details = document.createElement("dl");
    details.className = "node-details";
    details.id = "node-details";
    this.el.append(details);
    this.showDetails(details, { ...proc, cmdline: [] });
    api("GET", `/api/runs/${encodeURIComponent(this.runId)}/processes/${proc.pid}`).then((res) => {
      if (res.ok && this.pid === proc.pid) this.showDetails(details, res.data);
    });
    if (isPresenter()) {
      const title = document.createElement("p");
      title.className = "node-menu-title";
      title.textContent = `${t("send_signal")} ${proc.pid}`;
      this.el.append(title);
      for (const [sig, key] of SIGNALS) {
        const b = document.createElement("button");
        b.type = "button";
        b.className = "btn btn-signal";
        b.setAttribute("role", "menuitem");
        b.append(`${t(key)} · `, Object.assign(document.createElement("code"), { textContent: sig }));
        b.addEventListener("click", () => this.send(sig));
        this.el.append(b);
      }
    }
    this.msg = document.createElement("p");
    this.msg.className = "node-menu-msg";
    this.el.append(this.msg);
    this.el.hidden = false;
    const x = Math.min(ev.clientX + 8, window.innerWidth - this.el.offsetWidth - 8);
    const y = Math.min(ev.clientY + 8, window.innerHeight - this.el.offsetHeight - 8);
    this.el.style.left = `${x}px`;
    this.el.style.top = `${y}px`;
    (this.el.querySelector("button") || this.el).focus?.();
  }

  showDetails(dl, p) {
    dl.replaceChildren();
    for (const [name, value, kind] of detailRows(p)) {
      const dt = document.createElement("dt");
      dt.textContent = name;
      const dd = document.createElement("dd");
      // The command line is the program's own words.
      if (kind === "code") dd.append(Object.assign(document.createElement("code"), { textContent: String(value) }));
      else dd.textContent = String(value);
      dl.append(dt, dd);
    }
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
