// The presenter holds time: Freeze / Thaw the whole run (SIGSTOP / SIGCONT to every process),
// and in a step-mode run be the scheduler (let one process run a line, to its next event, on
// to a breakpoint; or every one). Everyone sees the "frozen" banner; only the presenter the bar.

import { api } from "./api.js";
import { showActionError } from "./controls.js";
import { setAttr, setProps } from "./dom.js";
import { onLangChange, t } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const fill = (template, vars) => template.replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ""));

/** "FROZEN · 12 s" over the tree while the run is frozen, for presenter and viewers alike. */
export class FrozenBanner {
  constructor(el, model) {
    this.el = el;
    this.model = model;
    this.timer = null;
    const update = () => this.render();
    model.on("freeze", update);
    model.on("run", update);
    model.on("reset", update);
    onLangChange(update);
  }

  /** Frozen now: the record says so (frozen) or a freeze event is still open. */
  frozenSince() {
    const m = this.model;
    if (m.isTerminal()) return null;
    const span = m.frozenSpan();
    if (span) return span.from;
    return m.run?.frozen ? m.serverNow() - (m.run.frozen_seconds ?? 0) : null;
  }

  render() {
    const since = this.frozenSince();
    const on = since !== null;
    setProps(this.el, { hidden: !on });
    document.body.classList.toggle("run-frozen", on);
    if (on) {
      const seconds = Math.max(0, Math.floor(this.model.serverNow() - since));
      this.el.textContent = fill(t("frozen_banner"), { s: seconds });
      this.el.dataset.seconds = String(seconds);
      if (!this.timer) this.timer = setInterval(() => this.render(), 500);
    } else if (this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }
}

export class TimeControl {
  /**
   * @param {HTMLElement} bar where the buttons go (the presenter's only)
   * @param {{runId: string, model: import("./state.js").RunModel, onChange?: () => void}} options
   *   onChange: the selection or a hold changed (the tree redraws)
   */
  constructor(bar, { runId, model, onChange }) {
    this.bar = bar;
    this.runId = runId;
    this.model = model;
    this.onChange = onChange ?? (() => {});
    this.selected = null; // the process the step buttons (and N) move
    this.busy = false;
    this.build();
    for (const topic of ["run", "activity", "processes", "freeze", "reset"]) model.on(topic, () => this.render());
    onLangChange(() => this.relabel());
    this.relabel();
  }

  build() {
    const button = (id, word, onClick, cls = "") => {
      const b = document.createElement("button");
      b.type = "button";
      b.className = `btn btn-time ${cls}`.trim();
      b.id = id;
      b.dataset.word = word;
      b.addEventListener("click", onClick);
      return b;
    };
    this.freezeBtn = button("freeze-btn", "freeze", () => this.toggleFreeze(), "btn-freeze");
    this.stepGroup = document.createElement("span");
    this.stepGroup.className = "step-group";
    this.stepGroup.id = "step-group";
    this.who = document.createElement("span");
    this.who.className = "step-who";
    this.who.id = "step-who";
    this.lineBtn = button("step-line", "step_line", () => this.step("line"));
    this.eventBtn = button("step-event", "step_event", () => this.step("event"));
    this.runBtn = button("step-run", "step_run", () => this.step("run"));
    this.allBtn = button("step-all", "step_run_all", () => this.step("run", null), "btn-run-all");
    this.stepGroup.append(this.who, this.lineBtn, this.eventBtn, this.runBtn, this.allBtn);
    this.bar.replaceChildren(this.freezeBtn, this.stepGroup);
  }

  stepping() {
    return Boolean(this.model.run?.params?.step);
  }

  active() {
    return Boolean(this.model.run) && !this.model.isTerminal() && this.model.run.state === "running";
  }

  frozen() {
    return Boolean(this.model.frozenSpan()) || Boolean(this.model.run?.frozen && !this.model.isTerminal());
  }

  /** The selected process if it is still there, else the one held most recently. */
  target() {
    const m = this.model;
    if (this.selected != null && m.processes.has(this.selected)) return this.selected;
    let newest = null;
    for (const [pid, h] of m.activity.held) {
      if (m.processes.has(pid) && (!newest || h.t >= newest.t)) newest = { pid, t: h.t };
    }
    return newest?.pid ?? null;
  }

  select(pid) {
    this.selected = pid;
    this.render();
    this.onChange();
  }

  /** A click on a node: select it; a held one also runs its next line. True if handled. */
  nodeClicked(proc) {
    if (!this.stepping() || !this.active()) return false;
    this.select(proc.pid);
    if (!this.model.activity.held.has(proc.pid)) return false;
    this.step("line", proc.pid);
    return true;
  }

  async step(mode, pid = this.target()) {
    if (!this.stepping() || !this.active()) return;
    if (pid === null && mode !== "run") return; // every one goes on only to a breakpoint
    const before = new Map(this.model.activity.held);
    const res = await api("POST", `/api/runs/${encodeURIComponent(this.runId)}/step`, { pid, mode });
    if (!res.ok) {
      showActionError(res.error.message);
      return;
    }
    // They run now: held no more until their next step event (maybe here already) says so.
    if (this.model.activity.released(res.data?.pids ?? [], before)) this.model.emit("activity", pid);
  }

