// Replay a finished run from its recording (JSON lines of the very messages viewers got),
// through the same model and views, at 0.25×–4×; pause, play, and seek to any moment.
// Seeking back starts again from an empty model and feeds every message up to that moment:
// the picture at t is exactly what a live viewer saw at t, drawn by the same code.

export const REPLAY_SPEEDS = [0.25, 0.5, 1, 2, 4];

/** Empty a model for a fresh start, keeping who listens to it (the views stay wired). */
export function resetModel(model) {
  model.reset();
}

/**
 * After a seek, a process that vanished shortly before that moment is still fading, as it
 * would be live; one that vanished longer ago is gone. Ghosts fade on the page's own clock.
 */
export function ageGhosts(model, now, speed) {
  const wall = performance.now();
  for (const [pid, ghost] of model.ghosts) {
    const end = model.lives.get(pid)?.end;
    if (end != null) ghost.removedAt = wall - (Math.max(0, now - end) / speed) * 1000;
  }
  model.prune(wall);
}

export class Replayer {
  /**
   * @param {{onMessage: (msg: object) => void, onStatus: (status: string) => void,
   *          onReset?: () => void, onTime?: (replayer: Replayer) => void}} hooks
   * onReset empties the model and views before a seek back; onTime follows the clock.
   */
  constructor(runId, { onMessage, onStatus, onReset, onTime }) {
    this.runId = runId;
    this.onMessage = onMessage;
    this.onStatus = onStatus;
    this.onReset = onReset ?? (() => {});
    this.onTime = onTime ?? (() => {});
    this.messages = [];
    this.index = 0; // the next message to feed
    this.timer = null;
    this.playing = false;
    this.speed = 1;
    this.pos = 0; // seconds since the recording's first message, when the clock was last set
    this.posAt = 0; // performance.now() then
  }

  async start(speed) {
    this.speed = speed;
    if (!(await this.load())) return false;
    this.play();
    return true;
  }

  async load() {
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
    this.t1 = this.messages[this.messages.length - 1].t;
    return true;
  }

  /** The recording's length, in seconds. */
  get duration() {
    return Math.max(0, (this.t1 ?? 0) - (this.t0 ?? 0));
  }

  /** Where the replay is, in seconds since the recording's first message. */
  position() {
    const moving = this.playing ? ((performance.now() - this.posAt) / 1000) * this.speed : 0;
    return Math.min(this.duration, this.pos + moving);
  }

  /** The server's clock at this moment of the replay (what serverNow() means live). */
  now() {
    return (this.t0 ?? 0) + this.position();
  }

  atEnd() {
    return this.index >= this.messages.length;
  }

  play() {
    if (!this.messages.length || this.playing) return;
    if (this.atEnd()) this.seek(0); // play again from the start
    this.setClock(this.position(), true);
    this.onStatus("replay");
    this.tick();
  }

  pause() {
    if (!this.playing) return;
    this.setClock(this.position(), false);
    clearTimeout(this.timer);
    this.onStatus("paused");
    this.onTime(this);
  }

  toggle() {
    if (this.playing) this.pause();
    else this.play();
  }

  setSpeed(speed) {
    if (!REPLAY_SPEEDS.includes(speed)) return;
    this.setClock(this.position(), this.playing);
    this.speed = speed;
    if (this.playing) {
      clearTimeout(this.timer);
      this.tick();
    }
  }

  /** Show the run as it was `pos` seconds in; playing or paused stays as it was. */
  seek(pos) {
    const target = Math.max(0, Math.min(this.duration, pos));
    if (this.index > 0 && this.t0 + target < this.messages[this.index - 1].t) {
      this.index = 0;
      this.onReset();
    }
    this.setClock(target, this.playing);
    // The end means every message, whatever rounding the scrubber's milliseconds did.
    this.feed(target >= this.duration - 0.001 ? Infinity : this.t0 + target);
    if (this.playing) {
      clearTimeout(this.timer);
      this.tick();
    } else {
      this.onStatus(this.atEnd() ? "replayed" : "paused");
      this.onTime(this);
    }
  }

  setClock(pos, playing) {
    this.pos = pos;
    this.posAt = performance.now();
    this.playing = playing;
  }

  feed(until) {
    while (this.index < this.messages.length && this.messages[this.index].t <= until) {
      this.onMessage(this.messages[this.index]);
      this.index += 1;
    }
  }

  tick() {
    const now = this.now();
    this.feed(now);
    this.onTime(this);
    if (this.atEnd()) {
      this.setClock(this.duration, false);
      this.onStatus("replayed");
      this.onTime(this);
      return;
    }
    const wait = ((this.messages[this.index].t - now) / this.speed) * 1000;
    this.timer = setTimeout(() => this.tick(), Math.max(0, Math.min(wait, 250)));
  }

  stop() {
    clearTimeout(this.timer);
    this.playing = false;
  }
}
