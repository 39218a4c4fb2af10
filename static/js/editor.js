// The presenter's code editor (CodeMirror 6, from npm, resolved by the page's import map): one
// editor state per file, so each keeps its own undo history; Python highlighting and line
// numbers; a syntax error from the server marked at its line. Loaded only by the presenter.

import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { python } from "@codemirror/lang-python";
import { bracketMatching, indentOnInput, syntaxHighlighting } from "@codemirror/language";
import { lintGutter, setDiagnostics } from "@codemirror/lint";
import { EditorState, StateEffect, StateField } from "@codemirror/state";
import { classHighlighter } from "@lezer/highlight";
import { Decoration, EditorView, drawSelection, highlightActiveLine, highlightActiveLineGutter, keymap, lineNumbers } from "@codemirror/view";

/** This answer's CSP style nonce: CodeMirror puts it on the styles it injects. */
function styleNonce() {
  return document.querySelector('meta[name="csp-nonce"]')?.content ?? "";
}

const markLine = StateEffect.define(); // a line number, or null to clear
const errorLine = StateField.define({
  create: () => Decoration.none,
  update(deco, tr) {
    for (const e of tr.effects) {
      if (e.is(markLine)) {
        if (e.value == null) return Decoration.none;
        const line = tr.state.doc.line(Math.min(Math.max(1, e.value), tr.state.doc.lines));
        return Decoration.set([Decoration.line({ class: "cm-error-line" }).range(line.from)]);
      }
    }
    return tr.docChanged ? Decoration.none : deco.map(tr.changes);
  },
  provide: (f) => EditorView.decorations.from(f),
});

export class LessonEditor {
  /**
   * @param {HTMLElement} host where the editor goes
   * @param {{onChange?: () => void, onFile?: (name: string) => void}} hooks
   */
  constructor(host, { onChange, onFile } = {}) {
    this.onChange = onChange ?? (() => {});
    this.onFile = onFile ?? (() => {});
    this.states = new Map(); // file name -> EditorState
    this.entry = "main.py";
    this.current = null;
    this.view = new EditorView({ parent: host, state: this.makeState("main.py", "") });
  }

  makeState(name, text) {
    const extensions = [
      EditorView.cspNonce.of(styleNonce()),
      lineNumbers(),
      highlightActiveLineGutter(),
      history(),
      drawSelection(),
      indentOnInput(),
      bracketMatching(),
      highlightActiveLine(),
      syntaxHighlighting(classHighlighter), // tok-* classes: coloured as the lesson code is (editor.css)
      keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
      EditorState.tabSize.of(4),
      lintGutter(),
      errorLine,
      EditorView.contentAttributes.of({ "aria-label": name, spellcheck: "false", autocorrect: "off", autocapitalize: "off" }),
      EditorView.updateListener.of((u) => {
        if (u.docChanged) this.onChange();
      }),
    ];
    if (name.endsWith(".py")) extensions.push(python());
    return EditorState.create({ doc: text, extensions });
  }

  /** Show a program: its files (entry first) and the entry file open. */
  load(files, entry) {
    this.states.clear();
    const names = Object.keys(files);
    this.entry = entry in files ? entry : names.find((n) => n.endsWith(".py")) ?? names[0] ?? "main.py";
    for (const name of [this.entry, ...names.filter((n) => n !== this.entry)]) {
      this.states.set(name, this.makeState(name, files[name] ?? ""));
    }
    if (!this.states.size) this.states.set(this.entry, this.makeState(this.entry, ""));
    this.current = null;
    this.open(this.entry);
  }

  names() {
    this.keep();
    return [...this.states.keys()];
  }

  /** The program as it is now: {name: text}. */
  files() {
    this.keep();
    return Object.fromEntries([...this.states].map(([name, state]) => [name, state.doc.toString()]));
  }

  keep() {
    if (this.current) this.states.set(this.current, this.view.state);
  }

  open(name) {
    if (!this.states.has(name)) return;
    this.keep();
    this.current = name;
    this.view.setState(this.states.get(name));
    this.onFile(name);
  }

  add(name, text = "") {
    if (this.states.has(name)) return false;
    this.keep();
    this.states.set(name, this.makeState(name, text));
    this.open(name);
    this.onChange();
    return true;
  }

  rename(from, to) {
    if (!this.states.has(from) || this.states.has(to)) return false;
    this.keep();
    // The text (and its language) follow the new name; the order of the files is kept.
    const text = this.states.get(from).doc.toString();
    this.states = new Map([...this.states].map(([n, s]) => (n === from ? [to, this.makeState(to, text)] : [n, s])));
    if (this.entry === from) this.entry = to;
    this.current = null;
    this.open(to);
    this.onChange();
    return true;
  }

  remove(name) {
    if (!this.states.has(name) || this.states.size < 2) return false;
    this.keep();
    this.states.delete(name);
    if (this.entry === name) this.entry = [...this.states.keys()].find((n) => n.endsWith(".py")) ?? [...this.states.keys()][0];
    this.current = null;
    this.open(this.states.has(this.entry) ? this.entry : [...this.states.keys()][0]);
    this.onChange();
    return true;
  }

  /** Mark a syntax error (1-based line and column, as the server names them). */
  markError(file, line, column, message) {
    if (!this.states.has(file)) return;
    this.open(file);
    const doc = this.view.state.doc;
    const at = doc.line(Math.min(Math.max(1, line), doc.lines));
    const from = Math.min(at.from + Math.max(0, (column || 1) - 1), at.to);
    const to = from < at.to ? from + 1 : from;
    this.view.dispatch(setDiagnostics(this.view.state, [{ from, to, severity: "error", message }]));
    this.view.dispatch({ effects: markLine.of(at.number), selection: { anchor: from }, scrollIntoView: true });
    this.view.focus();
  }

  clearError() {
    this.view.dispatch(setDiagnostics(this.view.state, []));
    this.view.dispatch({ effects: markLine.of(null) });
  }

  focus() {
    this.view.focus();
  }
}
