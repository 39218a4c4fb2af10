"""The page's import map: bare ES module names (CodeMirror's) to their files under /vendor.

CodeMirror 6 ships ES modules that import each other by package name; a browser resolves
those names only through an import map, which must be inline. The map is made here, once,
from the installed packages' own ``package.json`` (so it follows the lockfile), and its
SHA-256 goes into the CSP's ``script-src``: the one inline script the page may have.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

# Every package the editor's modules import, directly or through each other
# (tests/unit/test_importmap.py checks that the set is closed).
PACKAGES = (
    "@codemirror/autocomplete",
    "@codemirror/commands",
    "@codemirror/lang-python",
    "@codemirror/language",
    "@codemirror/lint",
    "@codemirror/state",
    "@codemirror/streamparser",
    "@codemirror/view",
    "@lezer/common",
    "@lezer/highlight",
    "@lezer/lr",
    "@lezer/python",
    "@marijn/find-cluster-break",
    "crelt",
    "style-mod",
    "w3c-keyname",
)


def module_entry(package_dir: Path) -> str:
    """The file an ``import`` of the package loads, from its package.json (``dist/index.js``
    when the package is not installed: the page then fails to load it, visibly)."""
    try:
        meta = json.loads((package_dir / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "dist/index.js"
    exports = meta.get("exports")
    dot = exports.get(".", exports) if isinstance(exports, dict) else exports
    entry = dot.get("import") if isinstance(dot, dict) else dot
    if not isinstance(entry, str):
        entry = meta.get("module") or meta.get("main") or "dist/index.js"
    return str(entry).removeprefix("./")


@dataclass(frozen=True)
class ImportMap:
    text: str  # exactly what goes between <script type="importmap"> and </script>
    csp_hash: str  # "'sha256-…'" for script-src

    @classmethod
    def build(cls, node_modules: Path) -> ImportMap:
        imports = {name: f"/vendor/{name}/{module_entry(node_modules / name)}" for name in PACKAGES}
        text = json.dumps({"imports": imports}, separators=(",", ":"), sort_keys=True)
        text = text.replace("<", "\\u003c")  # never a "</script>" inside the script
        digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
        return cls(text=text, csp_hash=f"'sha256-{digest}'")
