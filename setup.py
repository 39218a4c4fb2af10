"""The page goes into the sdist and the wheel as package data under app/web/ (app/webfiles.py).

From a checkout, both copy templates/, static/ and the files the page loads from node_modules
(`npm ci` first: a build without them fails, naming what is missing). A wheel built from the
sdist takes the copy the sdist carries. Everything else is in pyproject.toml.
"""

from __future__ import annotations

import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

from app.webfiles import stage  # noqa: E402  (the checkout's own module, stdlib only)


def from_checkout() -> bool:
    """A checkout has templates/ beside app/; an sdist has the staged copy in app/web."""
    return (ROOT / "templates").is_dir() and not (ROOT / "app" / "web").exists()


class BuildPy(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return  # an editable install serves the checkout's own files
        if from_checkout():
            stage(ROOT, Path(self.build_lib) / "app" / "web")
        elif not (ROOT / "app" / "web").exists():
            self.warn("no templates/ and no app/web/: this wheel carries no page")


class Sdist(sdist):
    def make_release_tree(self, base_dir: str, files: list[str]) -> None:
        super().make_release_tree(base_dir, files)
        if from_checkout():
            stage(ROOT, Path(base_dir) / "app" / "web")


setup(cmdclass={"build_py": BuildPy, "sdist": Sdist})
