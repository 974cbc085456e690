"""Upscale your own colour image with a shipped DRCN: ``drcn upscale IN.png --scale 3 -o OUT.png``.

As the paper (and SRCNN before it) does, only the luminance goes through the network: the image
is converted to YCbCr (BT.601, MATLAB's ``rgb2ycbcr``), Y is upscaled by MATLAB bicubic and
refined by DRCN (the ensemble output), Cb and Cr are upscaled by MATLAB bicubic alone, and the
three are converted back to RGB. A greyscale image stays greyscale. Large images are processed
in horizontal bands, each with the model's receptive margin of context, so the result equals
one whole-image pass and memory stays bounded; a progress bar counts the bands.

Everything that can be wrong with the request (an unreadable image, a scale with no shipped
model, an output that exists, an image smaller than the model's receptive field) is checked
before anything is computed or written, and raised as one :class:`DRCNError` line.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from torch import nn

from drcn_lib.engine.prediction import predict_y, receptive_margin
from drcn_lib.errors import DRCNError, ImageError
from drcn_lib.pretrained import REGISTRY, available, pretrained
from drcn_lib.protocol.colour import rgb_to_ycbcr, to_y, ycbcr_to_rgb
from drcn_lib.protocol.image_io import load_image, save_image
from drcn_lib.protocol.resize import imresize, to_uint8

INPUT_SUFFIXES = (".png", ".bmp", ".jpg", ".jpeg", ".tif", ".tiff", ".ppm", ".pgm", ".webp")
OUTPUT_SUFFIXES = (".png", ".bmp", ".tif", ".tiff")


def shipped_for(scale: int) -> list[str]:
    """Names of the shipped DRCN models trained for ``scale``."""
    return [n for n in available() if REGISTRY[n].arch == "drcn" and REGISTRY[n].scale == scale]


def choose_model(scale: int, model: str | None = None, depth: int | None = None) -> str:
    """The shipped model for ``scale``: ``model`` if named, else ``drcn-x{scale}-d{depth}``
    (``depth`` D defaults to 16, the paper's). Raises :class:`DRCNError` listing what exists."""
    shipped = [n for n in available() if REGISTRY[n].arch == "drcn"]
    listing = ", ".join(shipped) or "none"
    if model is not None:
        if model not in shipped:
            raise DRCNError(f"--model {model}: no such shipped DRCN; shipped: {listing}")
        if REGISTRY[model].scale != scale:
            raise DRCNError(
                f"--model {model} is trained for x{REGISTRY[model].scale}, not x{scale}; "
                f"models for x{scale}: {', '.join(shipped_for(scale)) or 'none'}"
            )
        if depth is not None and REGISTRY[model].recursions != depth:
            raise DRCNError(f"--model {model} has D = {REGISTRY[model].recursions}, not {depth}")
        return model
    name = f"drcn-x{scale}-d{depth if depth is not None else 16}"
    if name not in shipped:
        scales = sorted({REGISTRY[n].scale for n in shipped})
        raise DRCNError(
            f"no shipped model {name} for --scale {scale}"
            + (f" --depth {depth}" if depth is not None else "")
            + f"; shipped: {listing} (scales {', '.join(f'x{s}' for s in scales) or 'none'})"
        )
    return name


def min_input_side(model: nn.Module, scale: int) -> int:
    """Smallest input side DRCN can see whole: its receptive field, ``2 * (D + 4) + 1`` output
    pixels, brought back to the input grid (41 / 3 -> 14 px at x3, D = 16)."""
    return math.ceil((2 * receptive_margin(model) + 1) / scale)


def upscale_image(
    img: np.ndarray,
    model: nn.Module,
    scale: int,
    device: str = "cpu",
    band: int = 256,
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Upscale a uint8 HxW grey or HxWx3 RGB image by ``scale``; returns uint8 of
    ``(scale * H) x (scale * W)`` (MATLAB's output size), grey for grey, RGB for RGB.

    Y (rounded to uint8 as MATLAB's ``rgb2ycbcr`` on uint8) is bicubic-upscaled and refined by
    ``model`` (its ensemble output), CbCr is bicubic only. ``band``: rows of output per
    network pass; ``progress(n)`` is called after each band with the number of rows done.
    """
    arr = np.asarray(img)
    if arr.dtype != np.uint8 or not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] == 3)):
        raise ImageError(f"upscale_image expects uint8 HxW or HxWx3, got {arr.dtype} {arr.shape}")
    y = imresize(to_uint8(to_y(arr)).astype(np.float64), float(scale))
    margin = receptive_margin(model)
    h = y.shape[0]
    sr_y = np.empty_like(y)
    for y0 in range(0, h, band):
        y1 = min(y0 + band, h)
        t0, t1 = max(y0 - margin, 0), min(y1 + margin, h)
        out = predict_y(model, y[t0:t1], device=device, tile=band, intermediates=False)
        sr_y[y0:y1] = out.ensemble[y0 - t0:y1 - t0]
        if progress is not None:
            progress(y1 - y0)
    if arr.ndim == 2:
        return to_uint8(sr_y)
    cbcr = imresize(rgb_to_ycbcr(arr)[:, :, 1:], float(scale))
    return to_uint8(ycbcr_to_rgb(np.dstack([sr_y, cbcr])))


@dataclass(frozen=True)
class Job:
    """One image to upscale: where it comes from, where it goes, and its decoded pixels' shape."""

    source: Path
    target: Path
    shape: tuple[int, ...]


def plan(source: Path, output: Path, force: bool, min_side: int) -> list[Job]:
    """Check the whole request before any work: every input decodes and is large enough, every
    output has a lossless suffix and is free (or ``force``). A folder in gives a folder out,
    ``<stem>.png`` per image. Raises :class:`DRCNError` naming the first problem."""
    if source.is_dir():
        inputs = sorted(p for p in source.iterdir()
                        if p.is_file() and p.suffix.lower() in INPUT_SUFFIXES)
        if not inputs:
            raise DRCNError(f"{source}: no images in this folder ({', '.join(INPUT_SUFFIXES)})")
        if output.exists() and not output.is_dir():
            raise DRCNError(f"{output} is a file; a folder in needs a folder out (-o DIR)")
        pairs = [(p, output / f"{p.stem}.png") for p in inputs]
    else:
        if not source.exists():
            raise DRCNError(f"{source}: no such file")
        if output.is_dir():
            raise DRCNError(f"{output} is a folder; give the output file name, e.g. "
                            f"{output / (source.stem + '.png')}")
        if output.suffix.lower() not in OUTPUT_SUFFIXES:
            raise DRCNError(f"{output}: cannot save as {output.suffix or 'no suffix'!r}; use a "
                            f"lossless format: {', '.join(OUTPUT_SUFFIXES)}")
        if not output.parent.is_dir():
            raise DRCNError(f"{output}: folder {output.parent} does not exist")
        pairs = [(source, output)]
    jobs = []
    for src, dst in pairs:
        if dst.exists() and not force:
            raise DRCNError(f"{dst} exists; add --force to replace it")
        if dst.resolve() == src.resolve():
            raise DRCNError(f"{dst} is the input itself; choose another output")
        shape = load_image(src).shape  # ImageError names the file and the reason
        if min(shape[:2]) < min_side:
            raise DRCNError(
                f"{src}: {shape[1]}x{shape[0]} pixels is too small for this model: it needs at "
                f"least {min_side}x{min_side} (its receptive field, at the input's scale)"
            )
        jobs.append(Job(src, dst, shape))
    return jobs


def upscale_files(
    source: Path,
    output: Path,
    scale: int,
    model_name: str | None = None,
    depth: int | None = None,
    force: bool = False,
    device: str = "cpu",
    band: int = 256,
    progress: bool = True,
) -> list[Path]:
    """``drcn upscale``: the file or folder ``source`` upscaled by ``scale`` into ``output``.

    Returns the written paths. Every check (:func:`choose_model`, :func:`plan`) runs before the
    first image is computed, so a bad request writes nothing.
    """
    from tqdm.auto import tqdm

    if isinstance(scale, bool) or not isinstance(scale, int) or scale < 2:
        raise DRCNError(f"--scale must be an integer of at least 2; got {scale!r}")
    name = choose_model(scale, model_name, depth)
    model, _ = pretrained(name, device=device)
    jobs = plan(Path(source), Path(output), force, min_input_side(model, scale))
    if Path(source).is_dir():
        Path(output).mkdir(parents=True, exist_ok=True)
    written = []
    for job in jobs:
        rows = scale * job.shape[0]
        with tqdm(total=rows, desc=f"{job.source.name} x{scale} ({name})", unit="row",
                  disable=not progress, leave=False) as bar:
            out = upscale_image(load_image(job.source), model, scale, device=device,
                                band=band, progress=bar.update)
        written.append(save_image(job.target, out))  # atomic: temp name, then rename
    return written


def describe(paths: Sequence[Path], scale: int) -> str:
    """One line per written image, for the CLI."""
    return "\n".join(f"wrote {p} (x{scale})" for p in paths)
