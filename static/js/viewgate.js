// Pause the view, not the run: while paused, messages from the server wait here, and the
// teacher resumes, steps one frame at a time, or jumps back to live.

const FRAME_TYPES = new Set(["snapshot", "delta"]);
// Resuming plays the missed frames back quickly, so the class sees what happened, then goes live.
const CATCH_UP_MS = 1500;
const CATCH_UP_TICK_MS = 100;
// A view left paused keeps at most this many messages (about 40 minutes of a busy run at
// 20 Hz); beyond that the oldest are dropped, so memory does not grow without end.
const MAX_BUFFER = 50000;

export class ViewGate {
  /** @param {(msg: object) => void} apply where messages go when the view is live */
  constructor(apply) {
    this.apply = (msg) => {
      if (FRAME_TYPES.has(msg?.type)) this.shownSeq = msg.seq;
      apply(msg);
    };
    this.shownSeq = null; // the seq of the newest frame shown
    this.buffer = [];
    this.paused = false;
    this.catchingUp = null;
    this.steps = 0; // frames shown one by one while paused
    this.lastRunState = null; // the newest run state received, applied or not
    this.listeners = new Set();
  }

  onChange(fn) {
    this.listeners.add(fn);
  }

  changed() {
    for (const fn of this.listeners) fn(this);
  }

  push(msg) {
    if (msg?.type === "run" && msg.state) this.lastRunState = msg.state;
    if (!this.paused && !this.catchingUp) {
      this.apply(msg);
      return;
    }
    this.buffer.push(msg);
    if (this.buffer.length > MAX_BUFFER) this.buffer.splice(0, this.buffer.length - MAX_BUFFER);
    if (FRAME_TYPES.has(msg?.type)) this.changed();
  }

  /** Frames (snapshots and deltas) received but not yet shown. */
  behind() {
    let n = 0;
    for (const msg of this.buffer) if (FRAME_TYPES.has(msg?.type)) n += 1;
    return n;
  }

  pause() {
    if (this.paused) return;
    this.stopCatchUp();
    this.paused = true;
    this.changed();
  }

  /** Leave the pause and play what was missed, quickly, until the view is live again. */
  resume() {
    if (!this.paused) return;
    this.paused = false;
    const frames = this.behind();
    if (!frames) {
      this.flush();
      this.changed();
      return;
    }
    const perTick = Math.max(1, Math.ceil(frames / (CATCH_UP_MS / CATCH_UP_TICK_MS)));
    this.catchingUp = setInterval(() => {
      for (let i = 0; i < perTick && this.buffer.length; i++) this.applyFrame();
      if (!this.buffer.some((m) => FRAME_TYPES.has(m?.type))) this.live();
      else this.changed();
    }, CATCH_UP_TICK_MS);
    this.changed();
  }

  /** Apply everything waiting at once and show the run as it is now. */
  live() {
    this.stopCatchUp();
    this.paused = false;
    this.flush();
    this.changed();
  }

  toggle() {
    if (this.paused) this.resume();
    else this.pause();
  }

  /** While paused: apply waiting messages up to and including the next frame; false if none. */
  step() {
    if (!this.paused) this.pause();
    const applied = this.applyFrame();
    if (applied) this.steps += 1;
    this.changed();
    return applied;
  }

  applyFrame() {
    const at = this.buffer.findIndex((m) => FRAME_TYPES.has(m?.type));
    if (at < 0) return false;
    for (const msg of this.buffer.splice(0, at + 1)) this.apply(msg);
    return true;
  }

  flush() {
    for (const msg of this.buffer.splice(0)) this.apply(msg);
  }

  stopCatchUp() {
    clearInterval(this.catchingUp);
    this.catchingUp = null;
  }
}
