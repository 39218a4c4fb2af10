// The run as the page knows it: built only from WebSocket messages (snapshot, delta, event, history, run).

// The run states that end a run (app/states.py ENDED); the one place the page declares them.
export const TERMINAL_STATES = new Set(["finished", "stopped", "failed", "interrupted"]);

// A removed (or reaped) process stays as a fading ghost this long, so a 5 ms process is still noticed.
export const GHOST_MS = 2500;
// A process known only from its spawn event is dropped if the sampler never confirms it.
const UNCONFIRMED_MS = 3000;
const MAX_LINES = 2000;
const MAX_SEEN = 50000;

export class RunModel {
  constructor(serverPid) {
    this.serverPid = serverPid;
    this.run = null; // the latest "run" message
    this.processes = new Map(); // pid -> P (plus provisional, exitcode, firstSeen)
    this.ghosts = new Map(); // pid -> {proc, removedAt}
    this.labels = new Map(); // pid -> label, kept after the process is gone
    this.values = new Map(); // pid -> Map(name -> value)
    this.adoptions = new Map(); // pid -> {old_ppid, new_ppid, t}
    this.queues = new Map(); // name -> {depth, maxsize, points: [[t, depth]]}
    this.lines = []; // {pid, label, stream, line, t, history}
    this.result = null;
    this.limit = null;
    this.t0 = null;
    this.seen = new Set();
    this.lives = new Map(); // pid -> {pid, label, start, end, exit, segs: [{t, status}]}, for the timeline
    this.listeners = new Map();
  }

  on(topic, fn) {
    if (!this.listeners.has(topic)) this.listeners.set(topic, new Set());
    this.listeners.get(topic).add(fn);
  }

  emit(topic, payload) {
    for (const fn of this.listeners.get(topic) ?? []) fn(payload, this);
  }

  apply(msg) {
    if (typeof msg.t === "number") {
      if (this.t0 === null) this.t0 = msg.t;
      // Server time, not this machine's clock: the projector's laptop may be minutes off.
      if (this.lastT === undefined || msg.t >= this.lastT) {
        this.lastT = msg.t;
        this.lastTAt = performance.now();
      }
    }
    switch (msg.type) {
      case "run":
        return this.applyRun(msg);
      case "snapshot":
        return this.applySnapshot(msg);
      case "delta":
        return this.applyDelta(msg);
      case "event":
        return this.applyEvent(msg);
      case "history":
        // A piece of the past, oldest first: each event as if sent alone, marked history.
        for (const e of msg.events ?? []) this.apply({ ...e, history: true });
        return undefined;
      case "notice":
        return this.emit("notice", msg);
      default:
        return undefined; // an unknown message type from a newer server: ignore it
    }
  }

  applyRun(msg) {
    this.run = msg;
    if (typeof msg.server_pid === "number") this.serverPid = msg.server_pid;
    if (typeof msg.started === "number") this.t0 = msg.started;
    if (msg.result && typeof msg.result === "object" && !this.result) {
      this.result = msg.result;
      this.emit("result", this.result);
    }
    this.emit("run", msg);
  }

  applySnapshot(msg) {
    const now = performance.now();
    const incoming = new Map(msg.processes.map((p) => [p.pid, p]));
    for (const [pid, old] of this.processes) {
      // Known only from its spawn event: the sampler may not have met it yet (even if it
      // has exited: a zombie not sampled yet). Its reap, or the timeout, ends it.
      const young = old.provisional && now - old.firstSeen < UNCONFIRMED_MS;
      if (!incoming.has(pid) && !young) this.toGhost(pid, now, msg.t);
    }
    for (const p of msg.processes) this.upsert(p, now, msg.t);
    this.emit("processes");
  }

  applyDelta(msg) {
    const now = performance.now();
    for (const p of msg.changed ?? []) this.upsert(p, now, msg.t);
    for (const pid of msg.removed ?? []) this.toGhost(pid, now, msg.t);
    this.emit("processes");
  }

