// "Predict, then run": the question as the server last told it (counts only), and what to draw.
// Plain data, no DOM: node --test runs it (tests/js/prediction.test.mjs).

/** The server's spelling of a number on a scale (workers/questions.py number_key): 3, 2.5, -15. */
export function numberKey(value) {
  const rounded = Number(value.toFixed(9));
  return String(Object.is(rounded, -0) ? 0 : rounded);
}

/** Every key a vote can count under, in the order to draw them. */
export function binKeys(q) {
  if (q.kind === "choice") return q.choices.map((c) => c.id);
  const count = Math.round((q.maximum - q.minimum) / q.step);
  return Array.from({ length: count + 1 }, (_, i) => numberKey(q.minimum + i * q.step));
}

/** The question a page shows: one open for votes first, else the run's own, else the lobby's. */
export function shown(lobby, ofRun) {
  if (lobby?.state === "open") return lobby;
  return ofRun ?? lobby ?? null;
}

export class Prediction {
  constructor() {
    this.q = null;
  }

  /** A newer word about a question: a new one replaces the old; for the same one, the later
   * state or more votes wins (the lobby and the run's events may both tell it). */
  apply(q) {
    if (!q) return false;
    const old = this.q;
    if (old && old.id === q.id && !isNewer(q, old)) return false;
    this.q = { ...q, mine: q.mine ?? (old?.id === q.id ? old.mine : null) };
    return true;
  }

  /** This viewer's own vote, from its vote's answer or GET (the broadcasts carry none). */
  setMine(id, key) {
    if (this.q?.id === id && key != null) this.q = { ...this.q, mine: String(key) };
  }

  reset() {
    this.q = null;
  }

  get open() {
    return this.q?.state === "open";
  }

  get revealed() {
    return this.q?.state === "revealed";
  }

  /** The bars to draw: each key with its count, its share of the largest, and its marks. */
  bars() {
    const q = this.q;
    if (!q) return [];
    const counts = q.counts ?? {};
    const keys = binKeys(q);
    const most = Math.max(1, ...keys.map((k) => counts[k] ?? 0));
    const texts = new Map((q.choices ?? []).map((c) => [c.id, c.text]));
    return keys.map((key) => ({
      key,
      label: texts.get(key) ?? key,
      count: counts[key] ?? 0,
      share: (counts[key] ?? 0) / most,
      answer: q.state === "revealed" && q.answer_key === key,
      mine: q.mine === key,
    }));
  }

  /** For a number: the median vote (half voted this or less), or null without votes. */
  median() {
    const q = this.q;
    if (!q || q.kind !== "number" || !q.votes) return null;
    let seen = 0;
    for (const key of binKeys(q)) {
      seen += q.counts?.[key] ?? 0;
      if (seen * 2 >= q.votes) return Number(key);
    }
    return null;
  }
}

const ORDER = { open: 0, closed: 1, revealed: 2 };

function isNewer(q, old) {
  const a = ORDER[q.state] ?? 0;
  const b = ORDER[old.state] ?? 0;
  return a > b || (a === b && (q.votes ?? 0) >= (old.votes ?? 0));
}
