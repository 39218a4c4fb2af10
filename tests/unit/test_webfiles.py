"""The page's files as the wheel carries them (app/webfiles.py): complete, small, the same map."""

from __future__ import annotations

from pathlib import Path

import pytest

from app import webfiles
from app.importmap import ImportMap
from app.webfiles import RELATIVE_IMPORT, VENDOR_URL, StagingError, stage, vendor_files
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def staged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("staged") / "web"
    stage(ROOT, dest)
    return dest


def test_every_url_and_import_of_the_page_is_staged(staged: Path) -> None:
    pages = [p for p in staged.rglob("*") if p.suffix in (".html", ".js", ".mjs", ".css")]
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for rel in VENDOR_URL.findall(text):
            assert (staged / "vendor" / rel).is_file(), f"{page}: /vendor/{rel}"
        for rel in RELATIVE_IMPORT.findall(text):
            assert (page.parent / rel).resolve().is_file(), f"{page}: {rel}"
    assert (staged / "templates" / "index.html").is_file()
    assert (staged / "static" / "js" / "main.js").is_file()


def test_the_import_map_is_the_same_from_the_staged_copy(staged: Path) -> None:
    # Same text, so the same CSP hash: the wheel's page runs under the checkout's policy.
    assert ImportMap.build(staged / "vendor") == ImportMap.build(ROOT / "node_modules")
    for url in ImportMap.build(staged / "vendor").text.split('"'):
        if url.startswith("/vendor/"):
            assert (staged / url.removeprefix("/")).is_file(), url


def test_only_what_the_page_loads_leaves_node_modules(staged: Path) -> None:
    vendor = [p for p in (staged / "vendor").rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in vendor) < 3_000_000  # node_modules: about 11 MB
    assert not [p for p in vendor if p.name.endswith((".d.ts", ".cjs", ".map"))]
    assert not (staged / "vendor" / "jsqr").exists()  # a dev dependency: tests only


def test_a_missing_library_fails_the_build_naming_it(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "index.html").write_text('<script src="/vendor/d3/d3.js"></script>')
    (tmp_path / "static").mkdir()
    with pytest.raises(StagingError, match="npm ci"):
        vendor_files(tmp_path)


def test_locate_prefers_the_packaged_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    checkout = webfiles.locate()
    assert checkout.vendor == ROOT / "node_modules" and checkout.templates == ROOT / "templates"
    (tmp_path / "templates").mkdir()
    monkeypatch.setattr(webfiles, "PACKAGED", tmp_path)
    packaged = webfiles.locate()
    assert packaged.vendor == tmp_path / "vendor" and packaged.static == tmp_path / "static"
