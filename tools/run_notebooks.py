"""Execute lessons top to bottom in a fresh kernel and store them in the committed form.

    python tools/run_notebooks.py notebooks/03_*.ipynb            # real mode, outputs kept
    python tools/run_notebooks.py --smoke notebooks/*.ipynb       # DRCN_SMOKE=1, check only

Real mode writes the executed notebook back (outputs are what readers see on the web);
smoke mode writes nothing. Either way the result is normalised as nbval and the web need:
execution counts kept and consecutive, a fixed kernelspec, the widget state kept (so sliders
render without a kernel), nothing else volatile.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from notebook_exec import ipc_client

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def normalise(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop volatile metadata that makes diffs noisy or breaks rendering on the web."""
    widgets = nb.metadata.get("widgets")
    nb.metadata = {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}}
    if widgets:
        nb.metadata["widgets"] = widgets
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            for out in cell.get("outputs", []):
                out.get("metadata", {}).pop("application/vnd.jupyter.widget-state+json", None)
    return nb


def run(path: Path, smoke: bool, timeout: int) -> float:
    nb = nbformat.read(path, as_version=4)
    env_before = os.environ.get("DRCN_SMOKE")
    os.environ["DRCN_SMOKE"] = "1" if smoke else ""
    # The kernel inherits the environment: MPLBACKEND=Agg (set for CI) would replace the inline
    # backend, and every figure would be stored as "<Figure size ...>" text instead of a PNG.
    backend = os.environ.pop("MPLBACKEND", None)
    t0 = time.perf_counter()
    try:
        with ipc_client(nb, path.parent, timeout) as client:
            client.execute()
    finally:
        if backend is not None:
            os.environ["MPLBACKEND"] = backend
        if env_before is None:
            os.environ.pop("DRCN_SMOKE", None)
        else:
            os.environ["DRCN_SMOKE"] = env_before
    seconds = time.perf_counter() - t0
    if not smoke:
        nbformat.write(normalise(nb), path)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--smoke", action="store_true", help="DRCN_SMOKE=1 and write nothing")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    args = parser.parse_args(argv)
    for path in args.notebooks:
        seconds = run(path, args.smoke, args.timeout)
        print(f"{path}: {'smoke' if args.smoke else 'real'} run in {seconds:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
