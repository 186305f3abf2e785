"""Packaging hook: ship the top-level ``templates/`` and ``static/`` inside the wheel.

They live at the repository's top level (where designers and the dev server expect them);
a built wheel carries them as ``velox/_data/...``, found through ``importlib.resources``
by ``velox.paths.resource_dir``. ``static/node_modules`` stays out; ``static/vendor`` (the
lightweight-charts file installed from the npm registry by ``make charts``) goes in.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SKIP = shutil.ignore_patterns("node_modules", "package.json", "package-lock.json", "__pycache__")


class BuildWithData(build_py):
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "velox" / "_data"
        for name in ("templates", "static"):
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, target / name, ignore=SKIP, dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildWithData})
