// "Predict, then run": the presenter asks one of the lesson's questions before Run; viewers
// answer on their laptops or phones; the projector shows the distribution live (a histogram
// for a number, bars for a choice) and, once the run's result is in, the answer beside it.
// The question comes from the lobby WebSocket ("prediction" messages) and, on a run's page,
// from the run's own "prediction" events (so a replay shows it too). Counts only, never who.

import { api } from "./api.js";
import { Connection, wsUrl } from "./connection.js";
import { lang, pick, setText, t } from "./i18n.js";
import { Prediction, shown } from "./prediction.js";

const el = (tag, cls, text) => {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text != null) node.textContent = text;
  return node;
};
// A lesson's words, with its code (`apply()`, `join`) marked as code (i18n.js setText).
const lessonText = (tag, cls, text) => {
  const node = el(tag, cls);
  setText(node, text);
  return node;
};

function fill(key, vars) {
  return t(key).replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ""));
}

function num(v) {
  return new Intl.NumberFormat(lang() === "zh" ? "zh-CN" : "en", { maximumFractionDigits: 3 }).format(v);
}

export class PredictView {
  /**
   * @param {{panel: HTMLElement, ask: HTMLElement}} els the question's panel, the presenter's asking box
   * @param {{presenter: boolean, runId: string|null}} options
   */
  constructor({ panel, ask }, { presenter, runId }) {
    this.panel = panel;
    this.askBox = ask;
    this.presenter = presenter;
    this.runId = runId;
    this.lobby = new Prediction(); // the lobby's current question
    this.ofRun = new Prediction(); // the one this run took (its events)
    this.lesson = null; // the presenter's selected lesson: its questions can be asked
    this.runEnded = () => false;
    this.asked = new Set(); // question ids whose "mine" this viewer has asked the server for
    this.error = "";
    this.sending = false;
    this.draft = ""; // a number being typed survives a redraw (a count changed meanwhile)
    this.onRunPage = false;
    this.home = document.createComment("predict"); // the stage: its place in the tree panel
    panel.before(this.home);
    if (presenter) {
      // Viewers hear the lobby through the Follower (lobbyMessage); the presenter listens itself.
      this.conn = new Connection(wsUrl("/ws/lobby"), {
        onMessage: (msg) => this.lobbyMessage(msg),
        onStatus: () => {},
        isFinished: () => false,
      });
      this.conn.open();
    }
  }

  lobbyMessage(msg) {
    if (msg?.type !== "prediction") return;
    if (this.lobby.apply(msg.question)) this.changed(this.lobby);
    if (!msg.question) {
      this.lobby.reset();
      this.render();
    }
  }

  /** A run's page: the question it took comes with its events (live, history or replay). */
  followRun(model) {
    model.on("event", (msg) => {
      if (msg.kind !== "prediction" || !this.ofRun.apply(msg.data)) return;
      this.changed(this.ofRun);
      // The moment of the reveal: on a small screen the side panel is below; bring it up.
      // (After the result card beside it has grown: the panel's row is then its height.)
      if (msg.data.state === "revealed" && !msg.history && !this.panel.hidden) {
        setTimeout(() => this.panel.scrollIntoView({ block: "nearest", behavior: "smooth" }), 300);
      }
    });
    model.on("reset", () => {
      this.ofRun.reset();
      this.render();
    });
    model.on("run", () => this.render());
    this.runEnded = () => model.isTerminal();
    this.onRunPage = true;
    this.render();
  }

  /** Where the panel goes: the stage before Run, the side panel beside a run; for a viewer
   * who can answer, or any viewer before Run, above everything (a phone shows it first). */
  place(q) {
    const top = !this.presenter && (!this.onRunPage || q.state === "open");
    const where = top ? "top" : this.onRunPage ? "side" : "stage";
    if (this.panel.dataset.place === where) return;
    this.panel.dataset.place = where;
    this.panel.classList.toggle("stage", where === "stage");
    if (where === "top") document.querySelector("main.layout")?.before(this.panel);
    else if (where === "side") document.querySelector(".panel-side")?.prepend(this.panel);
    else this.home.before(this.panel);
  }

  lessonSelected(lesson) {
    this.lesson = lesson;
    this.renderAsk();
  }

  changed(prediction) {
    const q = prediction.q;
    // A viewer's own vote is not in any broadcast: ask once per question (the cookie says who).
    if (!this.presenter && q && !this.asked.has(q.id)) {
      this.asked.add(q.id);
      api("GET", `/api/questions/${encodeURIComponent(q.id)}`).then((res) => {
        // Refused or lost: ask again with the next change, or a viewer's own answer would
        // stay off its page for good.
        if (!res.ok && res.status !== 404) this.asked.delete(q.id);
        if (res.ok && res.data?.mine != null) {
          this.lobby.setMine(q.id, res.data.mine);
          this.ofRun.setMine(q.id, res.data.mine);
          this.render();
        }
      });
    }
    this.render();
  }

  current() {
    const q = shown(this.lobby.q, this.ofRun.q);
    return q === this.lobby.q ? this.lobby : this.ofRun;
  }

