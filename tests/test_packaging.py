"""The wheel installs one top-level package, `medcodes`, with every module and data file of the
repository's pipeline/, index/ and queries/ folders under it (issue 13 §1: no `index` or `queries`
package of ours in site-packages, where it would collide with another project's)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT

PACKAGES = ("pipeline", "index", "queries")
# What a build copies: the package sources and what setuptools reads to build them.
SOURCES = ("medcodes", *PACKAGES, "pyproject.toml", "README.md")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from a copy of the sources (a build writes build/ and *.egg-info beside them)."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            ignore = shutil.ignore_patterns("__pycache__")
            shutil.copytree(path, source / name, symlinks=True, ignore=ignore)
        else:
            source.mkdir(exist_ok=True)
            shutil.copy2(path, source / name)
    command = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation"]
    subprocess.run([*command, "--wheel-dir", str(work / "dist"), str(source)], check=True)
    (built,) = (work / "dist").glob("medcodes-*.whl")
    return built


def _names(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


def test_the_wheel_holds_only_the_medcodes_package(wheel: Path) -> None:
    tops = {name.split("/")[0] for name in _names(wheel)}
    dist_info = {top for top in tops if top.endswith(".dist-info")}
    assert tops - dist_info == {"medcodes"}


def test_the_wheel_holds_every_module_and_data_file(wheel: Path) -> None:
    names = set(_names(wheel))
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*"):
            relative = path.relative_to(ROOT).as_posix()
            if path.suffix in {".py", ".tsv"} and "__pycache__" not in relative:
                assert f"medcodes/{relative}" in names
    assert "medcodes/py.typed" in names
    page = ROOT / "medcodes" / "server" / "static"
    for name in ("index.html", "app.js", "app.css"):
        assert (page / name).is_file()
    assert {f"medcodes/server/static/{path.name}" for path in page.iterdir()} <= names


def test_the_installed_wheel_gives_the_public_api(wheel: Path, tmp_path: Path) -> None:
    """Installed on its own (not the editable checkout), `import medcodes` finds its API there."""
    site = tmp_path / "site"
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index"]
    subprocess.run([*command, "--target", str(site), str(wheel)], check=True)
    code = (
        "import medcodes, medcodes.queries.search as s; "
        "print(medcodes.__file__); print(s.__file__); print(len(medcodes.__all__))"
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path, env=env
    )
    package_file, module_file, count = out.stdout.split()
    assert Path(package_file).is_relative_to(site) and Path(module_file).is_relative_to(site)
    assert int(count) >= 10
