"""Running the lessons on Google Colab: one visible, guarded cell, first in every notebook.

Colab starts from a bare Python with torch, numpy and matplotlib but without this course, so
every notebook opens with :data:`COLAB_CELL`, a code cell that, when (and only when) it runs
inside Colab, installs the course, points ``DRCN_DATA`` at a folder of the Colab runtime and
makes Set5 present with ``dl.ensure_set`` (the same call the lessons make: downloaded from its
pinned public URLs, or the scikit-image stand-ins with a warning). Anywhere else it does
nothing. The cell cannot call this module (the course is not installed yet when it runs), so
its source is this constant, and ``tools/add_colab_cell.py`` writes it into every notebook; a
test checks that they all have it.

It installs ``drcn-lib`` without the ``dev`` extra: Colab brings its own Jupyter, and installing
JupyterLab, nbval and playwright there would only fight Colab's pinned versions.

:data:`REPO_URL` is the ONE place that names the course's public repository, and it is unset
until there is one. Set, it gives the install line of the cell and the README's "Open in Colab"
links (:func:`colab_url`, :func:`readme_section`). Unset, the cell tells how to install the
course from an uploaded copy, and the README says in one line how to open a lesson in Colab.
After changing it: ``python tools/add_colab_cell.py notebooks/*.ipynb --readme README.md``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

#: The course's public GitHub repository, ``https://github.com/OWNER/REPO``; None until it has one.
REPO_URL: str | None = None
#: The branch the Colab links open.
BRANCH = "main"
#: The first line of the cell: how tools and tests recognise it.
COLAB_MARKER = "# Colab only: install the course (this does nothing outside Colab)."
#: The module that exists only inside Colab.
COLAB_MODULE = "google.colab"
#: Where the image sets go on a Colab runtime (its disk, lost when the runtime ends).
COLAB_DATA = "/content/drcn_data"
#: Where an uploaded copy of the course is expected when REPO_URL is unset.
UPLOADED = "/content/drcn-course"


def install_command(repo_url: str | None = REPO_URL) -> str:
    """The shell command the cell runs: ``pip -q install "drcn-lib @ git+<repo_url>"``, or,
    without a repository, an install of the copy put at :data:`UPLOADED` (not editable: an
    editable install is seen only after a kernel restart)."""
    if repo_url is None:
        return f"pip -q install {UPLOADED}"
    _owner_repo(repo_url)
    return f'pip -q install "drcn-lib @ git+{repo_url}"'


def colab_cell(repo_url: str | None = REPO_URL) -> str:
    """The source of the first cell of every notebook (IPython syntax: ``!`` runs a shell)."""
    if repo_url is None:
        install = [
            f"    # put the course at {UPLOADED} (git clone, or upload a zip and unzip):",
            f"    !{install_command(None)}",
        ]
    else:
        install = [f"    !{install_command(repo_url)}"]
    return "\n".join([
        COLAB_MARKER,
        "import os",
        "import sys",
        "",
        f'if "{COLAB_MODULE}" in sys.modules:',
        *install,
        f'    os.environ.setdefault("DRCN_DATA", "{COLAB_DATA}")',
        "    import drcn_lib as dl",
        '    dl.ensure_set("Set5")  # the paper\'s images, else scikit-image\'s, with a warning',
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


def colab_url(notebook: str | Path, repo_url: str | None = REPO_URL,
              branch: str = BRANCH) -> str:
    """The "Open in Colab" address of ``notebooks/<name>`` in the course's repository."""
    if repo_url is None:
        raise ValueError("REPO_URL is unset in tools/colab.py: there is no repository to link")
    name = Path(notebook).name
    return (f"https://colab.research.google.com/github/{_owner_repo(repo_url)}/blob/{branch}/"
            f"notebooks/{name}")


def readme_section(notebooks: Iterable[str | Path], repo_url: str | None = REPO_URL) -> str:
    """The README's "Run in Colab" section: with a repository, one "Open in Colab" link per
    notebook (file-name order); without one, a line saying how to open a lesson in Colab."""
    lines = [
        "## Run in Colab",
        "",
        "Every lesson also runs on Google Colab. Its first cell installs the course there and",
        "fetches Set5 from its pinned public URLs (elsewhere it does nothing); other sets are",
        "fetched when a lesson asks for them, and without network lessons use scikit-image",
        "photographs with a warning.",
        "",
    ]
    if repo_url is None:
        lines.append(
            "To open a lesson in Colab: *File > Upload notebook* (or *File > Open notebook > "
            f"GitHub* with the course's repository), with the course itself at `{UPLOADED}` "
            "(git clone, or upload a zip and unzip) for its first cell to install."
        )
        return "\n".join(lines) + "\n"
    badge = "https://colab.research.google.com/assets/colab-badge.svg"
    for nb in sorted(Path(p).name for p in notebooks):
        title = nb.removesuffix(".ipynb").replace("_", " ", 1).replace("_", " ")
        lines.append(f"- [![Open In Colab]({badge})]({colab_url(nb, repo_url)}) {title}")
    return "\n".join(lines) + "\n"


def update_readme(readme: Path, notebooks: Iterable[str | Path],
                  repo_url: str | None = REPO_URL) -> bool:
    """Replace the README's "## Run in Colab" section (up to the next "## ") with the generated
    one; returns whether the file changed."""
    text = readme.read_text(encoding="utf-8")
    start = text.index("## Run in Colab")
    end = text.find("\n## ", start + 1)
    end = len(text) if end < 0 else end + 1
    new = text[:start] + readme_section(notebooks, repo_url) + "\n" + text[end:]
    if new == text:
        return False
    readme.write_text(new, encoding="utf-8")
    return True
