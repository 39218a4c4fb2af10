"""Which Latin-letter words a page shows to a reader of Chinese, outside code and identifiers."""

from __future__ import annotations

from playwright.sync_api import Page

# What may stay Latin on a page in Chinese, and nothing more:
# - the code panel and the console's lines (the program's own code and output, and the
#   [pid label] tag naming the process that printed), the lesson editor;
# - elements marked as code: <code>, <kbd>, <samp>, <pre>, or translate="no" (an identifier:
#   a result key, a queue's name, a process's multiprocessing name, a signal's name);
# - the words below: the product's name and acronyms a Chinese text on processes uses as they are;
# - in an attribute (title, aria-label, placeholder) or the document's title, which cannot mark
#   code, a word the page shows marked as code elsewhere (a node's aria-label repeats its
#   process's name, the document's title the lesson's "join 方法").
# Also read: CSS ::before and ::after text of every element shown. Not read: SVG <title>
# tooltips (shown on hover only), the <select> of replay speeds' "×".
EXEMPT_WORDS = (
    "procviz",
    "PID",
    "PPID",
    "CPU",
    "MiB",
    "JSON",
    "SVG",
    "PNG",
    "QR",
    "Python",
    "IPC",
    "TCP",
)
# And two shapes: a single capital letter (a key cap, "P"; the OS's letter for a process's
# state, R S D T Z X) and a signal's name (SIGSTOP).
EXEMPT_SHAPE = r"^([A-Z]|SIG[A-Z]+)$"
EXEMPT_SELECTOR = ", ".join(
    (
        "#code-panel .code-body",
        "#console .line",
        "#workbench .editor-host",
        "code",
        "kbd",
        "samp",
        "pre",
        "[translate='no']",
    )
)

SCAN = """([exemptSelector, exemptWords, exemptShape]) => {
  const words = new Set(exemptWords);
  const shape = new RegExp(exemptShape);
  const allowed = { has: (word) => words.has(word) || shape.test(word) };
  const found = new Map(); // word -> where (a short path), the first place it was seen
  const shown = (el) => {
    if (!el || !el.isConnected) return false;
    if (el.closest("[hidden]")) return false;
    if (el.checkVisibility && !el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true })) return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  const where = (el) => {
    const parts = [];
    for (let e = el; e && e !== document.body && parts.length < 3; e = e.parentElement) {
      parts.unshift(e.id ? `#${e.id}` : `${e.tagName.toLowerCase()}${e.classList[0] ? "." + e.classList[0] : ""}`);
    }
    return parts.join(" > ");
  };
  const check = (text, el, how) => {
    for (const word of text.match(/[A-Za-z][A-Za-z'’-]*/g) ?? []) {
      if (allowed.has(word)) continue;
      if (!found.has(word)) found.set(word, `${how} @ ${where(el)}: ${text.trim().slice(0, 80)}`);
    }
  };
  const idents = new Set();
  for (const el of document.querySelectorAll("code, [translate='no']")) {
    for (const word of el.textContent.match(/[A-Za-z][A-Za-z'’-]*/g) ?? []) idents.add(word);
  }
  const checkAttr = (text, el, how) => {
    for (const word of text.match(/[A-Za-z][A-Za-z'’-]*/g) ?? []) {
      if (allowed.has(word) || idents.has(word)) continue;
      if (!found.has(word)) found.set(word, `${how} @ ${where(el)}: ${text.trim().slice(0, 80)}`);
    }
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || !n.data.trim() || el.closest("script, style, template, title")) continue;
    if (el.closest(exemptSelector) || !shown(el)) continue;
    check(n.data, el, "text");
  }
  if (!document.documentElement.lang.startsWith("zh")) found.set("<html lang>", document.documentElement.lang);
  checkAttr(document.title, document.body, "document.title");
  for (const el of document.querySelectorAll("[title], [aria-label], [placeholder]")) {
    if (el.closest(exemptSelector) || !shown(el)) continue;
    for (const attr of ["title", "aria-label", "placeholder"]) {
      const v = el.getAttribute(attr);
      if (v) checkAttr(v, el, attr);
    }
  }
  for (const el of document.body.querySelectorAll("*")) {
    if (el.closest(exemptSelector) || !shown(el)) continue;
    for (const pseudo of ["::before", "::after"]) {
      const content = getComputedStyle(el, pseudo).content;
      if (content && content !== "none" && content !== "normal") check(content.replace(/^"|"$/g, ""), el, pseudo);
    }
  }
  // A select's options are read when it is opened: the shown one is not enough.
  for (const opt of document.querySelectorAll("select option")) {
    if (opt.closest(exemptSelector) || !shown(opt.parentElement)) continue;
    check(opt.textContent, opt.parentElement, "option");
  }
  return Object.fromEntries(found);
}"""


def latin_words(page: Page) -> dict[str, str]:
    """Each Latin word the page shows outside what is exempt, and where it was first seen."""
    found: dict[str, str] = page.evaluate(SCAN, [EXEMPT_SELECTOR, list(EXEMPT_WORDS), EXEMPT_SHAPE])
    return found
