"""Data flows one way (pipeline -> index -> queries -> CLI), and each library lives in one place."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# What each package may import, among our packages and the third-party libraries.
ALLOWED = {
    "pipeline": {"pipeline", "bs4", "warcio"},
    "index": {"pipeline", "index", "whoosh"},
    "queries": {"pipeline", "index", "queries", "whoosh"},
}
WATCHED = {"pipeline", "index", "queries", "medcodes", "whoosh", "bs4", "lxml", "click", "warcio"}


# The root of the error hierarchy, which every layer's errors subclass.
SHARED = {"medcodes.errors"}


def _top(module: str) -> str:
    """The package a module belongs to: `medcodes.index.store` is in index, `medcodes.cli` in medcodes."""
    if module in SHARED:
        return module
    parts = module.split(".")
    if parts[0] == "medcodes" and len(parts) > 1 and parts[1] in ALLOWED:
        return parts[1]
    return parts[0]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(_top(alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(_top(node.module))
            if node.module == "medcodes":  # from medcodes import index
                names.update(_top(f"medcodes.{alias.name}") for alias in node.names)
    return names & WATCHED


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_point_one_way(package: str) -> None:
    for path in sorted((ROOT / package).rglob("*.py")):
        extra = _imports(path) - ALLOWED[package]
        assert not extra, f"{path.relative_to(ROOT)} imports {sorted(extra)}"


@pytest.mark.parametrize(("library", "module"), [("bs4", "html_layout.py"), ("warcio", "warc.py")])
def test_each_library_is_imported_in_one_module(library: str, module: str) -> None:
    sources = [path for package in ALLOWED for path in (ROOT / package).rglob("*.py")]
    users = {path.name for path in sources if library in _imports(path)}
    assert users == {module}
