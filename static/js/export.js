// Take the run home: its recording, and the tree and the timeline as SVG or PNG (for slides,
// handouts, a lab report). The pictures carry their styles inline, so they look the same anywhere.

import { applyStatic, onLangChange } from "./i18n.js";

const SVG_NS = "http://www.w3.org/2000/svg";
// What the page's CSS decides about an SVG drawing; each written only where it is not the default.
const DEFAULTS = {
  fill: "rgb(0, 0, 0)",
  "fill-opacity": "1",
  stroke: "none",
  "stroke-width": "1px",
  "stroke-dasharray": "none",
  "stroke-linecap": "butt",
  "stroke-linejoin": "miter",
  "stroke-opacity": "1",
  opacity: "1",
  "font-family": "",
  "font-size": "",
  "font-weight": "",
  "font-style": "normal",
  "letter-spacing": "normal",
  "text-anchor": "start",
  "dominant-baseline": "auto",
  "paint-order": "normal",
};
const TEXT_ONLY = new Set(["font-family", "font-size", "font-weight", "font-style", "letter-spacing", "text-anchor", "dominant-baseline"]);
const PNG_SCALE = 2; // sharp on a projector and on paper
const CROP_PAD = 16;

/** A standalone copy of an SVG element: computed styles inlined, hidden parts left out. */
export function serializeSvg(svg, { background = "#ffffff", crop = false } = {}) {
  const box0 = svg.getBoundingClientRect();
  const width = Math.round(Number(svg.getAttribute("width")) || box0.width || 800);
  const height = Math.round(Number(svg.getAttribute("height")) || box0.height || 600);
  const clone = svg.cloneNode(true);
  const originals = [svg, ...svg.querySelectorAll("*")];
  const copies = [clone, ...clone.querySelectorAll("*")];
  const drop = [];
  originals.forEach((el, i) => {
    const copy = copies[i];
    const cs = getComputedStyle(el);
    if (cs.display === "none") {
      drop.push(copy);
      return;
    }
    const style = [];
    const isText = el.tagName === "text" || el.tagName === "tspan";
    for (const [prop, plain] of Object.entries(DEFAULTS)) {
      if (TEXT_ONLY.has(prop) && !isText) continue;
      const v = cs.getPropertyValue(prop);
      if (v && v !== plain) style.push([prop, v]);
    }
    // A CSS-only move (the tiny tree's larger PIDs); the transform attribute is copied as it is.
    if (!el.hasAttribute("transform") && cs.transform && cs.transform !== "none") style.push(["transform", cs.transform]);
    // Through the CSSOM: the page's CSP refuses a written style="" attribute, not this.
    for (const [prop, v] of style) copy.style.setProperty(prop, v);
    copy.removeAttribute("tabindex");
  });
  for (const el of drop) el.remove();
  clone.setAttribute("xmlns", SVG_NS);
  if (!clone.hasAttribute("viewBox")) clone.setAttribute("viewBox", `0 0 ${width} ${height}`);
  let [vx, vy, vw, vh] = clone.getAttribute("viewBox").split(/[\s,]+/).map(Number);
  if (crop) {
    // Just the drawing and a margin, not the empty panel around it.
    const box = contentBox(svg, vw / (box0.width || vw));
    if (box) {
      [vx, vy, vw, vh] = [box.x - CROP_PAD, box.y - CROP_PAD, box.w + 2 * CROP_PAD, box.h + 2 * CROP_PAD];
      clone.setAttribute("viewBox", [vx, vy, vw, vh].map((v) => v.toFixed(1)).join(" "));
    }
  }
  const outW = crop ? Math.round(vw * (width / (box0.width || width))) : width;
  const outH = crop ? Math.round(vh * (height / (box0.height || height))) : height;
  clone.setAttribute("width", outW);
  clone.setAttribute("height", outH);
  const bg = document.createElementNS(SVG_NS, "rect");
  bg.setAttribute("x", vx);
  bg.setAttribute("y", vy);
  bg.setAttribute("width", vw);
  bg.setAttribute("height", vh);
  bg.setAttribute("fill", background);
  clone.prepend(bg);
  const text = `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(clone)}`;
  return { text, width: outW, height: outH };
}

