"""docs/ARCHITECTURE.md stays true: it names every module of drcn_lib, and only modules that exist.

The layers themselves are checked by import-linter (``lint-imports``, pyproject.toml); this test
keeps the page that explains them from going stale when a module is added, moved or removed.
"""

from __future__ import annotations

import re

import pytest

from drcn_lib.settings import REPO_ROOT

DOC = REPO_ROOT / "docs" / "ARCHITECTURE.md"
PACKAGE = REPO_ROOT / "drcn_lib"
#: Backticked paths such as `protocol/resize.py`, `engine/`, `tools/colab.py`.
PATH_TOKEN = re.compile(r"`((?:[\w.]+/)*[\w.]+\.py|(?:[\w.]+/)+)`")
OUTSIDE = ("tools/", "benchmarks/", "tests/", "notebooks/", "docs/")


def _named() -> set[str]:
    return set(PATH_TOKEN.findall(DOC.read_text(encoding="utf-8")))


def _modules() -> set[str]:
    return {p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py")
            if p.name != "__init__.py"}


def test_every_named_path_exists() -> None:
    missing = sorted(t for t in _named() if not (
        (REPO_ROOT / t).exists() if t.startswith(OUTSIDE) else (PACKAGE / t).exists()))
    assert not missing, f"docs/ARCHITECTURE.md names paths that do not exist: {missing}"


def test_every_module_is_named() -> None:
    """Each module by its path; a layer's sub-package (`course/exercises/`) may be named whole."""
    named = _named()
    unnamed = sorted(m for m in _modules() if m not in named
                     and not any(m.startswith(t) for t in named if t.count("/") >= 2))
    assert not unnamed, f"docs/ARCHITECTURE.md leaves out these modules of drcn_lib: {unnamed}"


def test_the_page_lists_the_layers_of_the_contract() -> None:
    """The layer order on the page is the order import-linter enforces."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    layers = next(c["layers"] for c in contracts if c["type"] == "layers")
    block = DOC.read_text(encoding="utf-8").split("```")[1]
    assert [line.strip() for line in block.strip().splitlines()] == layers
