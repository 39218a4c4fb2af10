// The viewers' link, as text and as a QR code big enough to scan from the back of the hall.
// The link never carries the presenter's token (api.js has already taken it out of the address).

import qrcode from "/vendor/qrcode-generator/dist/qrcode.mjs";
import { applyStatic, onLangChange } from "./i18n.js";
import { load, save } from "./store.js";

const SVG_NS = "http://www.w3.org/2000/svg";
const QUIET = 4; // the blank margin (in modules) a scanner needs around the code
const LOCAL_HOSTS = /^(localhost|127(\.\d+){3}|\[::1\]|::1)$/;
// Minimised once the class has scanned, and remembered: the stage then belongs to the tree.
const MINIMISED_KEY = "procviz.share.minimised";

/** An SVG drawing of the QR code of `text`: one path, one unit per module, any size. */
export function qrSvg(text) {
  const qr = qrcode(0, "M");
  qr.addData(text, "Byte"); // URL.href is ASCII: IDN hosts are punycode, the rest %-escaped
  qr.make();
  const n = qr.getModuleCount();
  const d = [];
  for (let r = 0; r < n; r += 1) {
    for (let c = 0; c < n; c += 1) if (qr.isDark(r, c)) d.push(`M${c + QUIET},${r + QUIET}h1v1h-1z`);
  }
  const svg = document.createElementNS(SVG_NS, "svg");
  const size = n + 2 * QUIET;
  svg.setAttribute("viewBox", `0 0 ${size} ${size}`);
  svg.setAttribute("shape-rendering", "crispEdges");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", text);
  svg.dataset.modules = String(n);
  svg.dataset.quiet = String(QUIET);
  svg.dataset.text = text;
  const bg = document.createElementNS(SVG_NS, "rect");
  bg.setAttribute("width", size);
  bg.setAttribute("height", size);
  bg.setAttribute("fill", "#fff");
  const path = document.createElementNS(SVG_NS, "path");
  path.setAttribute("d", d.join(""));
  path.setAttribute("fill", "#000");
  svg.append(bg, path);
  return svg;
}

/** The address students open: this page's run (or the start page), without any query. */
export function viewerUrl(runId) {
  const path = runId ? `/runs/${encodeURIComponent(runId)}` : "/";
  return new URL(path, location.origin).href;
}

export class ShareCard {
  /** @param {HTMLElement} after the card goes after it (below the result and the queues) */
  constructor(after, runId) {
    this.url = viewerUrl(runId);
    const card = document.createElement("section");
    card.className = "share-card";
    card.id = "share-card";
    card.setAttribute("aria-labelledby", "share-h");
    card.innerHTML = `<div class="share-qr" id="share-qr"></div>
      <h2 id="share-h" data-i18n="${runId ? "share_run" : "share_start"}"></h2>
      <div class="share-buttons">
        <button type="button" class="btn btn-enlarge" id="share-enlarge" data-i18n="share_enlarge"></button>
        <button type="button" class="btn btn-share-min" id="share-minimise" aria-controls="share-card"><span data-i18n="share_minimise"></span> <kbd>Q</kbd></button>
      </div>
      <a class="share-url" id="share-url" translate="no"></a>
      <p class="share-local" id="share-local" data-i18n="share_local" hidden></p>
      <button type="button" class="btn btn-share-show" id="share-show" aria-controls="share-card"><span aria-hidden="true">▣</span> <span data-i18n="share_show"></span> <kbd>Q</kbd></button>`;
    after.after(card);
    card.querySelector("#share-qr").append(qrSvg(this.url));
    const link = card.querySelector("#share-url");
    link.href = this.url;
    link.textContent = this.url;
    // 127.0.0.1 on the projector means the students' own laptops: say so before they try.
    card.querySelector("#share-local").hidden = !LOCAL_HOSTS.test(location.hostname);
    this.overlay = this.buildOverlay();
    card.querySelector("#share-enlarge").addEventListener("click", () => this.enlarge(true));
    card.querySelector("#share-minimise").addEventListener("click", () => this.minimise(true));
    card.querySelector("#share-show").addEventListener("click", () => this.minimise(false));
    this.card = card;
    this.minimise(load(MINIMISED_KEY) === "1", { focus: false });
    applyStatic(card);
    onLangChange(() => applyStatic(this.overlay));
  }

  buildOverlay() {
    const o = document.createElement("div");
    o.className = "share-overlay";
    o.id = "share-overlay";
    o.setAttribute("role", "dialog");
    o.setAttribute("aria-modal", "true");
    o.setAttribute("aria-labelledby", "share-big-h");
    o.hidden = true;
    o.innerHTML = `<h2 id="share-big-h" data-i18n="share_scan"></h2>
      <div class="share-big-qr"></div>
      <p class="share-big-url"></p>
      <button type="button" class="btn" id="share-close" data-i18n="close"></button>`;
    o.querySelector(".share-big-qr").append(qrSvg(this.url));
    o.querySelector(".share-big-url").textContent = this.url;
    o.addEventListener("click", (ev) => {
      if (ev.target === o || ev.target.id === "share-close") this.enlarge(false);
    });
    document.addEventListener("keydown", (ev) => {
      if (ev.key === "Escape" && !o.hidden) this.enlarge(false);
    });
    document.body.append(o);
    applyStatic(o);
    return o;
  }

  get minimised() {
    return this.card.dataset.minimised === "true";
  }

  /** Fold the card to one button (or open it again); the key Q does the same (keys.js). */
  minimise(on, { focus = true } = {}) {
    this.card.dataset.minimised = String(on);
    this.card.querySelector("#share-show").setAttribute("aria-expanded", "false");
    this.card.querySelector("#share-minimise").setAttribute("aria-expanded", "true");
    save(MINIMISED_KEY, on ? "1" : "0");
    // Keep the keyboard where the card's button was: on the button that now stands there.
    const holder = document.activeElement;
    if (focus && holder && this.card.contains(holder)) this.card.querySelector(on ? "#share-show" : "#share-minimise").focus();
  }

  toggle() {
    this.minimise(!this.minimised);
  }

  enlarge(on) {
    this.overlay.hidden = !on;
    if (on) this.overlay.querySelector("#share-close").focus();
    else this.card.querySelector("#share-enlarge").focus();
  }
}