/** The union of what the SVG draws, in its user units (scale: user units per CSS pixel). */
function contentBox(svg, scale) {
  const base = svg.getBoundingClientRect();
  let l = Infinity;
  let t = Infinity;
  let r = -Infinity;
  let b = -Infinity;
  for (const child of svg.children) {
    const rect = child.getBoundingClientRect();
    if (!rect.width && !rect.height) continue;
    l = Math.min(l, rect.left);
    t = Math.min(t, rect.top);
    r = Math.max(r, rect.right);
    b = Math.max(b, rect.bottom);
  }
  if (!Number.isFinite(l)) return null;
  return { x: (l - base.left) * scale, y: (t - base.top) * scale, w: (r - l) * scale, h: (b - t) * scale };
}

/** Draw the SVG on a canvas (scaled up) and return it as a PNG. */
export async function svgToPng({ text, width, height }) {
  const url = URL.createObjectURL(new Blob([text], { type: "image/svg+xml" }));
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    const canvas = document.createElement("canvas");
    canvas.width = width * PNG_SCALE;
    canvas.height = height * PNG_SCALE;
    const ctx = canvas.getContext("2d");
    ctx.scale(PNG_SCALE, PNG_SCALE);
    ctx.drawImage(img, 0, 0, width, height);
    return await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
  } finally {
    URL.revokeObjectURL(url);
  }
}

/**
 * The timeline's SVG drawn now, even while its tab is hidden (it is drawn only when shown):
 * shown for the moment it takes to copy it, then hidden again before the page is painted.
 */
export function drawnTimeline(view) {
  const el = view.container;
  const wasHidden = el.hidden;
  const wasVisible = view.visible;
  el.hidden = false;
  view.setVisible(true);
  return {
    svg: view.svg.node(),
    restore: () => {
      view.setVisible(wasVisible);
      el.hidden = wasHidden;
    },
  };
}

function download(blob, name) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 30_000);
}

/**
 * The Export menu of a run page.
 * @param {HTMLElement} after the element the menu follows in the top bar
 * @param {{tree: () => SVGSVGElement|null, timeline: () => SVGSVGElement|null}} drawings
 *   each returns its SVG, drawn and current (the timeline may need drawing first)
 */
export class ExportMenu {
  constructor(after, runId, drawings) {
    this.runId = runId;
    this.drawings = drawings;
    const menu = document.createElement("details");
    menu.className = "export-menu";
    menu.id = "export-menu";
    menu.innerHTML = `<summary class="btn" data-i18n="export"></summary>
      <div class="export-list">
        <a class="btn" id="export-recording" data-i18n="export_recording"></a>
        <button type="button" class="btn" id="export-tree-svg" data-i18n="export_tree_svg"></button>
        <button type="button" class="btn" id="export-tree-png" data-i18n="export_tree_png"></button>
        <button type="button" class="btn" id="export-timeline-svg" data-i18n="export_timeline_svg"></button>
        <button type="button" class="btn" id="export-timeline-png" data-i18n="export_timeline_png"></button>
        <p class="export-msg" id="export-msg" role="status"></p>
      </div>`;
    after.after(menu);
    const rec = menu.querySelector("#export-recording");
    rec.href = `/api/runs/${encodeURIComponent(runId)}/recording`;
    rec.download = `${runId}.jsonl`; // the server names it so too (Content-Disposition)
    for (const what of ["tree", "timeline"]) {
      for (const kind of ["svg", "png"]) {
        menu.querySelector(`#export-${what}-${kind}`).addEventListener("click", () => this.save(what, kind));
      }
    }
    // A click elsewhere closes the menu; not the click that starts a download (it is ours).
    document.addEventListener("click", (ev) => {
      if (menu.open && ev.isTrusted && !menu.contains(ev.target)) menu.open = false;
    });
    this.menu = menu;
    this.msg = menu.querySelector("#export-msg");
    applyStatic(menu);
    onLangChange(() => applyStatic(menu));
  }

  async save(what, kind) {
    this.msg.textContent = "";
    const got = this.drawings[what]();
    const svg = got?.svg ?? got;
    if (!svg) return;
    let drawn;
    try {
      drawn = serializeSvg(svg, { crop: what === "tree" });
    } finally {
      got?.restore?.();
    }
    const name = `procviz-${this.runId}-${what}.${kind}`;
    if (kind === "svg") {
      download(new Blob([drawn.text], { type: "image/svg+xml" }), name);
      return;
    }
    try {
      download(await svgToPng(drawn), name);
    } catch (err) {
      this.msg.textContent = `PNG: ${err?.message ?? err}`;
    }
  }
}
