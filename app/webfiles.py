"""Where the page's files are: the wheel's own copy, or a checkout's.

An installed wheel carries them as package data under ``app/web/``::

    app/web/templates/  the Jinja2 template
    app/web/static/     the page's own ES modules and CSS
    app/web/vendor/     the npm libraries the page loads, as node_modules lays them out
                        (only the files the page loads, their package.json and licences)

A checkout serves its own ``templates/``, ``static/`` and ``node_modules/`` (``npm ci``).
``stage()`` makes the first from the second when the sdist or the wheel is built
(``setup.py``); nothing is fetched at run time. Standard library only: ``setup.py`` imports
this module in a build environment that has nothing else.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from app.importmap import PACKAGES, module_entry

PACKAGED = Path(__file__).resolve().parent / "web"
# A URL of the page under /vendor/, as the template, the modules and the CSS write them.
VENDOR_URL = re.compile(r"""["'(]/vendor/([^"'()\s?#]+)""")
# A relative import or export inside an ES module: `from "./x.js"`, `import "./y.js"`.
RELATIVE_IMPORT = re.compile(r"""(?:\bfrom|\bimport)\s*\(?\s*["'](\.{1,2}/[^"']+)["']""")
LICENCE = re.compile(r"^(licen[cs]e|copying|notice)(\.\w+)?$", re.IGNORECASE)
PAGE_SUFFIXES = (".html", ".js", ".mjs", ".css")


@dataclass(frozen=True)
class WebFiles:
    templates: Path
    static: Path
    vendor: Path  # served at /vendor/: the package names are its top directories


def locate() -> WebFiles:
    """The wheel's copy when there is one, else a checkout's (beside the package or the cwd)."""
    if (PACKAGED / "templates").is_dir():
        return WebFiles(PACKAGED / "templates", PACKAGED / "static", PACKAGED / "vendor")
    beside = PACKAGED.parent.parent
    root = beside if (beside / "templates").is_dir() else Path.cwd()
    return WebFiles(root / "templates", root / "static", root / "node_modules")


class StagingError(RuntimeError):
    pass


def vendor_files(source: Path) -> list[str]:
    """Every file under node_modules the page needs, relative to it: what the template, the
    page's modules and its CSS load under /vendor/, each import-map package's entry, what
    those import relatively, and every package's package.json and licence."""
    node_modules = source / "node_modules"
    wanted: set[str] = set()
    for tree in (source / "templates", source / "static"):
        for path in sorted(tree.rglob("*")):
            if path.suffix in PAGE_SUFFIXES and path.is_file():
                wanted.update(VENDOR_URL.findall(path.read_text(encoding="utf-8")))
    wanted.update(f"{name}/{module_entry(node_modules / name)}" for name in PACKAGES)
    todo, done = sorted(wanted), set[str]()
    while todo:
        rel = todo.pop()
        if rel in done:
            continue
        done.add(rel)
        path = node_modules / rel
        if not path.is_file():
            raise StagingError(f"{path} is missing: run `npm ci` (package-lock.json) first")
        if path.suffix in (".js", ".mjs"):
            for target in RELATIVE_IMPORT.findall(path.read_text(encoding="utf-8")):
                resolved = (path.parent / target).resolve()
                todo.append(resolved.relative_to(node_modules.resolve()).as_posix())
    for package in {package_of(rel) for rel in done}:
        for path in (node_modules / package).iterdir():
            if path.is_file() and (path.name == "package.json" or LICENCE.match(path.name)):
                done.add(f"{package}/{path.name}")
    return sorted(done)


def package_of(rel: str) -> str:
    parts = rel.split("/")
    return "/".join(parts[:2] if parts[0].startswith("@") else parts[:1])


def stage(source: Path, dest: Path) -> list[Path]:
    """Copy a checkout's page (templates, static, the vendor files from node_modules) into
    ``dest`` laid out as ``PACKAGED``; returns the files written."""
    vendor = vendor_files(source)  # first: a missing node_modules fails before any copy
    if dest.exists():
        shutil.rmtree(dest)
    written: list[Path] = []
    for name in ("templates", "static"):
        for path in sorted((source / name).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                written.append(_copy(path, dest / name / path.relative_to(source / name)))
    for rel in vendor:
        written.append(_copy(source / "node_modules" / rel, dest / "vendor" / rel))
    return written


def _copy(src: Path, dst: Path) -> Path:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)
    return dst