  render() {
    this.renderAsk();
    const p = this.current();
    const q = p.q;
    // Before Run, a question a run has taken is that run's page's (it is not asked any more).
    this.panel.hidden = !q || (!this.onRunPage && q.run != null);
    if (this.panel.hidden) return;
    this.place(q);
    this.panel.dataset.state = q.state;
    this.panel.dataset.kind = q.kind;
    this.panel.dataset.question = q.id;
    const canVote = !this.presenter && p.open && q.mine == null;
    // The answer form is made once per question (and language): a count arriving while a
    // student taps a button must not replace the button under the finger.
    const formKey = canVote ? `${q.id}:${lang()}` : null;
    if (formKey !== this.formKey) {
      this.formKey = formKey;
      this.formEl = canVote ? this.form(q) : null;
    }
    for (const b of this.formEl?.querySelectorAll("button") ?? []) b.disabled = this.sending;
    const head = el("h2", "predict-h", t("predict_title"));
    head.id = "predict-h";
    const parts = [head, lessonText("p", "predict-q", pick(q.text))];
    parts.push(this.status(p, canVote));
    // A viewer sees the others' answers once it has answered (it is not swayed by them).
    if (this.presenter || !canVote) parts.push(this.bars(p));
    const reveal = this.reveal(p);
    if (reveal) parts.push(reveal);
    if (this.error) parts.push(el("p", "predict-error", this.error));
    // Everything but the form is drawn anew; the form stays where it is, untouched.
    for (const child of [...this.panel.children]) if (child !== this.formEl) child.remove();
    if (!this.formEl) {
      this.panel.append(...parts);
      return;
    }
    const [title, text, ...rest] = parts;
    if (this.formEl.parentNode !== this.panel) this.panel.append(this.formEl);
    this.formEl.before(title, text);
    this.formEl.after(...rest);
  }

