"""The Colab cell: first in every notebook, a no-op outside Colab, an install inside it.

Colab cannot be reached from CI, so the cell is run here the way IPython runs it (its ``!``
line transformed into ``get_ipython().system(...)``) with a recording stand-in for the shell:
outside Colab nothing may run; with a fake ``google.colab`` module exactly the install runs.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager
from study_fixtures import load_script

from drcn_lib.settings import REPO_ROOT

colab = load_script("tools", "colab")

NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _tool() -> types.ModuleType:
    return load_script("tools", "add_colab_cell")


def _run_cell(source: str) -> list[str]:
    """Execute a cell as IPython would; return the shell commands it ran."""
    commands: list[str] = []
    shell = types.SimpleNamespace(system=commands.append)
    code = TransformerManager().transform_cell(source)
    exec(compile(code, "<colab cell>", "exec"), {"get_ipython": lambda: shell})
    return commands


def test_the_cell_does_nothing_outside_colab(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    assert not colab.in_colab()
    assert _run_cell(colab.COLAB_CELL) == []


def test_the_cell_installs_the_course_inside_colab(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    assert colab.in_colab()
    assert _run_cell(colab.COLAB_CELL) == [colab.install_command()]
    assert colab.install_command() == f'pip -q install "drcn-lib @ git+{colab.REPO_URL}"'


def test_the_cell_is_visible_commented_and_named_by_its_first_line() -> None:
    first = colab.COLAB_CELL.splitlines()[0]
    assert first.startswith("# Colab only") and "does nothing outside Colab" in first
    assert colab.is_colab_cell(colab.COLAB_CELL)
    assert not colab.is_colab_cell("import drcn_lib as dl")


@pytest.mark.skipif(not NOTEBOOKS, reason="no notebooks yet")
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_every_notebook_opens_with_the_colab_cell(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    first = nb.cells[0] if nb.cells else None
    hint = f"run: python tools/add_colab_cell.py {path.relative_to(REPO_ROOT)}"
    assert first is not None and first.cell_type == "code", hint
    assert first.source == colab.COLAB_CELL, hint
    assert sum(colab.is_colab_cell(c.source) for c in nb.cells if c.cell_type == "code") == 1


def test_the_tool_inserts_updates_moves_and_is_idempotent(tmp_path: Path) -> None:
    tool = _tool()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Lesson"),
                nbformat.v4.new_code_cell("import drcn_lib as dl", execution_count=1)]
    path = tmp_path / "99_x.ipynb"
    nbformat.write(nb, path)
    assert tool.main([str(path), "--check"]) == 1
    assert tool.main([str(path)]) == 0
    once = path.read_bytes()
    out = nbformat.read(path, as_version=4)
    assert [c.source for c in out.cells] == [colab.COLAB_CELL, "# Lesson", "import drcn_lib as dl"]
    assert out.cells[2].execution_count == 1  # other cells untouched
    assert tool.main([str(path)]) == 0 and path.read_bytes() == once  # idempotent
    assert tool.main([str(path), "--check"]) == 0
    old = nbformat.read(path, as_version=4)
    old.cells[0].source = colab.COLAB_MARKER + "\n!pip install drcn-lib==0.0.1"
    nbformat.write(old, path)
    tool.main([str(path)])
    assert nbformat.read(path, as_version=4).cells[0].source == colab.COLAB_CELL
    moved = nbformat.read(path, as_version=4)
    moved.cells = moved.cells[1:] + moved.cells[:1]
    nbformat.write(moved, path)
    tool.main([str(path)])
    assert [c.source for c in nbformat.read(path, as_version=4).cells] == \
        [colab.COLAB_CELL, "# Lesson", "import drcn_lib as dl"]


def test_colab_links_point_at_the_notebooks_of_the_one_repository() -> None:
    url = colab.colab_url("notebooks/12_playground.ipynb", "https://github.com/me/course")
    assert url == ("https://colab.research.google.com/github/me/course/blob/main/notebooks/"
                   "12_playground.ipynb")
    section = colab.readme_section(["b/03_x.ipynb", "a/00_y.ipynb"], "https://github.com/me/c")
    assert section.startswith("## Run in Colab")
    assert section.index("00_y.ipynb") < section.index("03_x.ipynb")
    assert section.count("colab.research.google.com/github/me/c/blob/main/notebooks/") == 2
    with pytest.raises(ValueError, match="OWNER/REPO"):
        colab.colab_url("x.ipynb", "git@github.com:me/course.git")


def test_readme_has_the_colab_links_of_every_notebook() -> None:
    """The README's "Run in Colab" section is the generated one, for the notebooks that exist."""
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert colab.readme_section(NOTEBOOKS).strip() in readme