  upsert(p, now, t) {
    const ghost = this.ghosts.get(p.pid);
    // A sample read before the reap but delivered after it: a reaped process is never back.
    if (ghost?.reapedAt != null && (ghost.proc.create_time === p.create_time || (ghost.proc.provisional && t <= ghost.reapedAt))) return;
    // Not create_time for the lifeline: /proc's boot-time rounding puts it up to a second off
    // the event clock, enough to draw a child before its parent's join() let it start.
    this.live(p.pid, p.label, t, t, p.status);
    // A ghost seen again (a snapshot that missed it for a moment) is the same process still.
    const old = this.processes.get(p.pid) ?? (ghost?.reapedAt == null ? ghost?.proc : undefined);
    const sameProcess = old && (old.provisional || old.create_time === p.create_time);
    if (ghost && sameProcess) {
      const life = this.lives.get(p.pid);
      if (life) life.end = null; // it has not ended after all
    }
    this.ghosts.delete(p.pid);
    if (old && !sameProcess) this.adoptions.delete(p.pid); // a reused PID: another process
    // The adopt event is exact; a sample taken just before it still names the dead parent.
    const adoption = this.adoptions.get(p.pid);
    const ppid = adoption && p.ppid === adoption.old_ppid ? adoption.new_ppid : p.ppid;
    this.processes.set(p.pid, {
      ...p,
      ppid,
      firstSeen: sameProcess ? old.firstSeen : now,
      exitcode: sameProcess ? old.exitcode : undefined,
      provisional: false,
    });
    this.learnLabel(p.pid, p.label);
  }

  toGhost(pid, now, t) {
    const proc = this.processes.get(pid);
    if (!proc) return;
    const life = this.lives.get(pid);
    if (life && t != null && life.end == null) life.end = t;
    this.processes.delete(pid);
    this.ghosts.set(pid, { proc, removedAt: now });
  }

  /** Drop ghosts and unconfirmed spawns that have had their time; true if anything changed. */
  prune(now = performance.now()) {
    let changed = false;
    for (const [pid, g] of this.ghosts) {
      if (now - g.removedAt > GHOST_MS) {
        this.ghosts.delete(pid);
        changed = true;
      }
    }
    for (const [pid, p] of this.processes) {
      if (p.provisional && now - p.firstSeen > UNCONFIRMED_MS) {
        this.toGhost(pid, now);
        changed = true;
      }
    }
    if (changed) this.emit("processes");
    return changed;
  }

  applyEvent(msg) {
    const key = `${msg.t}|${msg.pid}|${msg.kind}|${JSON.stringify(msg.data ?? {})}`;
    // A reconnect replays the backlog: show each event once.
    if (this.seen.has(key)) return;
    if (this.seen.size > MAX_SEEN) this.seen.clear();
    this.seen.add(key);
    const data = msg.data ?? {};
    const handler = EVENT_HANDLERS[msg.kind];
    if (handler) handler(this, msg, data);
    this.emit("event", msg);
  }

  /** Note a sampled status on the process's lifeline (a new life if the PID was reused). */
  live(pid, label, start, t, status) {
    let life = this.lives.get(pid);
    if (!life || (life.end != null && t - life.end > 1)) {
      life = { pid, label, start, end: null, exit: null, segs: [] };
      this.lives.set(pid, life);
    }
    if (label) life.label = label;
    life.start = Math.min(life.start, start);
    if (status) markStatus(life, t, status);
    return life;
  }

  /** A process's name may become known after its first line (a child that prints and exits at once). */
  learnLabel(pid, label) {
    if (!label || this.labels.get(pid) === label) return;
    this.labels.set(pid, label);
    this.emit("label", pid);
  }

  /** The server's clock now, as far as the messages tell. */
  serverNow() {
    return this.lastT === undefined ? Date.now() / 1000 : this.lastT + (performance.now() - this.lastTAt) / 1000;
  }

  labelOf(pid) {
    return this.processes.get(pid)?.label || this.labels.get(pid) || "";
  }

  relTime(t) {
    return this.t0 === null ? 0 : Math.max(0, t - this.t0);
  }

  isTerminal() {
    return TERMINAL_STATES.has(this.run?.state);
  }
}

