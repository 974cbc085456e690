"""Score any super-resolver on the benchmark sets exactly as DRCN's Table 2 does.

A *predictor* is any function ``SRPair -> Prediction`` (:class:`drcn_lib.engine.prediction.
Prediction`): the bicubic baseline predicts the network input itself, named ``"bicubic"``; DRCN
predicts its ensemble and, if asked, every intermediate output y_1..y_D (the paper's figure on
single outputs versus the ensemble). A predictor comparing several methods at once (lesson 01's
resizers) may return ``{method name: Y plane}`` instead. Predictions are float Y planes in
[0, 255] on the HR grid.

Protocol (see :mod:`drcn_lib.protocol.pairs` for how each input is made): every output is
scored by :func:`drcn_lib.protocol.metrics.score` (quantised as MATLAB's ``uint8()``, PSNR/SSIM
on Y with ``scale`` pixels shaved); a set's number is the mean of its per-image numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from drcn_lib.engine.prediction import Prediction
from drcn_lib.errors import DRCNError, ImageError
from drcn_lib.protocol.image_io import load_image
from drcn_lib.protocol.metrics import score
from drcn_lib.protocol.pairs import SRPair, benchmark_pair

OutputName = str | int
"""How a table labels an output: the final prediction's name (``"ensemble"``, ``"bicubic"``)
or d = 1..D for y_d."""
Predictor = Callable[[SRPair], "Prediction[np.ndarray] | Mapping[str, np.ndarray]"]
"""``SRPair -> Prediction`` (or ``{method name: Y plane}``) of float Y planes in [0, 255],
H x W on the HR grid."""


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


def bicubic_predictor(pair: SRPair) -> Prediction[np.ndarray]:
    """The paper's "Bicubic" column: the network input itself, scored as ``bicubic``."""
    return Prediction(pair.bicubic_y, name="bicubic")


def set_images(name: str, data_root: Path | None = None) -> list[Path]:
    """The sorted image files of set ``name``, every pixel checksum verified; a missing set is
    downloaded from its pinned URLs when online, else a ``DataError`` names the fix."""
    from drcn_lib.data.ensure import ensure_set

    return ensure_set(name, fallback=False, data_root=data_root)


def model_predictor(
    model: Any, device: str = "cpu", tile: int | None = 256, intermediates: bool = True
) -> Predictor:
    """A predictor running a trained model on each image's bicubic input, tiled when large.

    With ``intermediates`` each prediction holds y_1..y_D too, from ONE forward pass (the
    paper's single-output-versus-ensemble comparison); without, only the ensemble is kept.
    """
    from drcn_lib.engine.prediction import predict_y

    def predict(pair: SRPair) -> Prediction[np.ndarray]:
        return predict_y(model, pair.bicubic_y, device=device, tile=tile,
                         intermediates=intermediates)

    return predict


def load_predictor(
    weights: Path | None = None, pretrained: str | None = None, device: str = "auto",
    tile: int | None = 256, intermediates: bool = True,
) -> tuple[Predictor, dict[str, Any]]:
    """Predictor and sidecar of a weights file or of shipped weights by name (one of the two)."""
    from drcn_lib.engine.checkpoint import load_weights
    from drcn_lib.engine.hardware import pick_device
    from drcn_lib.pretrained import pretrained as load_pretrained

    if (weights is None) == (pretrained is None):
        raise DRCNError("give either weights (a .safetensors file) or pretrained (a name)")
    dev = str(pick_device(device))
    if pretrained is not None:
        model, sidecar = load_pretrained(pretrained, device=dev)
    else:
        model, sidecar = load_weights(Path(weights), device=dev)
    return model_predictor(model, dev, tile or None, intermediates), sidecar


def _named(prediction: Prediction[np.ndarray] | Mapping[str, np.ndarray]
           ) -> list[tuple[OutputName, np.ndarray]]:
    if isinstance(prediction, Prediction):
        return prediction.named()
    return [(str(name), y) for name, y in prediction.items()]


def _check_grid(named: list[tuple[OutputName, np.ndarray]], pair: SRPair, image: str) -> None:
    for key, pred in named:
        if np.shape(pred) != pair.hr_y.shape:
            raise ImageError(
                f"{image} x{pair.scale}: output {key!r} has shape {np.shape(pred)}, expected "
                f"the HR grid {pair.hr_y.shape}"
            )


def score_prediction(
    prediction: Prediction[np.ndarray], pair: SRPair, image: str
) -> Prediction[tuple[float, float]]:
    """(PSNR, SSIM) of every output of ``prediction`` (:func:`drcn_lib.protocol.metrics.score`);
    an output off the HR grid is an :class:`ImageError` naming the image and the output."""
    _check_grid(prediction.named(), pair, image)
    return prediction.map(lambda y: score(y, pair))


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
        predictor: ``SRPair -> Prediction``; the same outputs for every image.
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
                named = _named(predictor(pair))
                _check_grid(named, pair, f"{set_name}/{stem}")
                scores = {key: score(y, pair) for key, y in named}
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
