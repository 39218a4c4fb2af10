// "Predict, then run" in the page's model: bins as the server spells them, which word about a
// question wins, the bars to draw, and which question a page shows.

import assert from "node:assert/strict";
import { test } from "node:test";

import { Prediction, binKeys, numberKey, shown } from "../../static/js/prediction.js";

const sold = (over = {}) => ({
  id: "q-1",
  kind: "number",
  minimum: 0,
  maximum: 10,
  step: 1,
  choices: [],
  state: "open",
  votes: 0,
  counts: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [String(i), 0])),
  answer: null,
  answer_key: null,
  mine: null,
  ...over,
});

const yesNo = (over = {}) => ({
  id: "q-2",
  kind: "choice",
  choices: [
    { id: "yes", text: { en: "yes", zh: "会" } },
    { id: "no", text: { en: "no", zh: "不会" } },
  ],
  state: "open",
  votes: 0,
  counts: { yes: 0, no: 0 },
  ...over,
});

test("numbers are spelled as the server spells them", () => {
  assert.deepEqual([3, 2.5, -15, 0.1 + 0.2, -0].map(numberKey), ["3", "2.5", "-15", "0.3", "0"]);
  const half = binKeys({ kind: "number", minimum: 0, maximum: 2, step: 0.5 });
  assert.deepEqual(half, ["0", "0.5", "1", "1.5", "2"]);
  assert.deepEqual(binKeys({ kind: "number", minimum: -10, maximum: 1, step: 1 }).slice(-3), ["-1", "0", "1"]);
  assert.deepEqual(binKeys(yesNo()), ["yes", "no"]);
});

test("bars follow the scale's order (not JavaScript's key order) with shares of the largest", () => {
  const p = new Prediction();
  const counts = { ...sold().counts, 1: 2, 3: 4, 10: 1 };
  p.apply(sold({ votes: 7, counts }));
  const bars = p.bars();
  assert.deepEqual(bars.map((b) => b.key), binKeys(p.q));
  assert.deepEqual(bars.filter((b) => b.count).map((b) => [b.key, b.count, b.share]), [["1", 2, 0.5], ["3", 4, 1], ["10", 1, 0.25]]);
  assert.ok(bars.every((b) => !b.answer && !b.mine));
  assert.equal(p.median(), 3);
});

test("an older word about the same question never replaces a newer one", () => {
  const p = new Prediction();
  assert.ok(p.apply(sold({ votes: 5, counts: { ...sold().counts, 2: 5 } })));
  assert.ok(!p.apply(sold({ votes: 3 })), "fewer votes: an older lobby message");
  assert.equal(p.q.votes, 5);
  assert.ok(p.apply(sold({ state: "closed", votes: 5 })));
  assert.ok(!p.apply(sold({ state: "open", votes: 6 })), "closed is later than any open count");
  assert.ok(p.apply(sold({ id: "q-9", votes: 0 })), "a new question replaces the old one");
  assert.equal(p.q.id, "q-9");
});

test("the reveal marks the answer's bar; the viewer's own vote survives broadcasts", () => {
  const p = new Prediction();
  p.apply(yesNo({ votes: 3, counts: { yes: 1, no: 2 } }));
  p.setMine("q-2", "no");
  p.setMine("q-other", "yes"); // another question's vote changes nothing here
  p.apply(yesNo({ state: "revealed", votes: 3, counts: { yes: 1, no: 2 }, answer: false, answer_key: "no", correct: 2 }));
  assert.ok(p.revealed && !p.open);
  const bars = p.bars();
  assert.deepEqual(bars.map((b) => [b.key, b.answer, b.mine]), [["yes", false, false], ["no", true, true]]);
  assert.deepEqual(bars[1].label, { en: "no", zh: "不会" });
  assert.equal(p.median(), null, "a choice has no median");
});

test("a page shows a question open for votes first, else its run's, else the lobby's", () => {
  const open = yesNo();
  const ran = sold({ state: "revealed" });
  assert.equal(shown(open, ran), open);
  assert.equal(shown({ ...open, state: "closed" }, ran), ran);
  assert.equal(shown(null, ran), ran);
  assert.equal(shown(open, null), open);
  assert.equal(shown(null, null), null);
});
