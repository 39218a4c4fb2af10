"""The import map covers every package the editor's modules import, from the lockfile's files."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

from app.importmap import PACKAGES, ImportMap, module_entry
from tests.conftest import ROOT

NODE_MODULES = ROOT / "node_modules"
BARE_IMPORT = re.compile(
    r"""(?:^|\n)\s*(?:import|export)\b[^'"]*?\bfrom\s*['"]([^'"./][^'"]*)['"]"""
)


def test_import_map_is_closed_over_the_packages_imports() -> None:
    imports = json.loads(ImportMap.build(NODE_MODULES).text)["imports"]
    for name in PACKAGES:
        url = imports[name]
        path = NODE_MODULES / url.removeprefix("/vendor/")
        assert path.is_file(), f"{name}: {path} (run npm ci)"
        wanted = set(BARE_IMPORT.findall(path.read_text(encoding="utf-8")))
        assert wanted <= set(imports), f"{name} imports {wanted - set(imports)}"


def test_import_map_hash_is_of_its_exact_text() -> None:
    built = ImportMap.build(NODE_MODULES)
    digest = base64.b64encode(hashlib.sha256(built.text.encode()).digest()).decode()
    assert built.csp_hash == f"'sha256-{digest}'" and "<" not in built.text


def test_module_entry_reads_exports_or_module(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "package.json").write_text('{"exports": {".": {"import": "./src/a.js"}}}')
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "package.json").write_text('{"module": "index.js"}')
    assert module_entry(tmp_path / "a") == "src/a.js"
    assert module_entry(tmp_path / "b") == "index.js"
    assert module_entry(tmp_path / "missing") == "dist/index.js"
