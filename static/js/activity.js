// What each process is doing, as the tracer reports it with no annotation in the program:
// blocked in a call on an object, holding a lock, running a pool task, at a line, failed.
// Plain JS (no DOM): RunModel feeds it every event; `node --test` runs it as it is.

// Events whose lineno says where their process is in the program's code.
const LINE_KINDS = new Set(["line", "step", "stdout", "stderr", "value", "queue", "blocked", "unblocked", "sync", "pipe", "error"]);
// Events that say nothing of what their process does now: a step-mode hold outlives them
// (a freeze is the run's, sent as the root's; a spawn or an adopt is reported by others).
const NOT_ITS_OWN = new Set(["step", "freeze", "spawn", "adopt"]);
// Objects whose acquire()/release() make a holder (a Condition's lock is its own object).
const HELD_KINDS = new Set(["lock", "rlock", "semaphore", "boundedsemaphore"]);

/** How many events one message stands for: the tracer merges a burst into its last one. */
const count = (data) => (Number.isInteger(data.coalesced) && data.coalesced > 0 ? data.coalesced : 1);

export class Activity {
  /** @param {(pid: number) => number | null} parentOf a process's parent, as the model knows it */
  constructor(parentOf = () => null) {
    this.parentOf = parentOf;
    this.blocked = new Map(); // pid -> {on, op, kind, t, lineno}
    this.holds = new Map(); // pid -> Map(name -> kind)
    this.at = new Map(); // pid -> {lineno, filename, function, t}
    this.errors = new Map(); // pid -> {type, message, filename, lineno, t}
    this.tasks = new Map(); // worker pid -> {id, fn} of the task it runs now
    this.pools = new Map(); // pid that submits -> {submitted, started, done, failed, workers: Set}
    this.spawnedBy = new Map(); // pid -> ppid from its spawn event
    // Step mode: pid -> {lineno, filename, function, t} of the hold it waits in now (procviz
    // holds it, not the OS): its last step event, until any later event of its own.
    this.held = new Map();
  }

  /** Take one event message; the pid whose activity changed, or null. */
  apply(msg) {
    const data = msg.data ?? {};
    const handler = HANDLERS[msg.kind];
    let changed = handler ? handler(this, msg.pid, data, msg) : false;
    if (!NOT_ITS_OWN.has(msg.kind) && !this.stillHeld(msg, data) && this.held.delete(msg.pid)) changed = true;
    const moved = this.noteLine(msg, data);
    return changed || moved ? (msg.kind === "spawn" ? data.ppid ?? msg.pid : msg.pid) : null;
  }

  noteLine(msg, data) {
    const lineno = Number(data.lineno);
    if (!Number.isInteger(lineno) || lineno < 1) return false;
    let pid = msg.pid;
    if (msg.kind === "spawn" || (msg.kind === "task" && data.state === "submitted")) {
      // Reported from the parent's start() / submit(): the line is the parent's.
      pid = msg.kind === "spawn" ? data.ppid ?? msg.pid : msg.pid;
    } else if (!LINE_KINDS.has(msg.kind)) {
      return false;
    }
    const old = this.at.get(pid);
    const filename = data.filename ?? old?.filename ?? null;
    this.at.set(pid, { lineno, filename, function: data.function ?? null, t: msg.t });
    return old?.lineno !== lineno || old?.filename !== filename;
  }

  /** A sampled `line` event at the held line: the sampler thread saw it wait there. */
  stillHeld(msg, data) {
    const hold = this.held.get(msg.pid);
    return Boolean(hold) && msg.kind === "line" && Number(data.lineno) === hold.lineno && (data.filename ?? hold.filename) === hold.filename;
  }

  /** A process that has exited waits for nothing and holds nothing any more. */
  ended(pid) {
    const had = this.blocked.delete(pid) | this.holds.delete(pid) | this.tasks.delete(pid) | this.held.delete(pid);
    return Boolean(had);
  }

