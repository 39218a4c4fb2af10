// Replay a finished run from its recording (JSON lines of the very messages viewers got),
// through the same model and views, at 0.25×–4×.

export const REPLAY_SPEEDS = [0.25, 0.5, 1, 2, 4];

export class Replayer {
  constructor(runId, { onMessage, onStatus }) {
    this.runId = runId;
    this.onMessage = onMessage;
    this.onStatus = onStatus;
    this.messages = [];
    this.index = 0;
    this.timer = null;
  }

  async start(speed) {
    this.speed = speed;
    this.onStatus("connecting");
    let res;
    try {
      res = await fetch(`/api/runs/${encodeURIComponent(this.runId)}/recording`);
    } catch {
      this.onStatus("offline");
      return false;
    }
    if (!res.ok) {
      this.onStatus("offline");
      return false;
    }
    const text = await res.text();
    this.messages = text
      .split("\n")
      .filter((line) => line.trim())
      .map((line) => {
        try {
          return JSON.parse(line);
        } catch {
          return null; // a line cut short by a crash: skip it, keep the rest
        }
      })
      .filter((m) => m && typeof m.t === "number");
    if (!this.messages.length) {
      this.onStatus("offline");
      return false;
    }
    this.t0 = this.messages[0].t;
    this.started = performance.now();
    this.onStatus("replay");
    this.tick();
    return true;
  }

  tick() {
    const now = this.t0 + ((performance.now() - this.started) / 1000) * this.speed;
    while (this.index < this.messages.length && this.messages[this.index].t <= now) {
      this.onMessage(this.messages[this.index]);
      this.index += 1;
    }
    if (this.index >= this.messages.length) {
      this.onStatus("replayed");
      return;
    }
    const wait = ((this.messages[this.index].t - now) / this.speed) * 1000;
    this.timer = setTimeout(() => this.tick(), Math.max(0, Math.min(wait, 250)));
  }

  stop() {
    clearTimeout(this.timer);
  }
}
