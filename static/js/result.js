// The result card: the lesson's punch line and the keys its result event reported.

import { formatNumber, nameLabel, pick, setText, t } from "./i18n.js";

function code(text) {
  const el = document.createElement("code");
  el.textContent = text;
  return el;
}

/** A result value as nodes: yes / no in words, numbers in the page's language, the program's
 * own values (strings, names, records) as code. */
function valueNodes(v) {
  if (v === true) return [`✔ ${t("yes")}`];
  if (v === false) return [`✘ ${t("no")}`];
  if (typeof v === "number") return [formatNumber(v)];
  if (v === null || v === undefined) return ["—"];
  if (typeof v === "string") return [code(v)];
  // A list of records (create-process's children): one per line.
  if (Array.isArray(v)) return v.flatMap((x, i) => (i ? ["\n", ...valueNodes(x)] : valueNodes(x)));
  if (typeof v === "object") return [code(Object.entries(v).map(([k, x]) => `${k}=${typeof x === "string" ? x : JSON.stringify(x)}`).join(" "))];
  return [code(JSON.stringify(v))];
}

export class ResultView {
  constructor(card, punchEl, keysEl) {
    this.card = card;
    this.punchEl = punchEl;
    this.keysEl = keysEl;
    this.result = null;
    this.lesson = null;
    this.frozenSeconds = 0; // how long the run was frozen (Freeze), said on the card
  }

  /** The run was frozen this long in all: the card says so once the run has a result or ended. */
  setFrozen(seconds, ended) {
    const s = seconds > 0 ? Math.round(seconds * 10) / 10 : 0;
    if (s === this.frozenSeconds && ended === this.ended) return;
    this.frozenSeconds = s;
    this.ended = ended;
    this.render();
  }

  show(result, lesson) {
    this.result = result;
    this.lesson = lesson;
    this.render();
  }

  render() {
    const frozen = this.frozenSeconds > 0 && (this.result || this.ended);
    if (!this.result && !frozen) {
      this.card.hidden = true;
      return;
    }
    this.card.hidden = false;
    setText(this.punchEl, pick(this.lesson?.punchline));
    this.punchEl.hidden = !this.punchEl.textContent;
    this.keysEl.replaceChildren();
    const result = this.result ?? {};
    const keys = this.lesson?.result_keys?.length ? this.lesson.result_keys : Object.keys(result);
    const extra = Object.keys(result).filter((k) => !keys.includes(k));
    for (const key of [...keys, ...extra]) {
      if (!(key in result)) continue;
      const dt = document.createElement("dt");
      // What the key means, and the key itself as the lesson's result names it.
      const meaning = nameLabel("result", key);
      if (meaning && meaning !== key) {
        const span = document.createElement("span");
        span.className = "result-meaning";
        setText(span, meaning);
        dt.append(span, " ");
      }
      const keyEl = code(key);
      keyEl.className = "result-key";
      dt.append(keyEl);
      const dd = document.createElement("dd");
      dd.dataset.key = key;
      dd.dataset.value = JSON.stringify(result[key]);
      dd.append(...valueNodes(result[key]));
      this.keysEl.append(dt, dd);
    }
    if (frozen) {
      const dt = document.createElement("dt");
      dt.textContent = t("frozen_for");
      const dd = document.createElement("dd");
      dd.dataset.key = "frozen_seconds";
      dd.className = "result-frozen";
      // Clocks are not faked: the measured times above include this.
      dd.textContent = t("frozen_for_value").replace("{s}", String(this.frozenSeconds));
      this.keysEl.append(dt, dd);
    }
  }
}