  form(q) {
    const form = el("form", "predict-form");
    form.noValidate = true; // our own message, in the page's language
    if (q.kind === "choice") {
      for (const c of q.choices) {
        const b = lessonText("button", "btn predict-choice", pick(c.text));
        b.type = "button";
        b.name = `choice-${c.id}`;
        b.dataset.choice = c.id;
        b.disabled = this.sending;
        b.addEventListener("click", () => this.send(q, c.id));
        form.append(b);
      }
      return form;
    }
    const input = el("input", "predict-number");
    Object.assign(input, { type: "number", name: "answer", min: q.minimum, max: q.maximum, step: q.step });
    input.inputMode = Number.isInteger(q.step) && q.minimum >= 0 ? "numeric" : "decimal";
    input.value = this.draft;
    input.setAttribute("aria-label", pick(q.text));
    input.addEventListener("input", () => {
      this.draft = input.value;
    });
    const unit = q.unit ? el("span", "predict-unit", pick(q.unit)) : null;
    const submit = el("button", "btn btn-run predict-send", t("predict_answer_btn"));
    submit.type = "submit";
    submit.disabled = this.sending;
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const value = Number(input.value);
      if (input.value.trim() === "" || !Number.isFinite(value) || value < q.minimum || value > q.maximum) {
        this.error = fill("predict_range", { min: num(q.minimum), max: num(q.maximum), step: num(q.step) });
        this.render();
        return;
      }
      this.send(q, value);
    });
    form.append(...[input, unit, submit].filter(Boolean));
    return form;
  }

  async send(q, answer) {
    this.sending = true;
    this.error = "";
    this.render();
    const res = await api("POST", `/api/questions/${encodeURIComponent(q.id)}/votes`, { answer });
    this.sending = false;
    if (res.ok) {
      this.draft = "";
      this.lobby.apply(res.data);
      this.lobby.setMine(q.id, res.data.mine);
      this.ofRun.setMine(q.id, res.data.mine);
    } else {
      this.error = this.why(res, q);
      if (res.status === 409 && res.error?.field === "viewer") this.asked.delete(q.id);
    }
    this.render();
  }

  why(res, q) {
    if (res.status === 422) return fill("predict_range", { min: num(q.minimum ?? 0), max: num(q.maximum ?? 0), step: num(q.step ?? 1) });
    if (res.status === 409) return t(res.data?.detail?.field === "viewer" ? "predict_already" : "predict_ended");
    if (res.status === 429) return t("predict_rate");
    return `${t("predict_failed")}: ${res.error?.message ?? res.status}`;
  }

  status(p, canVote) {
    const q = p.q;
    const parts = [fill("predict_votes", { n: q.votes })];
    if (q.unit) parts.push(fill("predict_unit", { u: pick(q.unit) }));
    const median = canVote ? null : p.median(); // the others' answers, only once answered
    if (median != null) parts.push(fill("predict_median", { m: `${num(median)}${q.unit ? ` ${pick(q.unit)}` : ""}` }));
    if (q.state === "open" && (this.presenter || q.mine == null)) parts.push(t(this.presenter ? "predict_open" : "predict_open_viewer"));
    else if (q.state === "closed") parts.push(t(q.run && this.runEnded() && p === this.ofRun ? "predict_no_answer" : "predict_waiting"));
    if (q.mine != null) parts.push(fill("predict_mine", { a: this.label(q, q.mine) }));
    const status = el("p", "predict-status", parts.join(" · "));
    status.setAttribute("role", "status");
    status.dataset.votes = String(q.votes);
    return status;
  }

  label(q, key) {
    const c = q.choices?.find((x) => x.id === key);
    if (c) return pick(c.text);
    return `${num(Number(key))}${q.unit ? ` ${pick(q.unit)}` : ""}`;
  }

  bars(p) {
    const q = p.q;
    const box = el("div", `predict-bars ${q.kind}`);
    box.setAttribute("role", "img");
    const bars = p.bars();
    box.setAttribute("aria-label", bars.map((b) => `${this.label(q, b.key)}: ${b.count}`).join(", "));
    // A label on every bin while they fit; else on every few (the counts stay on each). The
    // unit is said once, in the status line.
    const fits = this.panel.dataset.place === "stage" ? 12 : 6;
    const every = q.kind === "number" ? Math.ceil(bars.length / fits) : 1;
    bars.forEach((b, i) => {
      const row = el("div", "predict-bar");
      row.dataset.key = b.key;
      row.dataset.count = String(b.count);
      row.classList.toggle("answer", b.answer);
      row.classList.toggle("mine", b.mine);
      const fillEl = el("span", "predict-fill");
      fillEl.style.setProperty("--share", String(b.share));
      const count = el("span", "predict-count", b.count ? String(b.count) : "");
      const text = q.kind === "choice" ? pick(b.label) : i % every === 0 ? num(Number(b.key)) : "";
      const name = el("span", "predict-label", text);
      const track = el("span", "predict-track");
      track.append(fillEl);
      row.append(name, track, count);
      box.append(row);
    });
    return box;
  }

  reveal(p) {
    const q = p.q;
    if (q.state !== "revealed") return null;
    const box = el("p", "predict-reveal");
    const shownAnswer = q.answer_key != null ? this.label(q, q.answer_key) : q.answer == null ? "—" : String(q.answer);
    const exact = q.kind === "number" && typeof q.answer === "number" && q.answer_key != null && Number(q.answer_key) !== q.answer;
    const value = exact ? `${num(q.answer)}${q.unit ? ` ${pick(q.unit)}` : ""} ≈ ${shownAnswer}` : shownAnswer;
    box.append(el("strong", "predict-answer-label", `${t("predict_answer")}: `), el("span", "predict-answer", value));
    if (q.answer_key == null && q.answer != null) box.append(el("span", "predict-off", ` (${t("predict_off_scale")})`));
    box.append(el("span", "predict-correct", ` · ${fill("predict_correct", { c: q.correct ?? 0, n: q.votes })}`));
    box.dataset.answerKey = q.answer_key ?? "";
    return box;
  }

  /** The presenter's box in the lesson panel: ask one of the selected lesson's questions. */
  renderAsk() {
    const box = this.askBox;
    const questions = this.presenter ? this.lesson?.questions ?? [] : [];
    box.hidden = !questions.length;
    if (!questions.length) return;
    const open = this.lobby.open ? this.lobby.q : null;
    // Drawn again only when it changes (not with every count: a click must not be lost).
    const key = JSON.stringify([this.lesson.id, open?.id ?? null, open?.key ?? null, lang(), this.askError ?? ""]);
    if (key === this.askKey) return;
    this.askKey = key;
    const heading = el("h3", "predict-ask-h", t("predict_ask"));
    heading.id = "predict-ask-h";
    const parts = [heading];
    for (const q of questions) {
      const b = lessonText("button", "btn predict-ask-btn", pick(q.text));
      b.type = "button";
      b.dataset.question = q.id;
      const asking = open && open.lesson === this.lesson.id && open.key === q.id;
      b.classList.toggle("asking", Boolean(asking));
      b.setAttribute("aria-pressed", String(Boolean(asking)));
      b.addEventListener("click", () => this.ask(q.id));
      parts.push(b);
    }
    if (open) {
      const close = el("button", "btn predict-close", t("predict_close"));
      close.type = "button";
      close.addEventListener("click", () => this.close(open.id));
      parts.push(close);
    }
    parts.push(el("p", "form-note", t("predict_next_run")));
    if (this.askError) parts.push(el("p", "predict-error", this.askError));
    box.replaceChildren(...parts);
  }

  async ask(questionId) {
    const res = await api("POST", "/api/questions", { lesson: this.lesson.id, question: questionId });
    this.askError = res.ok ? "" : res.error?.message ?? String(res.status);
    if (res.ok) this.lobby.apply(res.data);
    this.render();
  }

  async close(id) {
    const res = await api("POST", `/api/questions/${encodeURIComponent(id)}/close`);
    this.askError = res.ok || res.status === 409 ? "" : res.error?.message ?? String(res.status);
    if (res.ok) this.lobby.apply(res.data);
    this.render();
  }
}
