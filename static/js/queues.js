// One gauge (depth / maxsize) and one uPlot chart of depth over time per queue name.

import { onNextPaint } from "./frameclock.js";
import { formatNumber, t } from "./i18n.js";
import { isProjector } from "./projector.js";

const CHART_H = 150;
const MAX_POINTS = 5000;

export class QueuesView {
  constructor(section, list, model) {
    this.section = section;
    this.list = list;
    this.model = model;
    this.panels = new Map(); // name -> {root, bar, text, plot, draw}
    // Resize on the next frame, so resizing a chart cannot feed back into this observer.
    new ResizeObserver(() => requestAnimationFrame(() => this.resize())).observe(list);
  }

  /** A queue's depth changed: its gauge and chart are drawn with the page's next paint
   * (queue events can come hundreds a second; frameclock.js). */
  update(name) {
    if (!this.model.queues.has(name)) return;
    onNextPaint((this.panels.get(name) ?? this.create(name)).draw);
  }

  draw(name, panel) {
    const q = this.model.queues.get(name);
    if (!q) return;
    this.section.hidden = false;
    const max = q.maxsize > 0 ? q.maxsize : null;
    const frac = max ? Math.min(1, q.depth / max) : 0;
    panel.bar.style.transform = `scaleX(${frac.toFixed(3)})`;
    panel.root.classList.toggle("full", max !== null && q.depth >= max);
    panel.root.classList.toggle("empty", q.depth === 0);
    panel.meter.setAttribute("aria-valuenow", q.depth);
    panel.meter.setAttribute("aria-valuemax", max ?? q.depth);
    // An unbounded Queue() has no capacity to show: ∞ and the word, not 2147483647.
    panel.text.textContent = `${q.depth} / ${max ?? `∞ ${t("unbounded")}`}`;
    panel.full.textContent = max !== null && q.depth >= max ? t("full") : "";
    panel.root.dataset.depth = q.depth;
    panel.root.dataset.maxsize = q.maxsize;
    this.redraw(name);
  }

  create(name) {
    const root = document.createElement("div");
    root.className = "queue";
    root.dataset.queue = name;
    root.innerHTML = `
      <div class="queue-head"><code class="queue-name" translate="no"></code><span class="queue-gauge-text"><span class="queue-text"></span> <span class="queue-full"></span></span></div>
      <div class="gauge" role="meter" aria-valuemin="0"><div class="gauge-bar"></div></div>
      <div class="queue-chart"></div>`;
    root.querySelector(".queue-name").textContent = name;
    this.list.append(root);
    const chartEl = root.querySelector(".queue-chart");
    const q = this.model.queues.get(name);
    // Drawn on a canvas, so projector.css cannot size it: 20 px on the projector, as all text.
    const font = isProjector() ? "20px system-ui" : "14px system-ui";
    const opts = {
      width: Math.max(200, chartEl.clientWidth || 360),
      height: CHART_H,
      legend: { show: false },
      cursor: { show: false },
      scales: {
        // From the start of the run, at least a few seconds wide, so early points are not a smear.
        x: { time: false, range: (_u, _min, max) => [0, Math.max(max, 3)] },
        y: { range: (_u, _min, max) => [0, Math.max(q?.maxsize || 0, max, 1)] },
      },
      axes: [
        { stroke: "#222", grid: { stroke: "#ddd" }, font, values: (_u, v) => v.map((s) => `${formatNumber(s, 1)} ${t("seconds_unit")}`) },
        { stroke: "#222", grid: { stroke: "#ddd" }, font, size: isProjector() ? 56 : 44 },
      ],
      series: [{}, { label: t("depth"), stroke: "#0072B2", width: 3, fill: "rgba(0,114,178,0.15)", paths: window.uPlot.paths.stepped({ align: 1 }) }],
    };
    const plot = new window.uPlot(opts, [[], []], chartEl);
    const panel = {
      root,
      bar: root.querySelector(".gauge-bar"),
      meter: root.querySelector(".gauge"),
      text: root.querySelector(".queue-text"),
      full: root.querySelector(".queue-full"),
      chartEl,
      plot,
    };
    panel.draw = () => this.draw(name, panel); // one function: the paint clock draws it once
    this.panels.set(name, panel);
    return panel;
  }

  redraw(name) {
    const q = this.model.queues.get(name);
    const panel = this.panels.get(name);
    if (!q || !panel) return;
    if (q.points.length > MAX_POINTS) q.points.splice(0, q.points.length - MAX_POINTS);
    panel.plot.setData([q.points.map((p) => p[0]), q.points.map((p) => p[1])]);
  }

  /** Forget every queue (a replay seeking back starts again from an empty model). */
  clear() {
    for (const panel of this.panels.values()) {
      panel.plot.destroy();
      panel.root.remove();
    }
    this.panels.clear();
    this.section.hidden = true;
  }

  resize() {
    for (const panel of this.panels.values()) {
      const w = panel.chartEl.clientWidth;
      if (w > 0) panel.plot.setSize({ width: w, height: CHART_H });
    }
  }
}
