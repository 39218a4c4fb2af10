// The lesson's Python code (Pygments HTML from GET /api/lessons/{id}), so students recognise it.

import { api } from "./api.js";

export class CodeView {
  constructor(body) {
    this.body = body;
    this.cache = new Map();
    this.showing = null;
  }

  async show(lessonId) {
    this.showing = lessonId;
    let lesson = this.cache.get(lessonId);
    if (!lesson) {
      const res = await api("GET", `/api/lessons/${encodeURIComponent(lessonId)}`);
      if (!res.ok) {
        if (this.showing === lessonId) this.body.textContent = res.error.message;
        return;
      }
      lesson = res.data;
      this.cache.set(lessonId, lesson);
    }
    if (this.showing !== lessonId) return;
    if (lesson.source_html) {
      // Rendered by the server's Pygments from the lesson file itself, not from user input.
      this.body.innerHTML = lesson.source_html;
    } else {
      const pre = document.createElement("pre");
      pre.textContent = lesson.source ?? "";
      this.body.replaceChildren(pre);
    }
    this.body.dataset.lesson = lessonId;
    delete this.body.dataset.file; // a lesson's events point into its own module
    this.scrollToCode();
  }

  /** A program of the user's own: its entry file, one span#line-N per line as Pygments makes. */
  showProgram(program) {
    const files = program?.files ?? {};
    const entry = String(program?.entry ?? "");
    const base = entry.split("/").pop();
    const name = entry in files ? entry : base in files ? base : Object.keys(files)[0];
    if (name == null) return;
    this.showing = null;
    const code = document.createElement("code");
    String(files[name]).split("\n").forEach((text, i, all) => {
      if (i === all.length - 1 && text === "") return; // the file's last newline
      const span = document.createElement("span");
      span.id = `line-${i + 1}`;
      span.textContent = `${text}\n`;
      code.append(span);
    });
    const pre = document.createElement("pre");
    pre.append(code);
    const box = document.createElement("div");
    box.className = "highlight";
    box.append(pre);
    this.body.replaceChildren(box);
    // Which file the marks of lines belong to (events name theirs).
    this.body.dataset.file = name.split("/").pop();
    delete this.body.dataset.lesson;
    this.body.scrollTop = 0;
  }

  /** Skip the module docstring and LESSON metadata: start at the first def or class. */
  scrollToCode() {
    const lines = this.body.querySelectorAll("pre span[id^='line-']");
    const first = [...lines].find((el) => /^(async\s+)?(def|class)\s/.test(el.textContent));
    // .code-body is position: relative, so offsetTop is measured from it.
    this.body.scrollTop = first ? Math.max(0, first.offsetTop - 8) : 0;
  }
}
