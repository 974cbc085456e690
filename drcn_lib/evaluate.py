"""Score any super-resolver on the benchmark sets exactly as DRCN's Table 2 does.

A *predictor* is any function ``SRPair -> {output name: Y prediction}``: the bicubic baseline
returns ``{"bicubic": ...}``; DRCN returns its ensemble and, if asked, every intermediate
prediction ``{"ensemble": ..., 1: ..., 2: ..., ...}`` (the paper's Figure on single outputs versus
the ensemble). Predictions are float Y planes in [0, 255] units on the HR grid.

Protocol (see :mod:`drcn_lib.protocol.pairs` for how each input is made): every prediction is
quantised as MATLAB's ``uint8()`` (round, clip to [0, 255]), as SRCNN's benchmark script does
before scoring (this is what reproduces the paper's bicubic row), and PSNR/SSIM on Y are taken
with a ``scale``-pixel border shaved (:mod:`drcn_lib.protocol.metrics`); a set's number is the mean
of its
per-image numbers.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from drcn_lib.errors import DRCNError, ImageError
from drcn_lib.protocol.image_io import load_image
from drcn_lib.protocol.metrics import psnr_y, ssim_y
from drcn_lib.protocol.pairs import SRPair, benchmark_pair
from drcn_lib.protocol.resize import to_uint8

OutputName = str | int
Predictor = Callable[[SRPair], Mapping[OutputName, np.ndarray]]
"""``SRPair -> {name: float Y prediction in [0, 255], HxW on the HR grid}``."""


@dataclass(frozen=True)
class EvalRecord:
    """Mean PSNR (dB) and SSIM of one output of one model on one set at one scale."""

    set: str
    scale: int
    model: str
    output: OutputName
    psnr: float
    ssim: float

    def as_dict(self) -> dict[str, Any]:
        """Plain dict with keys ``set, scale, model, output, psnr, ssim`` (JSON-ready)."""
        return asdict(self)


def bicubic_predictor(pair: SRPair) -> dict[OutputName, np.ndarray]:
    """The paper's "Bicubic" column: the network input itself, scored as ``bicubic``."""
    return {"bicubic": pair.bicubic_y}


def set_images(name: str, data_root: Path | None = None) -> list[Path]:
    """The sorted image files of set ``name`` (``DataError`` naming the fix when it is missing)."""
    from drcn_lib.data.registry import find_set

    return find_set(name, data_root=data_root)


def model_predictor(
    model: Any, device: str = "cpu", tile: int | None = 256, intermediates: bool = True
) -> Predictor:
    """A predictor running a trained model on each image's bicubic input, tiled when large.

    With ``intermediates`` the predictor returns ``{"ensemble": ..., 1: ..., D: ...}`` from ONE
    forward pass (the paper's single-output-versus-ensemble comparison).
    """
    from drcn_lib.engine.prediction import predict_y

    def predict(pair: SRPair) -> Mapping[OutputName, np.ndarray]:
        return predict_y(model, pair.bicubic_y, device=device, tile=tile,
                         intermediates=intermediates)

    return predict


def model_predictor_from_args(args: argparse.Namespace) -> tuple[Predictor, dict[str, Any]]:
    """Predictor and sidecar for ``--weights FILE`` or ``--pretrained NAME`` (CLI helper)."""
    from drcn_lib.engine.checkpoint import load_weights
    from drcn_lib.engine.hardware import pick_device
    from drcn_lib.pretrained import pretrained

    device = str(pick_device(getattr(args, "device", "auto")))
    if args.pretrained:
        model, sidecar = pretrained(args.pretrained, device=device)
    else:
        model, sidecar = load_weights(args.weights, device=device)
    tile = getattr(args, "tile", 256) or None
    return model_predictor(model, device, tile, not getattr(args, "ensemble_only", False)), sidecar


