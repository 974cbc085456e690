"""Make the Colab install cell the first cell of every notebook (idempotent).

    python tools/add_colab_cell.py notebooks/*.ipynb          # insert or update, then report
    python tools/add_colab_cell.py --check notebooks/*.ipynb  # exit 1 if any is missing/stale
    python tools/add_colab_cell.py notebooks/*.ipynb --readme README.md   # and its Colab section

The cell's source is ``COLAB_CELL`` of ``tools/colab.py``. A notebook whose first cell already is
that
cell is left byte-for-byte alone; an older version of the cell (recognised by its first line) is
updated in place; a Colab cell found further down is moved to the top. Nothing else changes:
the other cells, their outputs and execution counts stay as they are (the new cell has none
until the next real-mode run of tools/run_notebooks.py).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
from colab import COLAB_CELL, is_colab_cell, readme_section, update_readme


def with_colab_cell(nb: nbformat.NotebookNode) -> tuple[nbformat.NotebookNode, str]:
    """``nb`` with the Colab cell first; returns it and what was done ("ok", "updated",
    "moved" or "inserted")."""
    found = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and is_colab_cell(c.source)]
    if found == [0] and nb.cells[0].source == COLAB_CELL:
        return nb, "ok"
    if found and found[0] == 0:  # an older version: update it in place (keeps its cell id)
        for i in reversed(found[1:]):
            del nb.cells[i]
        nb.cells[0].source = COLAB_CELL
        nb.cells[0].outputs = []
        return nb, "updated"
    for i in reversed(found):
        del nb.cells[i]
    # nbformat 4.5 first: the new cell carries an id, which makes a 4.4 notebook invalid
    # (JupyterLab logs "Notebook JSON is invalid"); upgrading gives every cell one.
    nb = nbformat.v4.upgrade(nb)
    nb.cells.insert(0, nbformat.v4.new_code_cell(COLAB_CELL))
    return nb, "moved" if found else "inserted"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if needed")
    parser.add_argument("--readme", type=Path, default=None,
                        help="also regenerate this README's '## Run in Colab' section")
    args = parser.parse_args(argv)
    stale = []
    if args.readme is not None:
        text = args.readme.read_text(encoding="utf-8")
        if readme_section(args.notebooks).strip() not in text:
            stale.append(args.readme)
            if not args.check:
                update_readme(args.readme, args.notebooks)
        print(f"{args.readme}: {'ok' if args.readme not in stale else 'updated'}"
              f"{' (would change)' if args.check and args.readme in stale else ''}")
    for path in args.notebooks:
        nb = nbformat.read(path, as_version=4)  # re-read from disk now: others may edit it
        nb, action = with_colab_cell(nb)
        if action != "ok":
            stale.append(path)
            if not args.check:
                nbformat.write(nb, path)
        print(f"{path}: {action}{' (would change)' if args.check and action != 'ok' else ''}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
