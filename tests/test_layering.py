"""Layering: data flows one way, ops -> Value -> backward strategies -> nn / optim / training.

Every module under minigrad/ops and minigrad/backward (present or added later) is parsed with
`ast`, and its imports (plain, from-, relative, and inside functions or TYPE_CHECKING blocks)
are resolved to full module names. A lower layer must never import a higher one. Three seams
are checked the same way over the whole package: only the node constructor (`value.apply`)
makes nodes; nothing outside minigrad/backward imports a strategy module (they are reached
through the registry); minigrad/data and minigrad/hooks import nothing of the engine.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE_ROOT = Path(__file__).resolve().parents[1] / "minigrad"

# Layers above the graph walks: the node class and everything built on it.
ABOVE_BACKWARD = (
    "minigrad.value",
    "minigrad.functions",
    "minigrad.numpy_api",
    "minigrad.anomaly",
    "minigrad.nn",
    "minigrad.optim",
    "minigrad.losses",
    "minigrad.layerwise",
    "minigrad.train",
    "minigrad.testing",
    "minigrad.derivatives",
    "minigrad.graphs",
    "minigrad.expressions",
    "minigrad.draw",
    "minigrad.svg",
    "minigrad.walks",
    "minigrad.html",
    "minigrad.files",
    "minigrad.progress",
    "minigrad.plotting",
    "minigrad.report",
    "minigrad.cli",
    "minigrad.__main__",
)
FORBIDDEN = {
    "ops": (*ABOVE_BACKWARD, "minigrad.backward"),
    "backward": ABOVE_BACKWARD,
}


def module_name(path: Path) -> str:
    """minigrad/backward/naive.py -> minigrad.backward.naive; a package is named by its __init__."""
    parts = list(path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_submodule(name: str) -> bool:
    """Whether `name` (minigrad.x.y) is a module or package in the source tree."""
    path = PACKAGE_ROOT.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imported_modules(source: str, importer: str, is_package: bool = False) -> set[str]:
    """Full names of the modules that `source` (the module `importer`) imports.

    `from package import name` counts as importing `package.name` when that is a module, and as
    importing `package` itself otherwise (the package's __init__ runs and provides the name).
    """
    base = importer.split(".") if is_package else importer.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = base[: len(base) - (node.level - 1)]
                module = ".".join([*anchor, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            for alias in node.names:
                candidate = f"{module}.{alias.name}"
                found.add(candidate if is_submodule(candidate) else module)
    return found


def violations(imported: set[str], forbidden: tuple[str, ...]) -> list[str]:
    """Imports that are, or lie inside, a forbidden module; the bare package counts too.

    `import minigrad` or `from minigrad import Value` runs minigrad/__init__.py, which imports
    every layer, so a lower layer may only import minigrad's submodules by their full names.
    """
    bad = []
    for name in sorted(imported):
        if name == "minigrad" or any(name == f or name.startswith(f + ".") for f in forbidden):
            bad.append(name)
    return bad


def layer_files(layer: str) -> list[Path]:
    return sorted((PACKAGE_ROOT / layer).rglob("*.py"))


CHECKED = [(layer, path) for layer in FORBIDDEN for path in layer_files(layer)]


def test_the_layers_have_files() -> None:
    # The glob must find the modules that exist today (so it will find tomorrow's too).
    names = {module_name(path) for _, path in CHECKED}
    for expected in (
        "minigrad.ops",
        "minigrad.ops.core",
        "minigrad.backward",
        "minigrad.backward.naive",
        "minigrad.backward.memoized",
        "minigrad.backward.cycle_checked",
        "minigrad.backward.topological",
    ):
        assert expected in names


@pytest.mark.parametrize(
    ("layer", "path"), CHECKED, ids=[str(p.relative_to(PACKAGE_ROOT)) for _, p in CHECKED]
)
def test_lower_layers_never_import_higher_ones(layer: str, path: Path) -> None:
    imported = imported_modules(
        path.read_text(encoding="utf-8"), module_name(path), path.name == "__init__.py"
    )
    assert not violations(imported, FORBIDDEN[layer]), f"{path} imports a higher layer"


# -- the checker itself catches what it should ----------------------------------------------


@pytest.mark.parametrize(
    ("source", "importer", "expected"),
    [
        ("import minigrad.value", "minigrad.ops.core", "minigrad.value"),
        ("import minigrad.nn.layers as layers", "minigrad.ops.core", "minigrad.nn.layers"),
        ("from minigrad.value import Value", "minigrad.backward.naive", "minigrad.value"),
        ("from minigrad import value", "minigrad.backward.naive", "minigrad.value"),
        ("from minigrad import optim", "minigrad.backward.naive", "minigrad.optim"),
        ("from minigrad import Value", "minigrad.backward.naive", "minigrad"),
        ("import minigrad", "minigrad.ops.core", "minigrad"),
        ("from .. import value", "minigrad.backward.naive", "minigrad.value"),
        ("from ..value import Value", "minigrad.ops.core", "minigrad.value"),
        ("from ..nn import Linear", "minigrad.backward.memoized", "minigrad.nn"),
        ("from ..backward import run_backward", "minigrad.ops.core", "minigrad.backward"),
        ("from minigrad.backward.graph import Node", "minigrad.ops.core", "minigrad.backward"),
        (
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from minigrad.value import V",
            "minigrad.backward.graph",
            "minigrad.value",
        ),
        ("def f():\n    import minigrad.optim\n", "minigrad.ops.core", "minigrad.optim"),
    ],
)
def test_the_checker_catches_a_forbidden_import(source: str, importer: str, expected: str) -> None:
    layer = importer.split(".")[1]
    bad = violations(imported_modules(source, importer), FORBIDDEN[layer])
    assert any(name == expected or name.startswith(expected + ".") for name in bad)


@pytest.mark.parametrize(
    ("source", "importer"),
    [
        ("from minigrad.ops.core import Op", "minigrad.ops.shape"),
        ("from .core import Op, unbroadcast", "minigrad.ops.shape"),
        ("from minigrad.errors import CycleError", "minigrad.backward.topological"),
        ("from minigrad.backward.graph import Node", "minigrad.backward.naive"),
        ("from minigrad import errors", "minigrad.backward.naive"),
        ("import numpy as np\nimport math", "minigrad.ops.core"),
        ("from . import naive", "minigrad.backward"),
    ],
)
def test_the_checker_allows_same_or_lower_layers(source: str, importer: str) -> None:
    layer = importer.split(".")[1]
    is_package = importer == f"minigrad.{layer}"
    assert not violations(imported_modules(source, importer, is_package), FORBIDDEN[layer])


# -- the seams ----------------------------------------------------------------------------------

ALL_FILES = sorted(PACKAGE_ROOT.rglob("*.py"))
STRATEGY_MODULES = {
    module_name(path)
    for path in (PACKAGE_ROOT / "backward").glob("*.py")
    if path.stem
    not in ("__init__", "graph", "registry", "driver", "recursion", "recording", "lifted")
}


def imports_of(path: Path) -> set[str]:
    return imported_modules(
        path.read_text(encoding="utf-8"), module_name(path), path.name == "__init__.py"
    )


def node_making_sites(source: str) -> list[str]:
    """Lines that make a node by hand: `__new__` calls, or `.parents` assigned (on a Value)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "__new__"
        ):
            found.append(f"line {node.lineno}: __new__")
        targets = node.targets if isinstance(node, ast.Assign) else []
        for target in targets:
            if isinstance(target, ast.Attribute) and target.attr == "parents":
                found.append(f"line {node.lineno}: .parents =")
    return found


