"""Packaging hook: ship the top-level ``templates/`` and ``static/`` inside the wheel.

They live at the repository's top level (where designers and the dev server expect them);
a built wheel carries them as ``velox/_data/...``, found through ``importlib.resources``
by ``velox.paths.resource_dir``. ``static/node_modules`` and the npm manifests stay out;
``static/vendor`` (the lightweight-charts file installed from the npm registry by
``make charts``) goes in, and a build without it says so loudly. ``MANIFEST.in`` puts the
same files into the sdist, so a wheel built from the sdist is the same.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
DATA = ("templates", "static")
CHARTS = Path("static", "vendor", "lightweight-charts.standalone.production.js")
SKIP = shutil.ignore_patterns(
    "node_modules", "package.json", "package-lock.json", "__pycache__", ".*"
)


class BuildWithData(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install serves the checkout's own folders (velox.paths)
        target = Path(self.build_lib) / "velox" / "_data"
        shutil.rmtree(target, ignore_errors=True)  # never ship files left by an older build
        for name in DATA:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, target / name, ignore=SKIP)
        if not (target / CHARTS).is_file():
            self.warn(
                f"{CHARTS} is missing: the trade screen will have no chart. "
                "Run `make charts` (npm) before building."
            )


setup(cmdclass={"build_py": BuildWithData})
