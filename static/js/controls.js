// Lesson list, the parameter form generated from each lesson's JSON schema, Run and Stop.

import { api } from "./api.js";
import { fill, nameLabel, pick, setText, t } from "./i18n.js";

const COMMON = ["speed", "start_method"];
// Set by the step-mode box beside the editor, not by a field of the form.
const STEP = "step";

/** Lesson-specific parameters first (what the lesson is about), then the common ones. */
function orderedParams(schema) {
  const names = Object.keys(schema?.properties ?? {}).filter((n) => n !== STEP);
  return [...names.filter((n) => !COMMON.includes(n)), ...names.filter((n) => COMMON.includes(n))];
}

/** "十 僵尸进程" → "十"; "一 同步与异步, 二 阻塞与非阻塞" → "一·二": the chapter numbers only. */
function chapterNumber(chapter) {
  if (!chapter) return "";
  const numbers = chapter.split(/[,，]\s*/).map((part) => part.trim().split(/\s+/)[0]);
  return numbers.every((n) => /^[一二三四五六七八九十百零〇\d]+$/.test(n)) ? numbers.join("·") : "";
}

/** Chapter and title in the current language, without saying the Chinese title twice. */
export function lessonHeading(lesson) {
  const chapter = lesson.chapter ?? "";
  const title = pick(lesson.title);
  if (!chapter) return title;
  return chapter.includes(title) ? chapter : `${chapter} · ${title}`;
}

function stepFor(spec) {
  if (spec.type === "integer") return "1";
  const nums = [spec.minimum, spec.maximum, spec.default].filter((v) => typeof v === "number");
  return nums.every((v) => Number.isInteger(v * 10)) ? "0.1" : "any";
}

/** A failed action outside the form (Stop, a signal): a banner that goes away by itself. */
export function showActionError(message) {
  const banner = document.getElementById("action-error");
  banner.textContent = message;
  banner.hidden = false;
  clearTimeout(showActionError.timer);
  showActionError.timer = setTimeout(() => {
    banner.hidden = true;
  }, 8000);
}

/** A message with the parameter's name in it shown as code (it is the name in the lesson's code). */
function markName(el, message, name) {
  el.replaceChildren();
  const parts = message.split(name);
  parts.forEach((part, i) => {
    if (i > 0) {
      const code = document.createElement("code");
      code.textContent = name;
      el.append(code);
    }
    if (part) el.append(part);
  });
}

/** What is wrong with a parameter's value, in the page's language, naming its bounds; or null. */
export function fieldProblem(name, spec, value) {
  const meaning = nameLabel("param", name);
  const field = meaning && meaning !== name ? `${meaning} ${name}` : name;
  if (Array.isArray(spec.enum)) return spec.enum.includes(value) ? null : fill("err_choice", { field, choices: spec.enum.join(" / ") });
  if (spec.type !== "number" && spec.type !== "integer") return null;
  const { minimum: min, maximum: max } = spec;
  const bounded = (key) => fill(min != null && max != null ? "err_range" : key, { field, min, max });
  if (typeof value !== "number" || Number.isNaN(value)) {
    return min != null || max != null ? bounded(min != null ? "err_min" : "err_max") : fill("err_number", { field });
  }
  if (spec.type === "integer" && !Number.isInteger(value)) return fill("err_integer", { field });
  if ((min != null && value < min) || (max != null && value > max)) return bounded(min != null && value < min ? "err_min" : "err_max");
  return null;
}