def test_the_strategy_modules_are_found() -> None:
    assert {"minigrad.backward.naive", "minigrad.backward.topological"} <= STRATEGY_MODULES


@pytest.mark.parametrize(
    "path", ALL_FILES, ids=[str(p.relative_to(PACKAGE_ROOT)) for p in ALL_FILES]
)
def test_only_the_node_constructor_makes_nodes(path: Path) -> None:
    if module_name(path) == "minigrad.value":
        return  # home of `apply`, the one constructor (and of the leaf constructor, Value())
    assert not node_making_sites(path.read_text(encoding="utf-8")), path


@pytest.mark.parametrize(
    "path", ALL_FILES, ids=[str(p.relative_to(PACKAGE_ROOT)) for p in ALL_FILES]
)
def test_nothing_outside_backward_imports_a_strategy_module(path: Path) -> None:
    if module_name(path).startswith("minigrad.backward"):
        return
    assert not imports_of(path) & STRATEGY_MODULES, f"{path} imports a strategy module"


@pytest.mark.parametrize(
    "path",
    [*sorted((PACKAGE_ROOT / "data").rglob("*.py")), PACKAGE_ROOT / "hooks.py"],
    ids=lambda p: str(p.relative_to(PACKAGE_ROOT)),
)
def test_data_and_hooks_import_nothing_of_the_engine(path: Path) -> None:
    own = {n for n in imports_of(path) if n == "minigrad" or n.startswith("minigrad.")}
    assert all(n.startswith("minigrad.data.") for n in own), f"{path} imports {sorted(own)}"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("out = object.__new__(Value)", 1),
        ("v.parents = (a, b)", 1),
        ("x = Value(1.0)\ny = apply(ops.ADD, x, x)", 0),
        ("node.op = checked", 0),  # an observer may swap a node's op; it makes no node
    ],
)
def test_the_node_checker_catches_hand_made_nodes(source: str, expected: int) -> None:
    assert len(node_making_sites(source)) == expected
