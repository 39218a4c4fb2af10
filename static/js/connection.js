// One WebSocket to a run, reconnecting with exponential backoff.
// The server sends the run message, a snapshot and the history on every connect: the page
// starts again from nothing then (onOpen), so each event is shown once.

const BACKOFF_START_MS = 250;
const BACKOFF_MAX_MS = 8000;
// Close codes after which retrying cannot help (the run is unknown to this server).
const OFFLINE_AFTER = 4;
const FATAL_CODES = new Set([1008, 4004, 4400, 4404]);

export function wsUrl(path) {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  return `${proto}//${location.host}${path}`;
}

/** A run's WebSocket in its batched form: one message per delivery (see DESIGN.md). */
export function runWsUrl(runId) {
  return wsUrl(`/ws/runs/${encodeURIComponent(runId)}?batch=1`);
}

export class Connection {
  /**
   * @param {string} url ws:// or wss:// address of /ws/runs/{id}
   * @param {{onMessage: (msg: object) => void, onStatus: (status: string, info?: object) => void,
   *          isFinished: () => boolean, onOpen?: (n: number) => void}} hooks
   *   onOpen(n) is told before the first message of the n-th connection (0: the first).
   */
  constructor(url, hooks) {
    this.url = url;
    this.hooks = hooks;
    this.ws = null;
    this.attempt = 0;
    this.timer = null;
    this.closedByUs = false;
    this.opens = 0; // connections that opened so far
    this.onOnline = () => this.retryNow();
    window.addEventListener("online", this.onOnline);
  }

  open() {
    this.closedByUs = false;
    this.status(this.attempt === 0 ? "connecting" : "reconnecting");
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch {
      this.scheduleRetry();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.hooks.onOpen?.(this.opens++);
      this.status("live");
    };
    ws.onmessage = (ev) => {
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch {
        return; // not ours; never let one bad frame stop the page
      }
      // A batch (asked for with ?batch=1): the messages of one delivery, in order, each
      // handed on as if it had come alone.
      if (msg?.type === "batch" && Array.isArray(msg.messages)) {
        for (const inner of msg.messages) this.hooks.onMessage(inner);
      } else {
        this.hooks.onMessage(msg);
      }
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.closedByUs) return;
      if (FATAL_CODES.has(ev.code)) {
        this.status("offline", { code: ev.code, reason: ev.reason });
      } else if (this.hooks.isFinished() && (ev.code === 1000 || ev.code === 1001)) {
        this.status("ended");
      } else {
        this.scheduleRetry();
      }
    };
    // Errors are followed by close; the close handler decides what to do.
    ws.onerror = () => {};
  }

  scheduleRetry() {
    clearTimeout(this.timer);
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_START_MS * 2 ** this.attempt);
    const delay = base / 2 + Math.random() * (base / 2);
    this.attempt += 1;
    // Still retrying, but after a few failures say plainly that the server is unreachable.
    const word = this.attempt > OFFLINE_AFTER || !navigator.onLine ? "offline" : "reconnecting";
    this.status(word, { inMs: delay, attempt: this.attempt });
    this.timer = setTimeout(() => this.open(), delay);
  }

  retryNow() {
    if (this.ws || this.closedByUs) return;
    clearTimeout(this.timer);
    this.open();
  }

  close() {
    this.closedByUs = true;
    clearTimeout(this.timer);
    window.removeEventListener("online", this.onOnline);
    if (this.ws) this.ws.close(1000);
    this.ws = null;
  }

  status(s, info) {
    this.hooks.onStatus(s, info);
  }
}
