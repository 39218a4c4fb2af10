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
    this.scrollToCode();
  }

  /** Skip the module docstring and LESSON metadata: start at the first def or class. */
  scrollToCode() {
    const lines = this.body.querySelectorAll("pre span[id^='line-']");
    const first = [...lines].find((el) => /^(async\s+)?(def|class)\s/.test(el.textContent));
    // .code-body is position: relative, so offsetTop is measured from it.
    this.body.scrollTop = first ? Math.max(0, first.offsetTop - 8) : 0;
  }
}
