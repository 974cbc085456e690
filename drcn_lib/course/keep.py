"""Keep the pieces a learner writes, so that later lessons (fresh kernels) can use them.

A lesson's cell that starts with ``%%keep Embedding`` runs as usual and, if it ran without an
error, its code is also saved under the name ``Embedding`` into ``mydrcn.py`` in the notebook's
folder (running it again replaces that block; the blocks stay in the course's order, f1 first).
A later lesson reads them back::

    Embedding, Inference = dl.course.keep.pieces("Embedding", "Inference")

which loads ``mydrcn.py`` and returns the learner's classes. A piece the learner has not written
(a lesson opened on its own, a file deleted) is taken from the course's reference solution
(:mod:`drcn_lib.course.solutions`) with a warning saying so, never silently. The names and
constructors of the pieces are the contract in :mod:`drcn_lib.course.checkers`.

``dl.course.keep.enable()`` (or ``%load_ext drcn_lib.course.keep``) registers the magic.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
import tempfile
from pathlib import Path
from types import ModuleType

FILE_NAME = "mydrcn.py"
# The course's order of the pieces: a block is written after the blocks it may build on.
ORDER = ("Embedding", "Inference", "Reconstruction", "BasicModel", "SupervisedModel", "MyDRCN")
HEADER = ('"""The pieces of DRCN I wrote in the course\'s lessons (saved by %%keep)."""\n\n'
          "import torch\nfrom torch import nn\n\nimport drcn_lib as dl\n")
MARK = "# ---- %%keep "
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def keep_path(folder: str | os.PathLike[str] | None = None) -> Path:
    """Where the pieces are kept: ``mydrcn.py`` in ``folder`` (default: the current folder,
    which is the notebook's own folder in Jupyter, nbval and the course's runner)."""
    return Path(folder if folder is not None else os.getcwd()) / FILE_NAME


def read_blocks(path: Path) -> dict[str, str]:
    """The kept blocks of ``path`` by name, in file order (empty if there is no file)."""
    if not path.is_file():
        return {}
    blocks: dict[str, str] = {}
    name = None
    for line in path.read_text(encoding="utf-8").splitlines(keepends=True):
        if line.startswith(MARK):
            name = line[len(MARK):].strip()
            blocks[name] = ""
        elif name is not None:
            blocks[name] += line
    return {k: v.strip("\n") + "\n" for k, v in blocks.items()}


def save(name: str, source: str, path: Path | None = None) -> Path:
    """Write (or replace) the block ``name`` of ``mydrcn.py``; atomic, so a crash leaves the
    old file whole."""
    if not NAME.match(name):
        raise ValueError(f"a kept piece needs a Python name such as Embedding, got {name!r}")
    path = path or keep_path()
    blocks = read_blocks(path)
    blocks[name] = source.strip("\n") + "\n"
    rank = {n: i for i, n in enumerate(ORDER)}
    names = sorted(blocks, key=lambda n: rank.get(n, len(ORDER)))  # stable for other names
    text = HEADER + "".join(f"\n\n{MARK}{n}\n{blocks[n]}" for n in names)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def keep(line: str, cell: str) -> None:
    """``%%keep NAME``: run the cell, then save its code as NAME in ``mydrcn.py``."""
    from IPython import get_ipython
    from IPython.core.error import UsageError

    name = line.strip()
    if not NAME.match(name):
        raise UsageError(f"%%keep needs the piece's name, e.g. %%keep Embedding (got {line!r})")
    result = get_ipython().run_cell(cell, store_history=False)
    if not result.success:
        raise UsageError(f"{name} was not kept: fix the error above and run the cell again.")
    path = save(name, cell)
    print(f"(kept {name} in {path.name})")


def load_ipython_extension(ipython) -> None:  # noqa: ANN001 - IPython's shell
    ipython.register_magic_function(keep, "cell", "keep")


def enable() -> None:
    """Register ``%%keep`` in the running notebook (does nothing outside IPython)."""
    from IPython import get_ipython

    shell = get_ipython()
    if shell is not None:
        load_ipython_extension(shell)


def load_module(path: Path) -> tuple[ModuleType | None, str]:
    """Import ``mydrcn.py`` as a fresh module; (None, why) if it is missing or broken."""
    if not path.is_file():
        return None, f"there is no {path.name} here yet"
    spec = importlib.util.spec_from_file_location("mydrcn", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules["mydrcn"] = module
    try:
        spec.loader.exec_module(module)  # type: ignore[union-attr]
    except Exception as exc:  # noqa: BLE001 - a learner's broken file: fall back, loudly
        sys.modules.pop("mydrcn", None)
        return None, f"{path.name} fails to load ({type(exc).__name__}: {exc})"
    return module, ""


def pieces(*names: str, folder: str | os.PathLike[str] | None = None,
           reference: ModuleType | None = None) -> object:
    """The learner's classes (or functions) ``names`` from ``mydrcn.py``, in that order.

    Each one not found there comes from ``reference`` (default :mod:`drcn_lib.course.solutions`)
    with a printed warning. A single name returns the object itself, several a tuple.
    """
    if reference is None:
        from drcn_lib.course import solutions as reference
    path = keep_path(folder)
    module, why = load_module(path)
    kept = set(read_blocks(path)) if module is not None else set()
    if module is None:
        module = ModuleType("mydrcn")
        sys.modules["mydrcn"] = module
    # Every piece the file lacks comes from the reference, so that kept code that builds on an
    # earlier piece (MyDRCN uses Embedding) finds one.
    for name in (*ORDER, *names):
        if not hasattr(module, name) and hasattr(reference, name):
            setattr(module, name, getattr(reference, name))
            if name in names:
                print(f"WARNING: {name} is the course's reference solution, not yours "
                      f"({why or f'{path.name} has no {name}'}); run the lesson that writes "
                      f"it to use your own.")
    missing = [n for n in names if not hasattr(module, n)]
    if missing:
        raise AttributeError(f"no piece named {', '.join(missing)}; the pieces are {ORDER}")
    mine = [n for n in names if n in kept]
    if mine:
        print(f"Yours, from {path.name}: {', '.join(mine)}")
    found = tuple(getattr(module, n) for n in names)
    return found[0] if len(found) == 1 else found
