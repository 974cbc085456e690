"""Run a notebook headless in a kernel that talks over private IPC sockets.

nbclient's default kernel manager picks free TCP ports on localhost by opening and closing them;
two kernels started at the same moment (the lesson runner beside the test suite, or two tests)
can pick the same port, and the loser then waits for a reply that never comes until the cell
timeout (a hang with an idle kernel). Unix-domain sockets in a fresh
temporary folder cannot collide, so every headless run of the course goes through here:
``tools/run_notebooks.py`` and the reliability suite's re-run check.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


@contextmanager
def ipc_client(nb: Any, workdir: Path, timeout: int) -> Iterator[Any]:
    """An ``nbclient.NotebookClient`` for ``nb`` whose kernel (started in ``workdir``) listens on
    IPC sockets in a private temporary folder, removed afterwards. Use ``client.execute()`` or,
    to drive cells one by one, ``with client.setup_kernel(): client.execute_cell(...)``."""
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    with tempfile.TemporaryDirectory(prefix="drcn-kernel-") as sockets:
        km = KernelManager(kernel_name="python3", transport="ipc",
                           ip=str(Path(sockets) / "kernel"))
        # store_widget_state: sliders and their first picture render on nbviewer and in a
        # kernel-less JupyterLab instead of showing as ``IntSlider(...)`` text.
        try:
            yield NotebookClient(nb, km=km, timeout=timeout, kernel_name="python3",
                                 store_widget_state=True,
                                 resources={"metadata": {"path": str(workdir)}})
        finally:
            # The client does not own a kernel manager it was given, so it leaves the kernel
            # running: stop it here, or every run leaves a busy kernel behind.
            if km.has_kernel:
                km.shutdown_kernel(now=True)