  /** Step mode: the presenter let these go on (the server's answer named them). ``before``
   * (pid -> hold, taken before asking) keeps a newer hold that came in the meantime. */
  released(pids, before = null) {
    let any = false;
    for (const pid of pids) {
      if (before && this.held.get(pid) !== before.get(pid)) continue; // held again already
      any = this.held.delete(pid) || any;
    }
    return any;
  }

  /** The pool a worker serves: its parent's, or its own entry if the parent is not known. */
  poolOf(workerPid) {
    const owner = this.parentOf(workerPid) ?? this.spawnedBy.get(workerPid) ?? workerPid;
    if (!this.pools.has(owner)) this.pools.set(owner, { submitted: 0, started: 0, done: 0, failed: 0, workers: new Set() });
    const pool = this.pools.get(owner);
    pool.workers.add(workerPid);
    return pool;
  }

  /** Tasks of a pool as the class reads them: submitted, waiting, running now, done. */
  poolCounts(owner) {
    const p = this.pools.get(owner);
    if (!p) return null;
    const submitted = Math.max(p.submitted, p.started);
    const running = Math.max(0, Math.min(p.started - p.done, p.workers.size || Infinity));
    return { submitted, waiting: Math.max(0, submitted - p.started), running, done: p.done, failed: p.failed };
  }

  /** The lock names a process holds now, in the order it took them. */
  heldBy(pid) {
    return [...(this.holds.get(pid)?.keys() ?? [])];
  }
}

const HANDLERS = {
  step(a, pid, data, msg) {
    const lineno = Number(data.lineno);
    a.held.set(pid, { lineno: Number.isInteger(lineno) ? lineno : null, filename: data.filename ?? null, function: data.function ?? null, t: msg.t });
    return true;
  },
  spawn(a, pid, data) {
    if (data.ppid != null) a.spawnedBy.set(pid, data.ppid);
    if (data.role === "pool-worker") a.poolOf(pid);
    return false;
  },
  exit(a, pid) {
    return a.ended(pid);
  },
  blocked(a, pid, data, msg) {
    a.blocked.set(pid, { on: String(data.on ?? "?"), op: String(data.op ?? "?"), kind: data.kind ?? "", t: msg.t, lineno: data.lineno ?? null });
    return true;
  },
  unblocked(a, pid, data) {
    const b = a.blocked.get(pid);
    // Another thread's wait ending leaves this one's in place.
    if (!b || (data.on != null && b.on !== String(data.on)) || (data.op != null && b.op !== String(data.op))) return false;
    a.blocked.delete(pid);
    return true;
  },
  sync(a, pid, data) {
    if (!HELD_KINDS.has(data.kind) || !data.name) return false;
    // Merged bursts keep their last operation: that one says whether it holds now.
    if (data.op === "acquire") {
      if (!a.holds.has(pid)) a.holds.set(pid, new Map());
      if (a.holds.get(pid).has(data.name)) return false;
      a.holds.get(pid).set(data.name, data.kind);
      return true;
    }
    if (data.op === "release") {
      const mine = a.holds.get(pid);
      if (!mine?.delete(data.name)) return false;
      if (!mine.size) a.holds.delete(pid);
      return true;
    }
    return false;
  },
  task(a, pid, data) {
    const n = count(data);
    if (data.state === "submitted") {
      if (!a.pools.has(pid)) a.pools.set(pid, { submitted: 0, started: 0, done: 0, failed: 0, workers: new Set() });
      a.pools.get(pid).submitted += n;
      return true;
    }
    const pool = a.poolOf(pid);
    if (data.state === "running") {
      pool.started += n;
      a.tasks.set(pid, { id: data.id, fn: String(data.fn ?? "") });
    } else if (data.state === "done") {
      pool.done += n;
      if (data.ok === false) pool.failed += 1;
      if (a.tasks.get(pid)?.id === data.id) a.tasks.delete(pid);
    }
    return true;
  },
  error(a, pid, data, msg) {
    a.errors.set(pid, {
      type: String(data.type ?? "Error"),
      message: String(data.message ?? ""),
      filename: data.filename ?? null,
      lineno: Number.isInteger(data.lineno) ? data.lineno : null,
      t: msg.t,
    });
    return true;
  },
};
