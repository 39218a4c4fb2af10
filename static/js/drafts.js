// The presenter's unsaved edits, per lesson, kept in local storage: going to a run's page and
// back (or reloading) keeps them until Reset, Save or Delete. Plain JS: `node --test` runs it.

import { load, save } from "./store.js";

const PREFIX = "procviz.draft.";
// "Start from an empty file": an id no saved lesson can have (the server takes [a-z0-9-] only).
export const NEW_PROGRAM = "__new__";

/** Two programs are the same when their entries and every file's text are. */
export function sameProgram(a, b) {
  if (!a || !b || a.entry !== b.entry) return false;
  const names = Object.keys(a.files ?? {});
  if (names.length !== Object.keys(b.files ?? {}).length) return false;
  return names.every((n) => Object.hasOwn(b.files, n) && a.files[n] === b.files[n]);
}

export class Drafts {
  constructor(store = { load, save }) {
    this.store = store;
  }

  get(id) {
    try {
      const draft = JSON.parse(this.store.load(PREFIX + id) ?? "null");
      return draft && typeof draft.files === "object" && typeof draft.entry === "string" ? draft : null;
    } catch {
      return null;
    }
  }

  set(id, program) {
    this.store.save(PREFIX + id, JSON.stringify({ files: program.files, entry: program.entry }));
  }

  clear(id) {
    this.store.save(PREFIX + id, "null");
  }
}

/** A file name the server takes: relative, word characters, dots and dashes, no hidden part. */
export function validFileName(name) {
  return /^(?!\.)[\w-][\w.-]*(\/(?!\.)[\w-][\w.-]*){0,4}$/u.test(name) && name.length <= 200;
}

/** "program.files.main.py: syntax error at line 3, column 5: …" → {file, line, column, message}. */
export function syntaxError(error, prefix = "program.files.") {
  const field = String(error?.field ?? "");
  const found = /line (\d+), column (\d+)/.exec(error?.message ?? "");
  if (!field.startsWith(prefix) || !found) return null;
  return { file: field.slice(prefix.length), line: Number(found[1]), column: Number(found[2]), message: error.message };
}

export const EMPTY_PROGRAM = { files: { "main.py": "" }, entry: "main.py" };

/**
 * What Run sends for this lesson: null for a built-in lesson as it ships (it runs as the
 * lesson, with its parameters), else the program: the page's edits, or the saved lesson.
 * @param {(id: string) => Promise<{files: object, entry: string}|null>} fetchSaved
 */
export async function programToRun(lesson, drafts, fetchSaved) {
  const draft = drafts.get(lesson.id);
  if (draft) return draft;
  if (lesson.id === NEW_PROGRAM) return EMPTY_PROGRAM;
  if (lesson.builtin !== false) return null;
  return fetchSaved(lesson.id);
}
