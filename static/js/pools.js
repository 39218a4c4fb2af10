// Tasks per pool (Pool, ProcessPoolExecutor): submitted, waiting, running, done, in the side
// panel, one row per process that submits (the pool's owner), as the tracer counts them.

import { onNextPaint } from "./frameclock.js";
import { t } from "./i18n.js";
import { pidColor } from "./status.js";

const COUNTS = ["submitted", "waiting", "running", "done"];

export class PoolsView {
  constructor(section, list, model) {
    this.section = section;
    this.list = list;
    this.model = model;
    this.rows = new Map(); // owner pid -> element
    this.renderNow = () => this.render(); // one function: the paint clock draws it once
    model.on("activity", () => this.schedule());
    model.on("reset", () => this.clear());
  }

  schedule() {
    onNextPaint(this.renderNow);
  }

  render() {
    const act = this.model.activity;
    for (const owner of act.pools.keys()) {
      const counts = act.poolCounts(owner);
      // A worker seen before its pool submitted anything: nothing to count yet.
      if (!counts.submitted && !counts.done) continue;
      const row = this.rows.get(owner) ?? this.create(owner);
      for (const key of COUNTS) row.querySelector(`[data-count="${key}"] b`).textContent = String(counts[key]);
      row.querySelector(".pool-failed").hidden = !counts.failed;
      row.querySelector(".pool-failed b").textContent = String(counts.failed);
      row.dataset.submitted = counts.submitted;
      row.dataset.running = counts.running;
      row.dataset.done = counts.done;
      this.section.hidden = false;
    }
  }

  create(owner) {
    const row = document.createElement("div");
    row.className = "pool";
    row.dataset.owner = owner;
    row.innerHTML = `<div class="pool-head"></div><ul class="pool-counts"></ul>`;
    const head = row.querySelector(".pool-head");
    head.style.setProperty("--pid-color", pidColor(owner));
    for (const key of [...COUNTS, "failed"]) {
      const li = document.createElement("li");
      li.dataset.count = key;
      if (key === "failed") li.className = "pool-failed";
      li.innerHTML = "<b>0</b> <span></span>";
      row.querySelector(".pool-counts").append(li);
    }
    this.list.append(row);
    this.rows.set(owner, row);
    this.relabel(row);
    return row;
  }

  relabel(row) {
    row.querySelector(".pool-head").textContent = `${t("pool_of")} ${row.dataset.owner}`;
    for (const li of row.querySelectorAll("[data-count]")) li.querySelector("span").textContent = t(`pool_${li.dataset.count}`);
  }

  relabelAll() {
    for (const row of this.rows.values()) this.relabel(row);
  }

  clear() {
    for (const row of this.rows.values()) row.remove();
    this.rows.clear();
    this.section.hidden = true;
  }
}
