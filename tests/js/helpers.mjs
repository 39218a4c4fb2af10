// Protocol messages for the model tests, shaped as the server sends them.

export const SERVER_PID = 100;

export function proc(pid, ppid, status = "sleeping", extra = {}) {
  return {
    pid,
    ppid,
    name: "python",
    label: `P${pid}`,
    status,
    cpu_percent: 0,
    rss: 1 << 20,
    threads: 1,
    create_time: 1000 + pid,
    role: "child",
    life: status === "zombie" ? "exited" : status === "stopped" ? "stopped" : "running",
    exitcode: null,
    ...extra,
  };
}

export const snapshot = (t, processes, seq = 1) => ({ type: "snapshot", run: "r", t, seq, processes });
export const delta = (t, changed, removed = [], seq = 2) => ({ type: "delta", run: "r", t, seq, changed, removed });
export const event = (pid, kind, t, data = {}) => ({ type: "event", run: "r", t, pid, kind, data });
export const history = (t, events) => ({ type: "history", run: "r", t, events });
