// On the start page: the runs this server knows, newest first, so a student can find the live one.

import { api } from "./api.js";
import { pick, t } from "./i18n.js";

const POLL_MS = 3000;
const SHOWN = 8;

export class RunsList {
  constructor(section, list, lessonsById) {
    this.section = section;
    this.list = list;
    this.lessonsById = lessonsById;
    this.runs = [];
    this.refresh();
    setInterval(() => {
      if (!document.hidden) this.refresh();
    }, POLL_MS);
  }

  async refresh() {
    const res = await api("GET", "/api/runs");
    if (!res.ok || !Array.isArray(res.data)) return;
    this.runs = [...res.data].sort((a, b) => (b.started ?? 0) - (a.started ?? 0)).slice(0, SHOWN);
    this.render();
  }

  render() {
    this.section.hidden = this.runs.length === 0;
    this.list.replaceChildren();
    for (const run of this.runs) {
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.href = `/runs/${encodeURIComponent(run.id)}`;
      a.dataset.run = run.id;
      const badge = document.createElement("span");
      badge.className = "run-badge";
      badge.dataset.state = run.state;
      badge.textContent = t(`state_${run.state}`);
      const name = document.createElement("span");
      name.className = "recent-lesson";
      const lesson = this.lessonsById.get(run.lesson);
      name.textContent = lesson ? pick(lesson.title) : run.lesson;
      const when = document.createElement("span");
      when.className = "recent-when";
      when.textContent = run.started ? new Date(run.started * 1000).toLocaleTimeString() : "";
      a.append(badge, name, when);
      li.append(a);
      this.list.append(li);
    }
  }
}
