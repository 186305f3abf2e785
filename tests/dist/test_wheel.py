"""``pip install`` of the built wheel into a fresh virtual environment, then ``velox run``.

The wheel is built once from a copy of the checkout (so the build never sees, or leaves,
anything in the repository's ``build/``) and installed with its dependencies from the package
index (pip's cache is allowed) into a venv without system site-packages. The installed copy
must find its templates, static files, chart library and schema through the package alone.
"""

from __future__ import annotations

import re
import shutil
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import require
from tests.dist.harness import (
    CHARTS,
    CHARTS_NAME,
    ROOT,
    Server,
    check_data_dir,
    check_serving,
    clean_env,
    run,
)
from velox import __version__

pytestmark = pytest.mark.dist

# Everything the build reads; tests, benchmarks, caches and local state stay out.
_TOP_LEVEL_SKIP = {".git", ".venv", "build", "dist", "data", "tests", "bench", "docs"}
_SKIP_ANYWHERE = shutil.ignore_patterns(
    "node_modules", "__pycache__", "*.egg-info", ".*_cache", ".hypothesis"
)


def _not_source(directory: str, names: list[str]) -> set[str]:
    skip = set(_SKIP_ANYWHERE(directory, names))
    if Path(directory) == ROOT:
        skip |= _TOP_LEVEL_SKIP & set(names)
    return skip


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require(CHARTS.is_file(), f"{CHARTS} is missing: run `make charts`")
    base = tmp_path_factory.mktemp("wheel")
    src = base / "src"
    shutil.copytree(ROOT, src, ignore=_not_source)
    out = base / "out"
    run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check",
         "-q", "-w", str(out), str(src)],
        timeout=300,
    )  # fmt: skip
    (built,) = out.glob("velox-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the wheel installed; its ``bin`` directory."""
    target = tmp_path_factory.mktemp("venv") / "venv"
    run([sys.executable, "-m", "venv", str(target)], timeout=120, env=clean_env())
    bin_dir = target / "bin"
    run(
        [str(bin_dir / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
         str(wheel)],
        timeout=300, env=clean_env(),
    )  # fmt: skip
    return bin_dir


def test_wheel_carries_templates_static_charts_and_schema(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in (
        "velox/store/schema.sql",
        "velox/_data/templates/base.html",
        "velox/_data/templates/trade.html",
        "velox/_data/templates/signin.html",
        "velox/_data/static/trade.js",
        "velox/_data/static/app.css",
        f"velox/_data/static/vendor/{CHARTS_NAME}",
    ):
        assert name in names, name
    for name in sorted(names):
        assert "node_modules" not in name and not name.endswith("package.json"), name
        assert not name.startswith(("tests/", "bench/")), name
    packaged_templates = {n.rsplit("/", 1)[1] for n in names if "/_data/templates/" in n}
    assert packaged_templates == {p.name for p in (ROOT / "templates").glob("*.html")}
    entry_points = (
        zipfile.ZipFile(wheel).read(f"velox-{__version__}.dist-info/entry_points.txt").decode()
    )
    assert re.search(r"^velox = velox\.cli:main$", entry_points, re.M), entry_points


def test_velox_version(venv: Path) -> None:
    out = run([str(venv / "velox"), "--version"], timeout=60, env=clean_env())
    assert out.strip() == f"velox {__version__}"


def test_installed_copy_uses_its_package_data(venv: Path, tmp_path: Path) -> None:
    code = (
        "import velox.paths as p, velox.store.schema as s; "
        "print(p.running_from_checkout()); print(p.resource_dir('templates')); "
        "print(p.resource_dir('static')); print(s.schema_sql('sqlite')[:30] != '')"
    )
    out = run([str(venv / "python"), "-c", code], timeout=60, cwd=tmp_path, env=clean_env())
    checkout, templates, static, schema = out.split("\n")[:4]
    assert checkout == "False"
    site = venv.parent / "lib"
    assert Path(templates).is_relative_to(site) and Path(static).is_relative_to(site), out
    assert schema == "True"


def test_installed_velox_serves(venv: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "state" / "velox"  # its parent does not exist yet either
    cmd = [str(venv / "velox"), "run", "--feed", "sim", "--data-dir", str(data_dir)]
    with Server(cmd, cwd=tmp_path, env=clean_env(), log=tmp_path / "server.log") as server:
        check_serving(server)
        check_data_dir(data_dir)
        code = server.stop()
    assert code == 0, server.output()  # SIGTERM: a clean shutdown
