// The code that ran, read-only, for everyone watching a run of a program: one tab per file of
// the run record's program (the entry first), the chosen file shown by the code panel.

export class ProgramFiles {
  /**
   * @param {HTMLElement} tabs the strip above the code panel
   * @param {{showProgram: (program: {files: object, entry: string}) => void}} code the code panel
   */
  constructor(tabs, code) {
    this.tabs = tabs;
    this.code = code;
    this.program = null;
    this.current = null;
  }

  show(program) {
    if (!program?.files || !Object.keys(program.files).length) return;
    const same = JSON.stringify(program) === JSON.stringify(this.program);
    if (same && this.current) return;
    this.program = program;
    const names = Object.keys(program.files);
    const base = String(program.entry ?? "").split("/").pop();
    const entry = names.includes(program.entry) ? program.entry : names.includes(base) ? base : names[0];
    this.names = [entry, ...names.filter((n) => n !== entry)];
    this.open(entry);
  }

  open(name) {
    this.current = name;
    // CodeView.showProgram draws one file, a span#line-N per line, for the line marks.
    this.code.showProgram?.({ files: this.program.files, entry: name });
    this.render();
  }

  render() {
    this.tabs.replaceChildren();
    this.tabs.hidden = this.names.length < 2;
    for (const name of this.names) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = `file-open${name === this.current ? " active" : ""}`;
      b.setAttribute("role", "tab");
      b.setAttribute("aria-selected", String(name === this.current));
      b.dataset.file = name;
      b.textContent = name;
      b.addEventListener("click", () => this.open(name));
      this.tabs.append(b);
    }
  }
}
