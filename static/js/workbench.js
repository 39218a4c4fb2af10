// The presenter's workbench on the start page: the selected lesson's code in the editor, its
// files (add, rename, remove), and the lesson's own actions: Reset a built-in to its original,
// Save as my lesson, Save, Download and Upload (one JSON file), Delete. Viewers never load it.

import { api } from "./api.js";
import { EMPTY_PROGRAM, NEW_PROGRAM, sameProgram, syntaxError, validFileName } from "./drafts.js";
import { LessonEditor } from "./editor.js";
import { applyStatic, pick, t } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const SAVE_DELAY_MS = 300;

/** The lesson as one downloadable file: what POST /api/lessons takes back. */
function lessonFile(lesson, program) {
  const title = lesson.id === NEW_PROGRAM ? {} : lesson.title;
  return { id: lesson.builtin === false ? lesson.id : undefined, title, entry: program.entry, files: program.files };
}

export class Workbench {
  /**
   * @param {{controls: import("./controls.js").Controls, drafts: import("./drafts.js").Drafts}} deps
   */
  constructor({ controls, drafts }) {
    this.controls = controls;
    this.drafts = drafts;
    this.lesson = null;
    this.original = null; // the program as the server has it (built-in or saved)
    this.errorShown = false;
    this.timer = null;
    this.loading = 0;
    this.editor = new LessonEditor($("editor-host"), {
      onChange: () => this.changed(),
      onFile: () => this.renderTabs(),
    });
    $("workbench").hidden = false;
    document.body.classList.add("editing");
    this.wire();
    applyStatic($("workbench"));
  }

  wire() {
    $("file-add").addEventListener("click", () => this.askName(null));
    $("lesson-reset").addEventListener("click", () => this.reset());
    $("lesson-save").addEventListener("click", () => this.saveOwn());
    $("lesson-save-as").addEventListener("click", () => this.openSaveAs());
    $("lesson-download").addEventListener("click", () => this.download());
    $("lesson-upload").addEventListener("change", (ev) => this.upload(ev.target));
    $("lesson-delete").addEventListener("click", () => this.remove());
    $("save-dialog-form").addEventListener("submit", (ev) => {
      if (ev.submitter?.value === "save") {
        ev.preventDefault();
        this.saveAs();
      }
    });
  }

  /** The lesson the list selected: its draft if the presenter edited it, else its files. */
  async show(lesson) {
    this.lesson = lesson;
    const ticket = ++this.loading;
    let original = EMPTY_PROGRAM;
    if (lesson.id !== NEW_PROGRAM) {
      const res = await api("GET", `/api/lessons/${encodeURIComponent(lesson.id)}`);
      if (ticket !== this.loading) return;
      if (!res.ok) {
        this.note(res.error.message, true);
        return;
      }
      original = { files: res.data.files, entry: res.data.entry };
    }
    this.original = original;
    const draft = this.drafts.get(lesson.id);
    const program = draft ?? original;
    this.editor.load(program.files, program.entry);
    this.errorShown = false;
    $("workbench").dataset.lesson = lesson.id; // loaded
    this.render();
  }

  program() {
    return { files: this.editor.files(), entry: this.editor.entry };
  }

  edited() {
    return Boolean(this.original) && !sameProgram(this.program(), this.original);
  }

  changed() {
    if (this.errorShown) {
      this.errorShown = false;
      queueMicrotask(() => this.editor.clearError()); // not inside the editor's own update
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.keepDraft(), SAVE_DELAY_MS);
    this.render();
  }

  /** The draft is what Run sends; none when the code is the original again. */
  keepDraft() {
    clearTimeout(this.timer);
    if (!this.lesson) return;
    if (this.edited()) this.drafts.set(this.lesson.id, this.program());
    else this.drafts.clear(this.lesson.id);
  }

  /** Run asks first: the draft must be written before the program is read from it. */
  flush() {
    this.keepDraft();
  }

  render() {
    const lesson = this.lesson;
    const own = lesson?.builtin === false;
    const edited = this.edited();
    const builtin = lesson && !own && lesson.id !== NEW_PROGRAM;
    $("workbench-h").textContent = lesson ? `${t("editor_code")} · ${pick(lesson.title) || lesson.id}` : t("editor_code");
    $("lesson-reset").hidden = !edited;
    $("lesson-save").hidden = !own || !edited;
    $("lesson-delete").hidden = !own;
    $("workbench").dataset.edited = String(edited);
    this.controls.setEdited(Boolean(builtin) && edited);
    this.note(edited ? t(builtin ? "edited_builtin" : "edited_unsaved") : t("sleeps_scaled"));
    this.renderTabs();
  }

  note(text, isError = false) {
    const el = $("workbench-note");
    el.textContent = text;
    el.classList.toggle("error", isError);
  }

  renderTabs() {
    const tabs = $("file-tabs");
    tabs.replaceChildren();
    const names = this.editor.names();
    for (const name of names) {
      const on = name === this.editor.current;
      const tab = document.createElement("span");
      tab.className = `file-tab${on ? " active" : ""}`;
      const open = document.createElement("button");
      open.type = "button";
      open.className = "file-open";
      open.setAttribute("role", "tab");
      open.setAttribute("aria-selected", String(on));
      open.dataset.file = name;
      open.textContent = name;
      open.addEventListener("click", () => this.editor.open(name));
      open.addEventListener("dblclick", () => this.askName(name));
      tab.append(open);
      if (on) {
        tab.append(this.tabButton("✎", t("rename_file"), "file-rename", () => this.askName(name)));
        if (names.length > 1) tab.append(this.tabButton("×", t("remove_file"), "file-remove", () => this.editor.remove(name)));
      }
      tabs.append(tab);
    }
  }