const EVENT_HANDLERS = {
  spawn(m, msg, data) {
    m.learnLabel(msg.pid, data.label);
    m.live(msg.pid, data.label ?? "", msg.t, msg.t, null);
    // The backlog replayed on connect tells the past; the snapshot before it tells what exists.
    if (msg.history || m.processes.has(msg.pid)) return;
    const now = performance.now();
    m.ghosts.delete(msg.pid);
    m.processes.set(msg.pid, {
      pid: msg.pid,
      ppid: data.ppid ?? m.serverPid,
      name: data.name ?? "",
      label: data.label ?? "",
      status: "running",
      cpu_percent: 0,
      rss: 0,
      threads: 1,
      create_time: msg.t,
      role: data.role ?? "child",
      provisional: true,
      firstSeen: now,
    });
    m.emit("processes");
  },
  exit(m, msg, data) {
    // Only the record of it: an exited process is a zombie until it is reaped, and stays on
    // screen (with its exit code) until its reap, its removal, or the unconfirmed timeout.
    const life = m.lives.get(msg.pid);
    if (life) {
      life.exit = { t: msg.t, code: data.exitcode };
      // Never sampled before it exited: what it did until then is not known.
      if (!life.segs.length) life.segs.push({ t: life.start, status: "unknown" });
      if (life.end == null || msg.t < life.end) markStatus(life, msg.t, "zombie");
    }
    const ghost = m.ghosts.get(msg.pid);
    if (ghost) ghost.proc.exitcode = data.exitcode; // reported after the sample saw it go
    const p = m.processes.get(msg.pid);
    if (!p) return;
    p.exitcode = data.exitcode;
    m.emit("processes");
  },
  reap(m, msg, data) {
    // The reap is the exact end of a life; a sample noticing the PID gone comes later.
    const life = m.lives.get(msg.pid);
    if (life && (life.end == null || msg.t < life.end)) life.end = msg.t;
    // waitpid() is where the exit status is known for sure.
    if (data.exitcode != null) {
      const p = m.processes.get(msg.pid) ?? m.ghosts.get(msg.pid)?.proc;
      if (p && p.exitcode == null) p.exitcode = data.exitcode;
      if (life && life.exit?.code == null) life.exit = { t: life.exit?.t ?? msg.t, code: data.exitcode };
    }
    if (m.processes.has(msg.pid)) {
      m.toGhost(msg.pid, performance.now(), msg.t);
      m.emit("processes");
    }
    const ghost = m.ghosts.get(msg.pid);
    if (ghost) ghost.reapedAt = msg.t;
  },
  adopt(m, msg, data) {
    m.adoptions.set(msg.pid, { old_ppid: data.old_ppid, new_ppid: data.new_ppid, t: msg.t });
    // A ghost too: a child killed with its parent is adopted on the way out.
    const p = m.processes.get(msg.pid) ?? m.ghosts.get(msg.pid)?.proc;
    if (p && data.new_ppid != null) p.ppid = data.new_ppid;
    m.emit("processes");
    m.emit("adopt", { pid: msg.pid, ...data });
  },
  stdout(m, msg, data) {
    addLine(m, msg, data, "stdout");
  },
  stderr(m, msg, data) {
    addLine(m, msg, data, "stderr");
  },
  value(m, msg, data) {
    if (!m.values.has(msg.pid)) m.values.set(msg.pid, new Map());
    m.values.get(msg.pid).set(data.name, data.value);
    m.emit("values", msg.pid);
  },
  queue(m, msg, data) {
    const name = data.name ?? "queue";
    if (!m.queues.has(name)) m.queues.set(name, { depth: 0, maxsize: 0, points: [] });
    const q = m.queues.get(name);
    q.maxsize = data.maxsize;
    const x = m.relTime(msg.t);
    q.points.push([x, data.depth]);
    // Events from different processes may arrive slightly out of time order.
    if (q.points.length > 1 && q.points[q.points.length - 2][0] > x) q.points.sort((a, b) => a[0] - b[0]);
    q.depth = q.points[q.points.length - 1][1]; // the latest in time, not the latest to arrive
    m.emit("queues", name);
  },
  result(m, msg, data) {
    m.result = data;
    m.emit("result", data);
  },
  limit(m, msg, data) {
    m.limit = data;
    m.emit("limit", data);
  },
};

/**
 * Put a status on a lifeline at time t, in time order (samples and events arrive by different
 * paths). After its exit a process can only be a zombie: a later sample saying otherwise was
 * read before the exit.
 */
function markStatus(life, t, status) {
  if (life.exit && t >= life.exit.t && status !== "zombie") return;
  const segs = life.segs;
  let i = segs.length;
  while (i > 0 && segs[i - 1].t > t) i--;
  if (segs[i - 1]?.status === status) return;
  segs.splice(i, 0, { t, status });
  if (segs[i + 1]?.status === status) segs.splice(i + 1, 1); // the next one now repeats it
}

function addLine(m, msg, data, stream) {
  const entry = {
    pid: msg.pid,
    label: m.labelOf(msg.pid),
    stream,
    line: String(data.line ?? ""),
    t: msg.t,
    history: Boolean(msg.history),
  };
  m.lines.push(entry);
  if (m.lines.length > MAX_LINES) m.lines.splice(0, m.lines.length - MAX_LINES);
  m.emit("line", entry);
}
