// The run as the page knows it: built only from WebSocket messages (snapshot, delta, event, history, run).

import { Activity } from "./activity.js";

// The run states that end a run (app/states.py ENDED); the one place the page declares them.
export const TERMINAL_STATES = new Set(["finished", "stopped", "failed", "interrupted"]);

// A removed (or reaped) process stays as a fading ghost this long, so a 5 ms process is still noticed.
export const GHOST_MS = 2500;
const MAX_LINES = 2000;
// multiprocessing.Queue() without a maxsize is bounded by the semaphore's limit (SEM_VALUE_MAX,
// 2**31 - 1 on Linux): that is no capacity a class should read. Such a queue is unbounded (0).
export const SEM_VALUE_MAX = 2147483647;

/** A queue's capacity as the page shows it: 0 for an unbounded one. */
export function queueCapacity(maxsize) {
  return typeof maxsize === "number" && maxsize > 0 && maxsize < SEM_VALUE_MAX ? maxsize : 0;
}

// Nodes come from the server's records only (snapshot and delta): a record's `life` and
// `exitcode` say whether it is a zombie and with which code. Events tell the timeline the
// exact moments, and the tracer's events what each process is doing (activity.js).
export class RunModel {
  constructor(serverPid) {
    this.serverPid = serverPid;
    this.listeners = new Map();
    this.reset();
  }

  /** Forget the run (a new connection's snapshot and history tell it again); views stay wired. */
  reset() {
    this.run = null; // the latest "run" message
    this.processes = new Map(); // pid -> P, as the server last sent it
    this.ghosts = new Map(); // pid -> {proc, removedAt, exitcode}: gone, fading out
    this.labels = new Map(); // pid -> label, kept after the process is gone
    this.values = new Map(); // pid -> Map(name -> value)
    this.valuesChanged = new Map(); // pid -> Set(name): its copy changed after its first report
    this.shownCache = null; // {pid -> [[name, value]]} for shownValues(), until the next value event
    this.adoptions = new Map(); // pid -> {old_ppid, new_ppid, t}
    this.queues = new Map(); // name -> {depth, maxsize, points: [[t, depth]]}
    this.lines = []; // {pid, label, stream, line, t, history}
    this.result = null;
    this.resultAt = null; // server time of the result event: the moment the last tree is of
    this.records = new Map(); // pid -> its last record (or what its spawn event said), kept after it is gone
    this.limit = null;
    this.t0 = null;
    this.lastT = undefined;
    this.lives = new Map(); // pid -> {pid, label, start, end, exit, segs: [{t, status}]}, for the timeline
    this.roles = new Map(); // pid -> role from its spawn event (a worker never sampled has one too)
    this.frozen = []; // {from, to}: server times the whole run was frozen (SIGSTOP); to null: still is
    this.activity = new Activity((pid) => this.parentOf(pid));
    this.emit("reset");
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
      case "batch":
        // One delivery's messages (?batch=1), in order: the same as receiving each alone.
        for (const m of msg.messages ?? []) this.apply(m);
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
    const incoming = new Set(msg.processes.map((p) => p.pid));
    for (const pid of this.processes.keys()) if (!incoming.has(pid)) this.toGhost(pid, now, msg.t);
    for (const p of msg.processes) this.upsert(p, msg.t);
    this.emit("processes");
  }

  applyDelta(msg) {
    const now = performance.now();
    for (const p of msg.changed ?? []) this.upsert(p, msg.t);
    for (const pid of msg.removed ?? []) this.toGhost(pid, now, msg.t);
    this.emit("processes");
  }

  upsert(p, t) {
    const old = this.processes.get(p.pid) ?? this.ghosts.get(p.pid)?.proc;
    if (old && old.create_time !== p.create_time) this.adoptions.delete(p.pid); // a reused PID
    // Not create_time for the lifeline: /proc's boot-time rounding puts it up to a second off
    // the event clock, enough to draw a child before its parent's join() let it start.
    this.live(p.pid, p.label, t, t, p.life === "exited" ? "zombie" : p.status);
    this.ghosts.delete(p.pid); // a record is a living identity: a ghost of that PID was another
    // The adopt event is exact; a sample taken just before it still names the dead parent.
    const adoption = this.adoptions.get(p.pid);
    const ppid = adoption && p.ppid === adoption.old_ppid ? adoption.new_ppid : p.ppid;
    const record = { ...p, ppid };
    this.processes.set(p.pid, record);
    this.records.set(p.pid, record);
    this.learnLabel(p.pid, p.label);
  }

