// On the start page: the runs this server knows and the recordings kept on disk, newest first,
// so a student can find the live one and a teacher can replay or download a past one.

import { api } from "./api.js";
import { formatTime, pick, setText, t } from "./i18n.js";
import { TERMINAL_STATES } from "./state.js";

const POLL_MS = 3000;
const SHOWN = 30;

/** One result value, short: a list of the past runs has a line per run. */
function brief(v) {
  if (v === true) return "✔";
  if (v === false) return "✘";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : String(Math.round(v * 100) / 100);
  if (Array.isArray(v)) return `[${v.length}]`;
  if (v === null || v === undefined) return "—";
  return typeof v === "object" ? "{…}" : String(v);
}

/** When a run started, in the page's language (Intl): the time today, else the date too. */
function when(seconds) {
  if (!seconds) return "";
  const today = new Date(seconds * 1000).toDateString() === new Date().toDateString();
  return formatTime(seconds, { date: !today });
}

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
    // Recordings are read from disk: ask again only when this server's runs changed.
    const key = res.data.map((r) => `${r.id}:${r.state}`).join(",");
    if (key !== this.key || !this.recordings) {
      this.key = key;
      const rec = await api("GET", "/api/recordings");
      if (rec.ok && Array.isArray(rec.data)) this.recordings = rec.data;
    }
    const byId = new Map((this.recordings ?? []).map((r) => [r.id, { ...r, recorded: true }]));
    for (const run of res.data) byId.set(run.id, { ...byId.get(run.id), ...run, recorded: byId.has(run.id) || TERMINAL_STATES.has(run.state) });
    this.runs = [...byId.values()].sort((a, b) => (b.started ?? 0) - (a.started ?? 0)).slice(0, SHOWN);
    this.render();
  }

  render() {
    this.section.hidden = this.runs.length === 0;
    this.list.replaceChildren();
    for (const run of this.runs) this.list.append(this.row(run));
  }

  row(run) {
    const li = document.createElement("li");
    li.dataset.state = run.state ?? "";
    const a = document.createElement("a");
    a.className = "recent-open";
    a.href = `/runs/${encodeURIComponent(run.id)}`;
    a.dataset.run = run.id;
    const badge = document.createElement("span");
    badge.className = "run-badge";
    badge.dataset.state = run.state;
    badge.textContent = t(`state_${run.state}`);
    const name = document.createElement("span");
    name.className = "recent-lesson";
    const lesson = this.lessonsById.get(run.lesson);
    setText(name, lesson ? pick(lesson.title) : run.lesson);
    const time = document.createElement("span");
    time.className = "recent-when";
    time.textContent = when(run.started);
    // The result's keys and values as the lesson reported them: code.
    const result = document.createElement("code");
    result.className = "recent-result";
    result.translate = false;
    result.textContent = this.resultText(run, lesson);
    result.title = result.textContent;
    a.append(badge, name, result, time);
    li.append(a);
    const actions = document.createElement("span");
    actions.className = "recent-actions";
    if (run.recorded && TERMINAL_STATES.has(run.state)) {
      const replay = document.createElement("a");
      replay.className = "btn btn-replay";
      replay.href = `/runs/${encodeURIComponent(run.id)}?replay=1`;
      replay.textContent = `▶ ${t("replay")}`;
      const save = document.createElement("a");
      save.className = "btn btn-download";
      save.href = `/api/runs/${encodeURIComponent(run.id)}/recording`;
      save.download = `${run.id}.jsonl`;
      save.textContent = "⤓";
      save.title = t("export_recording");
      save.setAttribute("aria-label", `${t("export_recording")}: ${name.textContent} ${time.textContent}`);
      actions.append(replay, save);
    }
    li.append(actions);
    return li;
  }

  resultText(run, lesson) {
    const result = run.result;
    if (!result || typeof result !== "object") return "";
    const keys = lesson?.result_keys?.length ? lesson.result_keys.filter((k) => k in result) : Object.keys(result);
    return keys.map((k) => `${k}=${brief(result[k])}`).join("  ");
  }
}