  tabButton(text, label, cls, onClick) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = `file-act ${cls}`;
    b.textContent = text;
    b.title = label;
    b.setAttribute("aria-label", label);
    b.addEventListener("click", onClick);
    return b;
  }

  /** A name typed in place of the tab (or of "+ file"): Enter keeps it, Escape drops it. */
  askName(from) {
    const input = document.createElement("input");
    input.type = "text";
    input.className = "file-name-input";
    input.value = from ?? "data.json";
    input.setAttribute("aria-label", from ? t("rename_file") : t("add_file"));
    const tabs = $("file-tabs");
    const tab = from ? tabs.querySelector(`[data-file="${CSS.escape(from)}"]`)?.parentElement : null;
    if (tab) tab.replaceWith(input);
    else tabs.append(input);
    input.focus();
    input.select();
    let done = false;
    const finish = (keep) => {
      if (done) return;
      done = true;
      const name = input.value.trim();
      if (keep && name && name !== from) {
        if (!validFileName(name)) this.note(`${t("bad_file_name")}: ${name}`, true);
        else if (!(from ? this.editor.rename(from, name) : this.editor.add(name))) this.note(`${t("file_exists")}: ${name}`, true);
      }
      this.renderTabs();
    };
    input.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter") finish(true);
      else if (ev.key === "Escape") finish(false);
    });
    input.addEventListener("blur", () => finish(true));
  }

  /** A run or a save refused the code: mark where. */
  showError(error, prefix = "program.files.") {
    const found = syntaxError(error, prefix);
    if (!found) return false;
    this.editor.markError(found.file, found.line, found.column, found.message);
    this.errorShown = true;
    return true;
  }

  reset() {
    if (!this.lesson || !this.original) return;
    this.drafts.clear(this.lesson.id);
    this.editor.load(this.original.files, this.original.entry);
    this.render();
  }

  openSaveAs() {
    const lesson = this.lesson;
    $("save-title-en").value = lesson && lesson.id !== NEW_PROGRAM ? `${lesson.title?.en ?? lesson.id} (${t("mine")})` : "";
    $("save-title-zh").value = lesson && lesson.id !== NEW_PROGRAM && lesson.title?.zh ? `${lesson.title.zh}（${t("mine")}）` : "";
    $("save-id").value = "";
    $("save-error").hidden = true;
    $("save-dialog").showModal();
    $("save-title-en").focus();
  }

  async saveAs() {
    const title = { en: $("save-title-en").value.trim() || null, zh: $("save-title-zh").value.trim() || null };
    const id = $("save-id").value.trim() || undefined;
    const res = await api("POST", "/api/lessons", { id, title, ...this.program() });
    if (!res.ok) {
      $("save-error").textContent = res.error.field ? `${res.error.field}: ${res.error.message}` : res.error.message;
      $("save-error").hidden = false;
      if (this.showError(res.error, "files.")) $("save-dialog").close();
      return;
    }
    $("save-dialog").close();
    if (this.lesson) this.drafts.clear(this.lesson.id); // the edits now live in the new lesson
    this.adopt(res.data);
  }

  async saveOwn() {
    const lesson = this.lesson;
    const res = await api("PUT", `/api/lessons/${encodeURIComponent(lesson.id)}`, this.program());
    if (!res.ok) {
      if (!this.showError(res.error, "files.")) this.note(res.error.message, true);
      return;
    }
    this.drafts.clear(lesson.id);
    this.original = { files: res.data.files, entry: res.data.entry };
    this.render();
  }

  /** A lesson the server just saved: into the list, selected. */
  adopt(saved) {
    const { source, source_html: html, files, entry, ...listed } = saved;
    this.controls.addLesson(listed);
    this.controls.select(listed.id);
    this.note(t("saved"));
  }

  download() {
    const lesson = this.lesson ?? { id: "program", title: {} };
    const body = JSON.stringify(lessonFile(lesson, this.program()), null, 1);
    const a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([body], { type: "application/json" }));
    a.download = `${lesson.id === NEW_PROGRAM ? "program" : lesson.id}.json`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  }

  async upload(input) {
    const file = input.files?.[0];
    input.value = "";
    if (!file) return;
    let data;
    try {
      data = JSON.parse(await file.text());
    } catch {
      this.note(t("upload_not_json"), true);
      return;
    }
    const { id, title, files, entry } = data ?? {};
    const res = await api("POST", "/api/lessons", { id, title, files, entry });
    if (!res.ok) {
      this.note(res.error.field ? `${res.error.field}: ${res.error.message}` : res.error.message, true);
      return;
    }
    this.adopt(res.data);
  }

  async remove() {
    const lesson = this.lesson;
    if (lesson?.builtin !== false || !window.confirm(`${t("delete_confirm")} ${pick(lesson.title) || lesson.id}`)) return;
    const res = await api("DELETE", `/api/lessons/${encodeURIComponent(lesson.id)}`);
    if (!res.ok && res.status !== 404) {
      this.note(res.error.message, true);
      return;
    }
    this.drafts.clear(lesson.id);
    this.controls.removeLesson(lesson.id);
  }

  relabel() {
    applyStatic($("workbench"));
    this.render();
  }
}