export class Controls {
  /**
   * @param {{runId: string|null, onSelect?: Function, programFor?: (lesson) => Promise<object|null>,
   *   onRunError?: (error) => void}} options programFor: the program Run sends instead of the
   *   lesson (edited code, a lesson of one's own), or null to run the built-in lesson
   */
  constructor(els, lessons, { runId, onSelect, programFor, onRunError, stepMode }) {
    this.els = els;
    this.lessons = lessons;
    this.byId = new Map(lessons.map((l) => [l.id, l]));
    this.runId = runId;
    this.onSelect = onSelect ?? (() => {});
    this.programFor = programFor ?? (async () => null);
    this.onRunError = onRunError ?? (() => {});
    this.stepMode = stepMode ?? (() => false); // params.step
    this.selected = null;
    this.runState = null;
    this.busy = false;
    this.readOnly = false; // a viewer: no Run, no Stop, no form to fill in
    this.els.form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      this.run();
    });
    for (const btn of this.els.stops) btn.addEventListener("click", () => this.stop());
    this.renderList();
  }

  renderList() {
    const list = this.els.list;
    list.replaceChildren();
    if (!this.lessons.length) {
      const li = document.createElement("li");
      li.className = "empty";
      li.textContent = t("no_lessons");
      list.append(li);
      return;
    }
    for (const lesson of this.lessons) {
      const li = document.createElement("li");
      const btn = document.createElement("button");
      btn.type = "button";
      btn.className = lesson.builtin === false ? "lesson own" : "lesson";
      btn.dataset.lesson = lesson.id;
      btn.innerHTML = `<span class="lesson-chapter"></span><span class="lesson-title-zh" lang="zh-CN"></span><span class="lesson-title-en" lang="en"></span>`;
      btn.querySelector(".lesson-chapter").textContent = lesson.mark ?? (lesson.builtin === false ? "★" : chapterNumber(lesson.chapter));
      btn.title = lesson.chapter ?? "";
      setText(btn.querySelector(".lesson-title-zh"), lesson.title?.zh ?? "");
      btn.querySelector(".lesson-title-en").textContent = lesson.title?.en ?? lesson.id;
      btn.addEventListener("click", () => this.select(lesson.id));
      li.append(btn);
      list.append(li);
    }
    if (this.selected) this.markSelected();
  }

  /** A lesson of one's own just saved or uploaded: listed after the others. */
  addLesson(lesson) {
    this.lessons = [...this.lessons.filter((l) => l.id !== lesson.id), lesson];
    this.byId.set(lesson.id, lesson);
    this.renderList();
  }

  removeLesson(id) {
    this.lessons = this.lessons.filter((l) => l.id !== id);
    this.byId.delete(id);
    if (this.selected?.id === id) this.selected = null;
    this.renderList();
    if (!this.selected && this.lessons.length) this.select(this.lessons[0].id);
  }

  /** Edited code runs as a program: the lesson's own parameters are values in the code now. */
  setEdited(edited) {
    this.els.form.classList.toggle("edited", edited);
  }

  select(id, params) {
    const lesson = this.byId.get(id);
    if (!lesson) return;
    const changed = this.selected?.id !== id;
    this.selected = lesson;
    this.markSelected();
    this.renderDetail();
    if (changed || params) this.renderForm(params);
    if (changed) this.onSelect(lesson);
    // After the form is drawn, which may have shrunk the list.
    this.els.list.querySelector("button.lesson.selected")?.scrollIntoView({ block: "nearest" });
  }

  markSelected() {
    for (const btn of this.els.list.querySelectorAll("button.lesson")) {
      const on = btn.dataset.lesson === this.selected?.id;
      btn.classList.toggle("selected", on);
      if (on) btn.setAttribute("aria-current", "true");
      else btn.removeAttribute("aria-current");
    }
  }

  renderDetail() {
    const l = this.selected;
    setText(this.els.heading, l ? lessonHeading(l) : "");
    setText(this.els.summary, l ? pick(l.summary) : "");
    setText(this.els.watch, l ? pick(l.watch) : "");
    this.els.watch.parentElement.hidden = !l || !this.els.watch.textContent;
  }

  renderForm(values) {
    const fs = this.els.fields;
    fs.replaceChildren();
    this.clearErrors();
    const schema = this.selected?.params;
    for (const name of orderedParams(schema)) {
      fs.append(this.field(name, schema.properties[name], values?.[name]));
    }
  }

  field(name, spec, value) {
    const wrap = document.createElement("div");
    wrap.className = `field field-${spec.type}${COMMON.includes(name) ? " field-common" : ""}`;
    wrap.dataset.field = name;
    const id = `param-${name}`;
    const label = document.createElement("label");
    label.htmlFor = id;
    label.className = "field-name";
    this.labelField(label, name);
    const current = value ?? spec.default;
    let input;
    if (Array.isArray(spec.enum)) {
      input = document.createElement("select");
      for (const opt of spec.enum) {
        const o = document.createElement("option");
        o.value = opt;
        o.textContent = opt;
        o.translate = false; // a start method's name, as multiprocessing knows it
        input.append(o);
      }
      if (current != null) input.value = current;
    } else if (spec.type === "boolean") {
      input = document.createElement("input");
      input.type = "checkbox";
      input.checked = Boolean(current);
    } else if (spec.type === "number" || spec.type === "integer") {
      input = document.createElement("input");
      input.type = "number";
      input.inputMode = spec.type === "integer" ? "numeric" : "decimal";
      if (spec.minimum != null) input.min = spec.minimum;
      if (spec.maximum != null) input.max = spec.maximum;
      input.step = stepFor(spec);
      if (current != null) input.value = current;
    } else {
      input = document.createElement("input");
      input.type = "text";
      if (current != null) input.value = current;
    }
    input.id = id;
    input.name = name;
    input.dataset.type = spec.type;
    input.addEventListener("input", () => this.setFieldError(name, null));
    const hint = document.createElement("span");
    hint.className = "field-hint";
    const range = spec.minimum != null || spec.maximum != null ? ` (${spec.minimum ?? "…"}–${spec.maximum ?? "…"})` : "";
    // A description may come as plain text or as {en, zh}.
    setText(hint, `${pick(spec["x-description"] ?? spec.description)}${range}`);
    const err = document.createElement("span");
    err.className = "field-error";
    err.id = `${id}-error`;
    err.setAttribute("role", "alert");
    err.hidden = true;
    input.setAttribute("aria-describedby", err.id);
    wrap.append(label, input, hint, err);
    return wrap;
  }

  /** The parameter's name as the code has it, and what it means in the page's language. */
  labelField(label, name) {
    label.replaceChildren();
    const meaning = nameLabel("param", name);
    if (meaning && meaning !== name) {
      const span = document.createElement("span");
      span.className = "field-meaning";
      setText(span, meaning);
      label.append(span, " ");
    }
    const code = document.createElement("code");
    code.className = "field-key";
    code.textContent = name;
    label.append(code);
  }

  /** Read the form into typed params; a field out of its schema's bounds gets our own message. */
  readParams() {
    const params = {};
    const schema = this.selected?.params?.properties ?? {};
    let first = null;
    for (const input of this.els.fields.querySelectorAll("input, select")) {
      const type = input.dataset.type;
      let value;
      if (type === "boolean") value = input.checked;
      else if (type === "number" || type === "integer") value = input.value.trim() === "" ? NaN : Number(input.value);
      else value = input.value;
      params[input.name] = value;
      const message = fieldProblem(input.name, schema[input.name] ?? { type }, value);
      if (message) {
        this.setFieldError(input.name, message);
        first ??= input.name;
      }
    }
    if (first) this.revealField(first);
    return first ? null : params;
  }

  /** Bring a field that needs fixing into view and put the cursor in it (the lesson panel may be folded). */
  revealField(name) {
    const wrap = this.els.fields.querySelector(`[data-field="${CSS.escape(name)}"]`);
    const input = wrap?.querySelector("input, select");
    if (!input) return;
    document.body.classList.remove("lessons-collapsed");
    wrap.scrollIntoView({ block: "center" });
    input.focus({ preventScroll: true });
    input.select?.();
  }

  setFieldError(name, message) {
    const wrap = this.els.fields.querySelector(`[data-field="${CSS.escape(name)}"]`);
    if (!wrap) return false;
    const err = wrap.querySelector(".field-error");
    markName(err, message ?? "", name);
    err.hidden = !message;
    wrap.classList.toggle("invalid", Boolean(message));
    wrap.querySelector("input, select")?.setAttribute("aria-invalid", message ? "true" : "false");
    return true;
  }

  clearErrors() {
    this.els.error.hidden = true;
    this.els.error.textContent = "";
    for (const wrap of this.els.fields.querySelectorAll(".field")) this.setFieldError(wrap.dataset.field, null);
  }

  showError({ field, message }) {
    // The server's words are English: a field it names gets our message, from the field's bounds.
    const spec = field ? this.selected?.params?.properties?.[field] : null;
    if (spec) {
      const input = this.els.fields.querySelector(`[name="${CSS.escape(field)}"]`);
      const value = input?.dataset.type === "boolean" ? input.checked : input?.value;
      const own = fieldProblem(field, spec, spec.type === "number" || spec.type === "integer" ? Number(value) : value);
      if (this.setFieldError(field, own ?? fill("err_server", { field }))) {
        this.revealField(field);
        return;
      }
    }
    this.els.error.textContent = field ? `${field}: ${message}` : message;
    this.els.error.hidden = false;
  }

  async run() {
    if (!this.selected || this.busy || this.readOnly) return;
    this.clearErrors();
    const params = this.readParams();
    if (!params) return;
    this.setBusy(true);
    // An edited lesson runs as a program, which takes the common parameters only (speed, start
    // method); both take step mode.
    const program = await this.programFor(this.selected);
    const common = Object.fromEntries(Object.entries(params).filter(([name]) => COMMON.includes(name)));
    if (this.stepMode()) params[STEP] = common[STEP] = true;
    const body = program ? { program: { ...program, argv: [] }, params: common } : { lesson: this.selected.id, params };
    const res = await api("POST", "/api/runs", body);
    if (res.ok && res.data?.id) {
      location.assign(`/runs/${encodeURIComponent(res.data.id)}`);
      return;
    }
    this.setBusy(false);
    const error = res.error ?? { field: null, message: t("request_failed") };
    this.showError(error);
    this.onRunError(error);
  }

  async stop() {
    if (!this.runId || this.readOnly) return;
    for (const btn of this.els.stops) btn.disabled = true;
    const res = await api("POST", `/api/runs/${encodeURIComponent(this.runId)}/stop`);
    if (!res.ok) {
      // The lesson panel (and its error line) may be folded away: say it where it is seen.
      showActionError(res.error.message);
      this.setRunState(this.runState);
    }
  }

  setBusy(busy) {
    this.busy = busy;
    this.els.run.disabled = busy;
    this.els.run.classList.toggle("busy", busy);
  }

  setRunState(state) {
    this.runState = state;
    const active = Boolean(this.runId) && (state === "starting" || state === "running");
    for (const btn of this.els.stops) btn.disabled = !active || this.readOnly;
  }

  /** A viewer watches: the controls only the presenter can use are not shown at all. */
  setReadOnly() {
    this.readOnly = true;
    this.els.form.hidden = true;
    this.els.run.hidden = true;
    for (const btn of this.els.stops) {
      btn.hidden = true;
      btn.disabled = true;
    }
  }

  relabel() {
    this.renderDetail();
    // The form in the other language, with what was typed in it.
    const values = {};
    for (const input of this.els.fields.querySelectorAll("input, select")) {
      values[input.name] = input.dataset.type === "boolean" ? input.checked : input.value;
    }
    if (this.selected) this.renderForm(values);
  }
}
