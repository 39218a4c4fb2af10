// Projector mode (large type, thick lines) and the dark/light theme, as attributes on <html>
// (set before the first paint by display-boot.js), with buttons and a remembered choice.

import { t } from "./i18n.js";
import { load, save } from "./store.js";

const PROJECTOR_KEY = "procviz.projector";
const THEME_KEY = "procviz.theme";
const root = document.documentElement;
const listeners = new Set();

export function isProjector() {
  return root.dataset.projector === "1";
}

export function theme() {
  return root.dataset.theme === "dark" ? "dark" : "light";
}

export function onDisplayChange(fn) {
  listeners.add(fn);
}

function changed() {
  for (const fn of listeners) fn();
}

export function setProjector(on) {
  root.dataset.projector = on ? "1" : "0";
  save(PROJECTOR_KEY, on ? "1" : "0");
  changed();
}

export function setTheme(next) {
  root.dataset.theme = next === "dark" ? "dark" : "light";
  save(THEME_KEY, theme());
  changed();
}

export const toggleProjector = () => setProjector(!isProjector());
export const toggleTheme = () => setTheme(theme() === "dark" ? "light" : "dark");

/** Wire the two top-bar buttons; returns a function that relabels them (language change). */
export function setupDisplay({ projectorBtn, themeBtn }) {
  // Without a choice of their own, follow the system's light/dark setting as it changes.
  const media = window.matchMedia?.("(prefers-color-scheme: dark)");
  media?.addEventListener?.("change", (ev) => {
    if (load(THEME_KEY) || new URL(location.href).searchParams.has("theme")) return;
    root.dataset.theme = ev.matches ? "dark" : "light";
    changed();
  });
  projectorBtn.addEventListener("click", toggleProjector);
  themeBtn.addEventListener("click", toggleTheme);
  const label = () => {
    projectorBtn.textContent = `▣ ${t("projector")}`;
    projectorBtn.setAttribute("aria-pressed", String(isProjector()));
    projectorBtn.title = `${t("projector_hint")} (P)`;
    // The button names the theme it switches to.
    const dark = theme() === "dark";
    themeBtn.textContent = dark ? `☀ ${t("theme_light")}` : `☾ ${t("theme_dark")}`;
    themeBtn.title = `${t("theme_hint")} (T)`;
  };
  listeners.add(label);
  label();
  return label;
}