  async toggleFreeze() {
    if (!this.active() || this.busy) return;
    this.busy = true;
    this.freezeBtn.disabled = true;
    const verb = this.frozen() ? "thaw" : "freeze";
    const res = await api("POST", `/api/runs/${encodeURIComponent(this.runId)}/${verb}`);
    this.busy = false;
    if (!res.ok) showActionError(res.error.message);
    this.render(); // the run message that follows says frozen or not

  }

  render() {
    const active = this.active();
    setProps(this.bar, { hidden: !this.model.run || this.model.isTerminal() });
    const frozen = this.frozen();
    const word = frozen ? "thaw" : "freeze";
    setAttr(this.freezeBtn, "aria-pressed", frozen);
    setAttr(this.freezeBtn, "data-word", word);
    setProps(this.freezeBtn, {
      disabled: !active || this.busy,
      textContent: `${frozen ? "▶" : "❄"} ${t(word)}`,
      title: `${t(frozen ? "thaw_hint" : "freeze_hint")} (Z)`,
    });
    const stepping = this.stepping();
    setProps(this.stepGroup, { hidden: !stepping });
    if (!stepping) return;
    const pid = this.target();
    const held = pid != null ? this.model.activity.held.get(pid) : null;
    setProps(this.who, {
      textContent: pid == null ? t("step_none") : held ? `PID ${pid} · ${fill(t("held_at"), { n: held.lineno ?? "?" })}` : `PID ${pid}`,
    });
    setAttr(this.who, "data-pid", pid ?? "");
    for (const b of [this.lineBtn, this.eventBtn, this.runBtn]) setProps(b, { disabled: !active || pid == null });
    setProps(this.allBtn, { disabled: !active });
    setProps(this.lineBtn, { title: `${t("step_line_hint")} (N)` });
  }

  relabel() {
    for (const b of [this.lineBtn, this.eventBtn, this.runBtn, this.allBtn]) b.textContent = t(b.dataset.word);
    this.eventBtn.title = t("step_event_hint");
    this.runBtn.title = t("step_run_hint");
    this.allBtn.title = t("step_run_all_hint");
    this.render();
  }
}

/**
 * Breakpoints in the code panel: each line gets its number as a button; a click toggles a
 * breakpoint (the full list goes to PUT /breakpoints). Drawn from the run record's list.
 */
export class Breakpoints {
  constructor(body, { runId, model, canEdit }) {
    this.body = body;
    this.runId = runId;
    this.model = model;
    this.canEdit = canEdit;
    this.lines = []; // [{file, line}], as the server last said
    new MutationObserver(() => this.decorate()).observe(body, { childList: true });
    model.on("run", (run) => {
      if (Array.isArray(run.breakpoints)) this.lines = run.breakpoints;
      this.decorate();
    });
    body.addEventListener("click", (ev) => {
      const btn = ev.target.closest?.("button.line-no");
      if (btn) this.toggle(Number(btn.dataset.line));
    });
  }

  file() {
    return this.body.dataset.file || "main.py";
  }

  editable() {
    return this.canEdit() && Boolean(this.model.run?.params?.step) && !this.model.isTerminal();
  }

  /** Number each line (once per code shown) and mark the breakpoints of the file on show. */
  decorate() {
    const stepping = Boolean(this.model.run?.params?.step);
    this.body.classList.toggle("stepping", stepping);
    if (!stepping) return;
    const editable = this.editable();
    const file = this.file();
    const on = new Set(this.lines.filter((b) => b.file.split("/").pop() === file).map((b) => b.line));
    for (const el of this.body.querySelectorAll("pre span[id^='line-']")) {
      const n = Number(el.id.slice(5));
      let btn = el.firstElementChild?.classList.contains("line-no") ? el.firstElementChild : null;
      if (!btn) {
        btn = document.createElement("button");
        btn.type = "button";
        btn.className = "line-no";
        btn.dataset.line = String(n);
        btn.textContent = String(n);
        el.prepend(btn);
      }
      btn.disabled = !editable;
      btn.setAttribute("aria-pressed", String(on.has(n)));
      btn.title = t("breakpoint_hint");
      el.classList.toggle("breakpoint", on.has(n));
    }
  }

  async toggle(line) {
    if (!this.editable() || !Number.isInteger(line)) return;
    const file = this.file();
    const had = this.lines.some((b) => b.line === line && b.file.split("/").pop() === file);
    const lines = had ? this.lines.filter((b) => !(b.line === line && b.file.split("/").pop() === file)) : [...this.lines, { file, line }];
    const res = await api("PUT", `/api/runs/${encodeURIComponent(this.runId)}/breakpoints`, { lines });
    if (!res.ok) {
      showActionError(res.error.message);
      return;
    }
    this.lines = res.data?.breakpoints ?? lines;
    this.decorate();
  }
}