  toGhost(pid, now, t, exitcode) {
    const proc = this.processes.get(pid);
    if (!proc) return;
    const life = this.lives.get(pid);
    if (life && t != null && life.end == null) life.end = t;
    this.processes.delete(pid);
    this.ghosts.set(pid, { proc, removedAt: now, exitcode: exitcode ?? proc.exitcode ?? null });
    this.activity.ended(pid);
  }

  /** Drop ghosts that have had their time; true if anything changed. */
  prune(now = performance.now()) {
    let changed = false;
    for (const [pid, g] of this.ghosts) {
      if (now - g.removedAt > GHOST_MS) {
        this.ghosts.delete(pid);
        changed = true;
      }
    }
    if (changed) this.emit("processes");
    return changed;
  }

  applyEvent(msg) {
    const data = msg.data ?? {};
    const handler = EVENT_HANDLERS[msg.kind];
    if (handler) handler(this, msg, data);
    const touched = this.activity.apply(msg);
    if (touched != null) this.emit("activity", touched);
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

  /** The role a record says, else its spawn event's ("pool-worker" for a worker of a Pool). */
  roleOf(pid) {
    const p = this.processes.get(pid) ?? this.ghosts.get(pid)?.proc;
    const sent = this.roles.get(pid);
    return p?.role && p.role !== "child" ? p.role : sent ?? p?.role ?? "";
  }

  parentOf(pid) {
    return (this.processes.get(pid) ?? this.ghosts.get(pid)?.proc)?.ppid ?? this.activity.spawnedBy.get(pid) ?? null;
  }

  /** The variables worth drawing beside a process: the tracer reports every module-level
   * variable of every process, most of them the same copy everywhere (the lesson's
   * parameters). Shown are those this process changed since it first reported them, and
   * those whose copy here differs from another process's (isolation: money = 1000 beside
   * the parent, money = 99 beside the child). */
  shownValues(pid) {
    if (!this.shownCache) {
      const copies = new Map(); // name -> Set of JSON texts, over every process
      for (const vars of this.values.values()) {
        for (const [name, v] of vars) {
          if (!copies.has(name)) copies.set(name, new Set());
          copies.get(name).add(JSON.stringify(v));
        }
      }
      this.shownCache = new Map();
      for (const [p, vars] of this.values) {
        const changed = this.valuesChanged.get(p);
        this.shownCache.set(p, [...vars].filter(([name]) => changed?.has(name) || copies.get(name).size > 1));
      }
    }
    return this.shownCache.get(pid) ?? [];
  }

  /** A run that has ended keeps its last tree: the processes there were when the result
   * came (alive, or gone less than GHOST_MS before, still fading on the page), else when it
   * ended; [] while the run goes on. Each as {proc, exitcode}, from its last record. */
  lastTree() {
    if (!this.isTerminal()) return [];
    const at = this.resultAt ?? this.run?.ended ?? this.lastT;
    if (typeof at !== "number") return [];
    const kept = [];
    for (const [pid, life] of this.lives) {
      const proc = this.records.get(pid);
      if (!proc || life.start > at + 0.05 || (life.end != null && life.end < at - GHOST_MS / 1000)) continue;
      kept.push({ proc, exitcode: life.exit?.code ?? proc.exitcode ?? null });
    }
    return kept;
  }

  relTime(t) {
    return this.t0 === null ? 0 : Math.max(0, t - this.t0);
  }

  isTerminal() {
    return TERMINAL_STATES.has(this.run?.state);
  }

  /** The freeze going on now ({from, to: null}), or null. */
  frozenSpan() {
    const last = this.frozen.at(-1);
    return last && last.to === null && !this.isTerminal() ? last : null;
  }

  /** Seconds the run has been frozen in all, up to the server time ``now``. */
  frozenSeconds(now = this.serverNow()) {
    const end = this.run?.ended ?? now;
    return this.frozen.reduce((sum, s) => sum + Math.max(0, (s.to ?? end) - s.from), 0);
  }
}

const EVENT_HANDLERS = {
  spawn(m, msg, data) {
    m.learnLabel(msg.pid, data.label);
    if (data.role) m.roles.set(msg.pid, data.role);
    // Enough to draw it in the last tree of a run opened after it ended (no record comes then).
    if (!m.records.has(msg.pid)) {
      const { ppid = null, label = "", role = "", create_time: createTime = msg.t } = data;
      m.records.set(msg.pid, { pid: msg.pid, ppid, label, role, create_time: createTime, status: "dead" });
    }
    // Only the timeline: the node comes with the process's first record (sent right after).
    m.live(msg.pid, data.label ?? "", msg.t, msg.t, null);
  },
  exit(m, msg, data) {
    // The exact moment for the timeline; the node learns it is a zombie from its record.
    const life = m.lives.get(msg.pid);
    if (!life) return;
    life.exit = { t: msg.t, code: data.exitcode };
    // Never sampled before it exited: what it did until then is not known.
    if (!life.segs.length) life.segs.push({ t: life.start, status: "unknown" });
    if (life.end == null || msg.t < life.end) markStatus(life, msg.t, "zombie");
  },
  reap(m, msg, data) {
    // The reap is the exact end of a life; a sample noticing the PID gone comes later.
    const life = m.lives.get(msg.pid);
    if (life && (life.end == null || msg.t < life.end)) life.end = msg.t;
    if (data.exitcode != null && life && life.exit?.code == null) {
      life.exit = { t: life.exit?.t ?? msg.t, code: data.exitcode };
    }
    if (m.processes.has(msg.pid)) {
      m.toGhost(msg.pid, performance.now(), msg.t, data.exitcode);
      m.emit("processes");
    }
    const ghost = m.ghosts.get(msg.pid);
    if (ghost && ghost.exitcode == null && data.exitcode != null) ghost.exitcode = data.exitcode;
  },
  adopt(m, msg, data) {
    m.adoptions.set(msg.pid, { old_ppid: data.old_ppid, new_ppid: data.new_ppid, t: msg.t });
    // A ghost too: a child killed with its parent is adopted on the way out.
    const p = m.processes.get(msg.pid) ?? m.ghosts.get(msg.pid)?.proc;
    if (p && data.new_ppid != null) p.ppid = data.new_ppid;
    const record = m.records.get(msg.pid);
    if (record && data.new_ppid != null) record.ppid = data.new_ppid;
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
    const vars = m.values.get(msg.pid);
    if (vars.has(data.name) && JSON.stringify(vars.get(data.name)) !== JSON.stringify(data.value)) {
      if (!m.valuesChanged.has(msg.pid)) m.valuesChanged.set(msg.pid, new Set());
      m.valuesChanged.get(msg.pid).add(data.name);
    }
    vars.set(data.name, data.value);
    m.shownCache = null;
    m.emit("values", msg.pid);
  },
  queue(m, msg, data) {
    const name = data.name ?? "queue";
    if (!m.queues.has(name)) m.queues.set(name, { depth: 0, maxsize: 0, points: [] });
    const q = m.queues.get(name);
    q.maxsize = queueCapacity(data.maxsize);
    const x = m.relTime(msg.t);
    q.points.push([x, data.depth]);
    // Events from different processes may arrive slightly out of time order.
    if (q.points.length > 1 && q.points[q.points.length - 2][0] > x) q.points.sort((a, b) => a[0] - b[0]);
    q.depth = q.points[q.points.length - 1][1]; // the latest in time, not the latest to arrive
    m.emit("queues", name);
  },
  result(m, msg, data) {
    m.result = data;
    if (typeof msg.t === "number") m.resultAt = msg.t;
    m.emit("result", data);
  },
  freeze(m, msg, data) {
    const open = m.frozen.at(-1)?.to === null ? m.frozen.at(-1) : null;
    if (data.frozen === true || data.frozen === "true") {
      if (!open) m.frozen.push({ from: msg.t, to: null });
    } else if (open) {
      open.to = msg.t;
    } else if (typeof data.seconds === "number") {
      m.frozen.push({ from: msg.t - data.seconds, to: msg.t }); // the freeze itself came before the page
    }
    m.emit("freeze", m.frozenSpan());
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
