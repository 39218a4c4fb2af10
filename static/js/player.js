// The replay bar: play/pause, speed 0.25×–4×, and a scrubber to jump to any moment of the run,
// with marks where processes start and end and where the result came.

import { onLangChange, t } from "./i18n.js";
import { REPLAY_SPEEDS, Replayer, ageGhosts, resetModel } from "./replay.js";

const MARK_KINDS = new Set(["spawn", "exit", "result", "limit"]);

function clock(seconds) {
  const m = Math.floor(seconds / 60);
  const s = seconds - m * 60;
  return `${m}:${s.toFixed(1).padStart(4, "0")}`;
}

/**
 * Replay a run through the same model and views as live.
 * @param {{model: object, apply: (msg: object) => void, setConn: (status: string) => void,
 *          host: HTMLElement, reset: () => void, redraw: () => void}} deps
 *   reset empties the views the model does not redraw by itself (console, queues, result);
 *   redraw draws what only draws on demand (the timeline).
 */
export function startReplay(runId, speed, { model, apply, setConn, host, reset, redraw }) {
  let bar = null;
  const replayer = new Replayer(runId, {
    onMessage: apply,
    onStatus: (status) => {
      setConn(status);
      bar?.render();
    },
    onReset: () => {
      resetModel(model);
      reset();
    },
    onTime: () => bar?.render(),
  });
  // The timeline's "now" is the replay's moment, not this machine's clock.
  model.serverNow = () => replayer.now();
  document.body.classList.add("replaying");
  replayer.load().then((ok) => {
    if (!ok) {
      // No recording to play (this server never had the run, or it was deleted): say so.
      const banner = document.getElementById("limit-banner");
      banner.textContent = t("run_not_found");
      banner.hidden = false;
      return;
    }
    replayer.speed = speed;
    bar = new ReplayBar(replayer, { host, model, redraw, setConn });
    replayer.play();
  });
  return replayer;
}

export class ReplayBar {
  constructor(replayer, { host, model, redraw, setConn }) {
    this.replayer = replayer;
    this.model = model;
    this.redraw = redraw;
    this.setConn = setConn;
    this.dragging = false;
    this.pendingSeek = null;
    const el = document.createElement("div");
    el.className = "replay-bar";
    el.id = "replay-bar";
    el.innerHTML = `<button type="button" class="btn btn-play" id="replay-play"></button>
      <span class="replay-speeds" id="replay-speeds" role="group"></span>
      <span class="replay-track"><span class="replay-marks" aria-hidden="true"></span>
        <input type="range" id="replay-scrub" min="0" step="10"></span>
      <span class="replay-time" id="replay-time"></span>`;
    host.before(el);
    this.el = el;
    this.playBtn = el.querySelector("#replay-play");
    this.scrub = el.querySelector("#replay-scrub");
    this.time = el.querySelector("#replay-time");
    this.playBtn.addEventListener("click", () => replayer.toggle());
    this.buildSpeeds(el.querySelector("#replay-speeds"));
    // A whole number of 10 ms steps, at or past the end: the thumb at the right reaches the end.
    this.scrub.max = String(Math.ceil(replayer.duration * 100) * 10);
    this.scrub.addEventListener("pointerdown", () => {
      this.dragging = true;
    });
    window.addEventListener("pointerup", () => {
      this.dragging = false;
    });
    // Dragging fires many inputs: seek once per frame, to the latest.
    this.scrub.addEventListener("input", () => {
      const first = this.pendingSeek === null;
      this.pendingSeek = Number(this.scrub.value) / 1000;
      if (first) requestAnimationFrame(() => this.seekNow());
    });
    this.drawMarks(el.querySelector(".replay-marks"));
    onLangChange(() => this.render());
    this.render();
  }

  buildSpeeds(group) {
    for (const s of REPLAY_SPEEDS) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "btn btn-speed";
      b.dataset.speed = String(s);
      b.textContent = `${s}×`;
      b.addEventListener("click", () => this.setSpeed(s));
      group.append(b);
    }
    this.speeds = [...group.children];
  }

  setSpeed(s) {
    this.replayer.setSpeed(s);
    // The address says the speed: a reload replays at it, and the status pill reads it there.
    const url = new URL(location.href);
    url.searchParams.set("replay", String(s));
    history.replaceState(history.state, "", url.pathname + url.search + url.hash);
    const select = document.getElementById("replay-speed");
    if (select) select.value = String(s);
    if (this.replayer.playing) this.setConn("replay");
    this.render();
  }

  seekNow() {
    const pos = this.pendingSeek;
    this.pendingSeek = null;
    if (pos === null) return;
    this.replayer.seek(pos);
    ageGhosts(this.model, this.replayer.now(), this.replayer.speed);
    this.redraw();
    this.render();
  }

  drawMarks(host) {
    const r = this.replayer;
    const span = r.duration || 1;
    const frag = document.createDocumentFragment();
    for (const m of r.messages) {
      if (m.type !== "event" || !MARK_KINDS.has(m.kind)) continue;
      const mark = document.createElement("span");
      mark.className = `replay-mark mark-${m.kind}`;
      mark.style.left = `${(((m.t - r.t0) / span) * 100).toFixed(2)}%`;
      frag.append(mark);
    }
    host.append(frag);
  }

  render() {
    const r = this.replayer;
    const pos = r.position();
    this.playBtn.textContent = r.playing ? `❚❚ ${t("replay_pause")}` : `▶ ${t("replay_play")}`;
    this.playBtn.setAttribute("aria-pressed", String(r.playing));
    this.el.dataset.state = r.playing ? "playing" : r.atEnd() ? "ended" : "paused";
    for (const b of this.speeds) b.setAttribute("aria-pressed", String(Number(b.dataset.speed) === r.speed));
    if (!this.dragging && this.pendingSeek === null) this.scrub.value = String(Math.round(pos * 1000));
    this.scrub.setAttribute("aria-label", t("replay_position"));
    this.scrub.setAttribute("aria-valuetext", `${clock(pos)} / ${clock(r.duration)}`);
    this.time.textContent = `${clock(pos)} / ${clock(r.duration)}`;
    // Smooth while playing: the clock moves between messages too.
    if (r.playing && !this.frame) {
      this.frame = requestAnimationFrame(() => {
        this.frame = null;
        if (this.replayer.playing) this.render();
      });
    }
  }
}
