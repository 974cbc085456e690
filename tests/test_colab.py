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


@pytest.fixture
def fake_colab(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Inside "Colab": a fake ``google.colab``, a recording ``drcn_lib``; returns the sets that
    the cell asked ``ensure_set`` for."""
    asked: list[str] = []
    fake = types.ModuleType("drcn_lib")
    fake.ensure_set = asked.append
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    monkeypatch.setitem(sys.modules, "drcn_lib", fake)
    monkeypatch.delenv("DRCN_DATA", raising=False)
    return asked


def test_the_cell_does_nothing_outside_colab(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    assert not colab.in_colab()
    assert _run_cell(colab.COLAB_CELL) == []


@pytest.mark.parametrize("repo", [None, "https://github.com/me/course"])
def test_the_cell_installs_the_course_and_makes_set5_present(fake_colab, repo) -> None:
    import os

    assert colab.in_colab()
    assert _run_cell(colab.colab_cell(repo)) == [colab.install_command(repo)]
    assert fake_colab == ["Set5"]  # dl.ensure_set: downloaded, or the stand-ins with a warning
    assert os.environ["DRCN_DATA"] == colab.COLAB_DATA


def test_install_command_from_the_repository_or_an_uploaded_copy() -> None:
    assert colab.install_command("https://github.com/me/course") == \
        'pip -q install "drcn-lib @ git+https://github.com/me/course"'
    assert colab.install_command(None) == f"pip -q install {colab.UPLOADED}"
    with pytest.raises(ValueError, match="OWNER/REPO"):
        colab.install_command("https://example.org/course")


def test_the_repository_is_unset_by_default_and_named_nowhere_else() -> None:
    """One setting in one place: no placeholder URL in the cell, the README or the tools."""
    assert colab.REPO_URL is None or colab.REPO_URL.startswith("https://github.com/")
    for path in (REPO_ROOT / "README.md", REPO_ROOT / "tools" / "colab.py",
                 REPO_ROOT / "tools" / "add_colab_cell.py"):
        assert "OWNER/REPO\"" not in path.read_text(encoding="utf-8")
        assert "github/OWNER/REPO" not in path.read_text(encoding="utf-8")


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
    with pytest.raises(ValueError, match="REPO_URL is unset"):
        colab.colab_url("x.ipynb", None)


def test_without_a_repository_the_readme_says_how_to_open_a_lesson() -> None:
    section = colab.readme_section(["a/00_y.ipynb"], None)
    assert section.startswith("## Run in Colab")
    assert "colab.research.google.com" not in section  # no link that leads nowhere
    assert "File > Open notebook > GitHub" in section and "File > Upload notebook" in section


def test_the_tool_regenerates_the_readme_section(tmp_path: Path) -> None:
    tool = _tool()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(colab.COLAB_CELL)]
    path = tmp_path / "00_x.ipynb"
    nbformat.write(nb, path)
    readme = tmp_path / "README.md"
    readme.write_text("# Course\n\n## Run in Colab\n\nold links\n\n## Next\n\nkept\n")
    assert tool.main([str(path), "--check", "--readme", str(readme)]) == 1
    assert tool.main([str(path), "--readme", str(readme)]) == 0
    text = readme.read_text()
    assert colab.readme_section([path]) in text and "old links" not in text
    assert text.startswith("# Course\n\n## Run in Colab") and text.endswith("## Next\n\nkept\n")
    assert tool.main([str(path), "--check", "--readme", str(readme)]) == 0


def test_readme_has_the_colab_links_of_every_notebook() -> None:
    """The README's "Run in Colab" section is the generated one, for the notebooks that exist."""
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert colab.readme_section(NOTEBOOKS).strip() in readme
