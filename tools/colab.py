"""Running the lessons on Google Colab: one visible, guarded cell, first in every notebook.

Colab starts from a bare Python with torch, numpy and matplotlib but without this course, so
every notebook opens with :data:`COLAB_CELL`, a code cell that installs the course from GitHub
when (and only when) it runs inside Colab, and does nothing anywhere else. The cell cannot call
this module (the course is not installed yet when it runs), so its source is this constant, and
``tools/add_colab_cell.py`` writes it into every notebook; a test checks that they all have it.

It installs ``drcn-lib`` without the ``dev`` extra: Colab brings its own Jupyter, and installing
JupyterLab, nbval and playwright there would only fight Colab's pinned versions.

:data:`REPO_URL` is the ONE place that names the course's repository; the "Open in Colab"
links (:func:`colab_url`, :func:`readme_section`) use it too.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

#: PLACEHOLDER: the course's public GitHub repository; replace OWNER/REPO before publishing.
REPO_URL = "https://github.com/OWNER/REPO"
#: The branch the Colab links open.
BRANCH = "main"
#: The first line of the cell: how tools and tests recognise it.
COLAB_MARKER = "# Colab only: install the course (this does nothing outside Colab)."
#: The module that exists only inside Colab.
COLAB_MODULE = "google.colab"


def install_command(repo_url: str = REPO_URL) -> str:
    """The shell command the cell runs: ``pip -q install "drcn-lib @ git+<repo_url>"``."""
    return f'pip -q install "drcn-lib @ git+{repo_url}"'


def colab_cell(repo_url: str = REPO_URL) -> str:
    """The source of the first cell of every notebook (IPython syntax: ``!`` runs a shell)."""
    return "\n".join([
        COLAB_MARKER,
        "import sys",
        "",
        f'if "{COLAB_MODULE}" in sys.modules:',
        f"    !{install_command(repo_url)}",
    ])


#: The cell as written into the notebooks.
COLAB_CELL = colab_cell()


def in_colab() -> bool:
    """True inside a Google Colab runtime (Colab imports ``google.colab`` at start-up)."""
    return COLAB_MODULE in sys.modules


def is_colab_cell(source: str) -> bool:
    """Whether a cell's source is a version of the Colab cell (by its first line)."""
    return source.lstrip().startswith(COLAB_MARKER)


def _owner_repo(repo_url: str) -> str:
    prefix = "https://github.com/"
    if not repo_url.startswith(prefix) or repo_url.rstrip("/").count("/") != 4:
        raise ValueError(f"REPO_URL must look like https://github.com/OWNER/REPO; got "
                         f"{repo_url!r}")
    return repo_url[len(prefix):].rstrip("/").removesuffix(".git")


def colab_url(notebook: str | Path, repo_url: str = REPO_URL, branch: str = BRANCH) -> str:
    """The "Open in Colab" address of ``notebooks/<name>`` in the course's repository."""
    name = Path(notebook).name
    return (f"https://colab.research.google.com/github/{_owner_repo(repo_url)}/blob/{branch}/"
            f"notebooks/{name}")


def readme_section(notebooks: Iterable[str | Path], repo_url: str = REPO_URL) -> str:
    """The README's "Run in Colab" section: one link per notebook, in file-name order."""
    badge = "https://colab.research.google.com/assets/colab-badge.svg"
    lines = [
        "## Run in Colab",
        "",
        "Every lesson also runs on Google Colab. Its first cell installs the course there (and",
        "does nothing anywhere else). Colab has none of the paper's image sets: lessons then use",
        "scikit-image photographs with a warning, unless you fetch a set with `drcn download`.",
        "",
    ]
    for nb in sorted(Path(p).name for p in notebooks):
        title = nb.removesuffix(".ipynb").replace("_", " ", 1).replace("_", " ")
        lines.append(f"- [![Open In Colab]({badge})]({colab_url(nb, repo_url)}) {title}")
    return "\n".join(lines) + "\n"
