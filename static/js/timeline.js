// The timeline: one lane per process, from its birth to its reap (or removal), coloured by the
// state sampled at each moment, a zombie (Z) from its exit to its reap; exits marked.
// join()'s "one after another" vs "side by side" shows here.
// DOM hooks: g.lane[data-pid][data-start][data-end][data-exit] and rect.seg[data-status]
// [data-from][data-to], times in server seconds (data-end empty while the process lives).

import { t } from "./i18n.js";
import { pidColor, statusStyle } from "./status.js";

const d3 = window.d3;

const LANE_H = 26;
const BAR_H = 18;
const LABEL_W = 230;
const AXIS_H = 26;
const REDRAW_MS = 250;

export class TimelineView {
  constructor(container, model) {
    this.container = container;
    this.model = model;
    this.svg = d3.select(container).append("svg").attr("class", "timeline-svg");
    this.lanes = this.svg.append("g").attr("class", "lanes");
    this.axis = this.svg.append("g").attr("class", "axis");
    this.now = this.svg.append("line").attr("class", "now");
    this.visible = false;
    setInterval(() => {
      if (this.visible && !this.model.isTerminal()) this.draw();
    }, REDRAW_MS);
  }

  setVisible(visible) {
    this.visible = visible;
    if (visible) this.draw();
  }

  /** The run's time span: from its first moment to now (live) or to the last thing seen. */
  span(lives) {
    const m = this.model;
    const t0 = m.t0 ?? d3.min(lives, (l) => l.start) ?? 0;
    let t1 = d3.max(lives, (l) => l.end ?? l.segs.at(-1)?.t ?? l.start) ?? t0;
    if (m.run?.ended) t1 = Math.max(t1, m.run.ended);
    if (!m.isTerminal()) t1 = Math.max(t1, m.serverNow());
    return [t0, Math.max(t1, t0 + 1)];
  }

  draw() {
    if (!this.visible) return;
    const lives = [...this.model.lives.values()].sort((a, b) => a.start - b.start || a.pid - b.pid);
    const width = Math.max(300, this.container.clientWidth);
    const height = lives.length * LANE_H + AXIS_H + 8;
    this.svg.attr("width", width).attr("height", height);
    const [t0, t1] = this.span(lives);
    const x = d3.scaleLinear().domain([0, t1 - t0]).range([LABEL_W, width - 48]); // room for the last exit mark
    const rel = (time) => x(Math.max(0, time - t0));
    const endOf = (l) => l.end ?? (this.model.isTerminal() ? t1 : this.model.serverNow());

    const lane = this.lanes.selectAll("g.lane").data(lives, (l) => `${l.pid}:${l.start}`);
    lane.exit().remove();
    const entered = lane.enter().append("g").attr("class", "lane");
    entered.append("text").attr("class", "lane-label").attr("x", 8).attr("y", BAR_H - 3);
    entered.append("g").attr("class", "segs");
    entered.append("g").attr("class", "marks");
    const all = entered.merge(lane);
    all
      .attr("transform", (_, i) => `translate(0,${i * LANE_H + 4})`)
      .attr("data-pid", (l) => l.pid)
      .attr("data-start", (l) => l.start)
      .attr("data-end", (l) => l.end ?? "")
      .attr("data-exit", (l) => l.exit?.t ?? "");
    all
      .select(".lane-label")
      .text((l) => `${l.pid} ${l.label ?? ""}`)
      .style("fill", (l) => pidColor(l.pid));
    all.each(function (l) {
      // Each sampled status holds until the next sample; the first one from birth.
      // Known only from its events (it lived between two samples, or before this page): grey.
      const segs = l.segs.length ? l.segs : [{ t: l.start, status: "unknown" }];
      const pieces = segs.map((s, i) => ({
        from: i === 0 ? l.start : s.t,
        to: i + 1 < segs.length ? segs[i + 1].t : endOf(l),
        status: s.status,
      }));
      const rects = d3.select(this).select(".segs").selectAll("rect").data(pieces);
      rects.exit().remove();
      rects
        .enter()
        .append("rect")
        .attr("height", BAR_H)
        .merge(rects)
        .attr("x", (p) => rel(p.from))
        // A moment's zombie (reaped at once) is a sliver; a life of 5 ms is still seen.
        .attr("width", (p, i) => Math.max(i === 0 ? 2 : 0, rel(p.to) - rel(p.from)))
        .attr("fill", (p) => statusStyle(p.status).color)
        .attr("class", (p) => `seg seg-${p.status}`)
        .attr("data-status", (p) => p.status)
        .attr("data-from", (p) => p.from)
        .attr("data-to", (p) => p.to);
      const marks = d3.select(this).select(".marks").selectAll("text").data(l.exit ? [l.exit] : []);
      marks.exit().remove();
      marks
        .enter()
        .append("text")
        .attr("class", "exit-mark")
        .attr("y", BAR_H - 3)
        .merge(marks)
        .attr("x", (e) => rel(e.t) + 4)
        .text((e) => `✕ ${e.code ?? ""}`);
    });

    this.axis
      .attr("transform", `translate(0,${lives.length * LANE_H + 6})`)
      .call(d3.axisBottom(x).ticks(Math.max(2, Math.floor((width - LABEL_W) / 90))).tickFormat((s) => `${s}s`));
    this.now.attr("display", this.model.isTerminal() ? "none" : null)
      .attr("x1", rel(this.model.serverNow())).attr("x2", rel(this.model.serverNow()))
      .attr("y1", 0).attr("y2", lives.length * LANE_H + 6);
    this.container.dataset.lanes = lives.length;
    this.container.setAttribute("aria-label", `${t("timeline")}: ${lives.length}`);
  }
}