def _score(
    outputs: Mapping[OutputName, np.ndarray], pair: SRPair, image: str
) -> dict[OutputName, tuple[float, float]]:
    scores: dict[OutputName, tuple[float, float]] = {}
    for key, pred in outputs.items():
        arr = np.asarray(pred)
        if arr.shape != pair.hr_y.shape:
            raise ImageError(
                f"{image} x{pair.scale}: output {key!r} has shape {arr.shape}, expected the HR "
                f"grid {pair.hr_y.shape}"
            )
        scored = to_uint8(arr).astype(np.float64)  # the benchmark scripts' uint8(im_h)
        scores[key] = (
            psnr_y(scored, pair.hr_y, crop=pair.scale),
            ssim_y(scored, pair.hr_y, crop=pair.scale),
        )
    return scores


def evaluate(
    predictor: Predictor,
    sets: Sequence[str],
    scales: Sequence[int],
    model_name: str,
    data_root: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[EvalRecord]:
    """Mean PSNR/SSIM of every output of ``predictor`` on each set and scale.

    Args:
        predictor: ``SRPair -> {output name: Y prediction}``; the same names for every image.
        sets: set names such as ``["Set5", "Set14", "B100"]`` (found by the data registry).
        scales: integer factors, e.g. ``[2, 3, 4]``.
        model_name: stored in each record's ``model`` field.
        data_root: where the sets live (default ``DRCN_DATA``).
        progress: called with a short line after each set and scale (e.g. ``print``).

    Returns:
        One :class:`EvalRecord` per set, scale and output, in that order.
    """
    records: list[EvalRecord] = []
    for set_name in sets:
        paths = set_images(set_name, data_root=data_root)
        images = [(p, load_image(p)) for p in paths]
        for scale in scales:
            per_output: dict[OutputName, list[tuple[float, float]]] = {}
            for path, img in images:
                stem = path.stem
                try:
                    pair = benchmark_pair(img, int(scale), name=stem)
                except ImageError as err:  # e.g. too small for the scale: say which file
                    raise ImageError(f"{path}: {err}") from err
                scores = _score(predictor(pair), pair, f"{set_name}/{stem}")
                if per_output and set(scores) != set(per_output):
                    raise DRCNError(
                        f"{set_name}/{stem}: predictor returned outputs {sorted(map(str, scores))}"
                        f", but {sorted(map(str, per_output))} for the images before"
                    )
                for key, value in scores.items():
                    per_output.setdefault(key, []).append(value)
            for key, values in per_output.items():
                psnr = float(np.mean([v[0] for v in values]))
                ssim = float(np.mean([v[1] for v in values]))
                records.append(EvalRecord(set_name, int(scale), model_name, key, psnr, ssim))
            if progress is not None:
                progress(f"{set_name} x{scale}: {len(images)} images done")
    return records


def _label(record: EvalRecord) -> str:
    """Column title: ``bicubic``, ``drcn-x3 (ensemble)`` or ``drcn-x3 d=5``."""
    if isinstance(record.output, int):
        return f"{record.model} d={record.output}"
    if record.output == record.model:
        return record.model
    return f"{record.model} ({record.output})"


def format_table(records: Sequence[EvalRecord]) -> str:
    """A Markdown table like the paper's Table 2: one row per set and scale, one column per
    model output, cells ``PSNR/SSIM`` (e.g. ``33.66/0.9299``)."""
    if not records:
        return "(no results)"
    columns: list[str] = []
    rows: list[tuple[str, int]] = []
    cells: dict[tuple[str, int, str], EvalRecord] = {}
    for r in records:
        label = _label(r)
        if label not in columns:
            columns.append(label)
        if (r.set, r.scale) not in rows:
            rows.append((r.set, r.scale))
        cells[(r.set, r.scale, label)] = r
    lines = [
        "| Set | Scale | " + " | ".join(f"{c} PSNR/SSIM" for c in columns) + " |",
        "|---|---|" + "---|" * len(columns),
    ]
    for set_name, scale in rows:
        values = []
        for c in columns:
            r = cells.get((set_name, scale, c))
            values.append("-" if r is None else f"{r.psnr:.2f}/{r.ssim:.4f}")
        lines.append(f"| {set_name} | x{scale} | " + " | ".join(values) + " |")
    return "\n".join(lines)
