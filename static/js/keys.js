// Keyboard shortcuts for the lecturer, and a help overlay (?) that lists them.

import { t } from "./i18n.js";

// key (as KeyboardEvent.key), what the help calls it, the i18n word for what it does.
const KEYS = [
  { key: " ", shown: "Space", word: "key_space" },
  { key: "ArrowRight", shown: "→", word: "key_step" },
  { key: "End", shown: "End", word: "key_live" },
  { key: "s", shown: "S", word: "key_stop" },
  { key: "z", shown: "Z", word: "key_freeze" },
  { key: "n", shown: "N", word: "key_next" },
  { key: "p", shown: "P", word: "key_projector" },
  { key: "t", shown: "T", word: "key_theme" },
  { key: "l", shown: "L", word: "key_lang" },
  { key: "f", shown: "F", word: "key_fullscreen" },
  { key: "q", shown: "Q", word: "key_qr" },
  { key: "?", shown: "?", word: "key_help" },
  { key: "Escape", shown: "Esc", word: "key_close" },
];

/** Typing in a form field (a lesson parameter) must never trigger a shortcut. */
function isTyping(el) {
  if (!el || el === document.body) return false;
  if (el.isContentEditable) return true;
  const tag = el.tagName;
  if (tag === "TEXTAREA" || tag === "SELECT") return true;
  return tag === "INPUT" && !["checkbox", "radio", "button", "submit", "reset", "range"].includes(el.type);
}

export function toggleFullscreen() {
  if (document.fullscreenElement) document.exitFullscreen?.().catch(() => {});
  else document.documentElement.requestFullscreen?.().catch(() => {});
}

export class Keys {
  /**
   * @param {Record<string, () => void>} actions space, step, live, stop, freeze, next, projector, theme, lang, fullscreen, qr
   */
  constructor(actions) {
    this.actions = actions;
    this.help = this.buildHelp();
    document.addEventListener("keydown", (ev) => this.onKey(ev));
  }

  onKey(ev) {
    // A focused control that handled the key itself (a tree node's Space) keeps it.
    if (ev.defaultPrevented || ev.ctrlKey || ev.metaKey || ev.altKey || ev.isComposing) return;
    if (isTyping(ev.target)) return;
    const key = ev.key.length === 1 ? ev.key.toLowerCase() : ev.key;
    if (key === "?" || (key === "/" && ev.shiftKey)) return this.run(ev, () => this.toggleHelp());
    if (key === "Escape" && !this.help.hidden) return this.run(ev, () => this.toggleHelp(false));
    const name = { " ": "space", ArrowRight: "step", End: "live", s: "stop", z: "freeze", n: "next", p: "projector", t: "theme", l: "lang", f: "fullscreen", q: "qr" }[key];
    const action = name && this.actions[name];
    if (!action) return undefined;
    // Space on a focused button would also click it on key-up: the shortcut wins.
    if (key === " " && ev.target instanceof HTMLButtonElement) ev.target.blur();
    return this.run(ev, action);
  }

  run(ev, fn) {
    ev.preventDefault();
    fn();
  }

  buildHelp() {
    const box = document.createElement("div");
    box.className = "key-help";
    box.id = "key-help";
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-modal", "true");
    box.setAttribute("aria-labelledby", "key-help-h");
    box.hidden = true;
    box.addEventListener("click", (ev) => {
      if (ev.target === box) this.toggleHelp(false);
    });
    document.body.append(box);
    return box;
  }

  renderHelp() {
    const card = document.createElement("div");
    card.className = "key-help-card";
    const h = document.createElement("h2");
    h.id = "key-help-h";
    h.textContent = t("keys_title");
    const dl = document.createElement("dl");
    for (const k of KEYS) {
      const dt = document.createElement("dt");
      const kbd = document.createElement("kbd");
      kbd.textContent = k.shown;
      dt.append(kbd);
      const dd = document.createElement("dd");
      dd.textContent = t(k.word);
      dd.dataset.key = k.shown;
      dl.append(dt, dd);
    }
    const close = document.createElement("button");
    close.type = "button";
    close.className = "btn";
    close.textContent = t("close");
    close.addEventListener("click", () => this.toggleHelp(false));
    card.append(h, dl, close);
    this.help.replaceChildren(card);
    return close;
  }

  toggleHelp(show = this.help.hidden) {
    if (show) {
      this.returnFocus = document.activeElement;
      const close = this.renderHelp();
      this.help.hidden = false;
      close.focus();
    } else if (!this.help.hidden) {
      this.help.hidden = true;
      this.returnFocus?.focus?.();
    }
  }

  /** The help speaks the page's language; redraw it if it is open when that changes. */
  relabel() {
    if (!this.help.hidden) this.renderHelp();
  }
}
