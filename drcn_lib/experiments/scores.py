"""Score a model on a benchmark set once, and remember the answer.

The reproduction studies score the same model on the same set more than once (the ensemble
figure and the benchmark table both need DRCN x3 on Set5), and scoring B100 with a 16-recursion
model takes many minutes on a CPU. :func:`score_model` therefore keeps each answer in a small
JSON cache, keyed by a digest of the model's weights and config, of the images' pixels and of
the scale: a changed model or a changed image is a new key, so the cache can never return a
stale number. The protocol is :mod:`drcn_lib.evaluate`'s own (:func:`drcn_lib.protocol.metrics.
score` of every output, mean over the images).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from drcn_lib.atomic import write_json
from drcn_lib.data.registry import find_set, get_set, set_status
from drcn_lib.engine.prediction import Prediction, predict_y
from drcn_lib.evaluate import bicubic_predictor, score_prediction
from drcn_lib.protocol.image_io import load_image
from drcn_lib.protocol.pairs import SRPair, benchmark_pair
from drcn_lib.settings import cache_root

PROTOCOL = "evaluate-v2"  # bump when the scoring or its record changes: old entries die
DEFAULT_TILE = 512  # Set5/Set14/B100 images fit one tile; Urban100's 1024-px images are tiled

Scores = Prediction[tuple[float, float]]
"""(mean PSNR dB, mean SSIM) of every output: ``.ensemble`` (named ``"ensemble"`` or
``"bicubic"``) and, when scored, ``.at(d)`` for d = 1..D."""


@dataclass
class ImageSet:
    """The images of one set as loaded (uint8 RGB or grey), and their benchmark pairs by scale.

    ``complete`` is True when these are all of the paper's images of the set (not a subset, not
    the scikit-image stand-ins): only then can a number be set beside the paper's.
    """

    name: str
    images: list[tuple[str, np.ndarray]]
    complete: bool
    fallback: bool
    _pairs: dict[int, list[SRPair]] = field(default_factory=dict, repr=False)
    _digest: str = field(default="", repr=False)

    def pairs(self, scale: int) -> list[SRPair]:
        """The benchmark problems at ``scale`` (made once, then reused)."""
        if scale not in self._pairs:
            self._pairs[scale] = [benchmark_pair(img, scale, name=stem)
                                  for stem, img in self.images]
        return self._pairs[scale]

    def digest(self) -> str:
        """sha256 of every image's name, shape and pixels, in order (computed once)."""
        if not self._digest:
            h = hashlib.sha256()
            for stem, img in self.images:
                h.update(f"{stem}:{img.shape}".encode())
                h.update(np.ascontiguousarray(img).tobytes())
            self._digest = h.hexdigest()
        return self._digest


def load_image_set(
    name: str, limit: int | None = None, fallback: bool = False, data_root: Path | None = None
) -> ImageSet:
    """Set ``name`` (first ``limit`` images when given); the scikit-image stand-ins when it is
    missing and ``fallback`` is True (else the registry's :class:`DataError` naming the fix)."""
    present = set_status(name, data_root).state == "present"
    paths = find_set(name, fallback=fallback, data_root=data_root)  # warns loudly on fallback
    chosen = paths[:limit] if limit is not None else paths
    images = [(p.stem, load_image(p)) for p in chosen]
    complete = present and len(images) == len(get_set(name).files)
    return ImageSet(get_set(name).name, images, complete=complete, fallback=not present)


def model_digest(model: nn.Module) -> str:
    """sha256 of a model's config and every tensor of its state dict (names, shapes, values)."""
    h = hashlib.sha256()
    config = model.config() if hasattr(model, "config") else type(model).__name__
    h.update(json.dumps(config, sort_keys=True, default=str).encode())
    for key, tensor in sorted(model.state_dict().items()):
        t = tensor.detach().to("cpu", torch.float32).contiguous()
        h.update(f"{key}:{tuple(t.shape)}".encode())
        h.update(t.numpy().tobytes())
    return h.hexdigest()


def _mean(values: Iterable[tuple[float, float]]) -> tuple[float, float]:
    """Mean PSNR and mean SSIM over images (a set's number, as in Table 2)."""
    psnrs, ssims = zip(*values, strict=True)
    return float(np.mean(psnrs)), float(np.mean(ssims))


class ScoreCache:
    """``{key: scores}`` in one JSON file (default ``<cache_root>/studies/scores.json``).

    ``path=None`` in the constructor means the default location; pass ``enabled=False`` for no
    caching at all. Writes are atomic, so a killed run leaves the previous file intact.
    """

    def __init__(self, path: Path | None = None, enabled: bool = True) -> None:
        self.path = Path(path) if path is not None else cache_root() / "studies" / "scores.json"
        self.enabled = enabled

    def _read(self) -> dict[str, dict[str, Any]]:
        if not self.enabled or not self.path.is_file():
            return {}
        try:
            return json.loads(self.path.read_text())
        except ValueError:  # a damaged cache is only a cache: start again
            return {}

    def get(self, key: str) -> Scores | None:
        entry = self._read().get(key)
        if entry is None:
            return None
        try:
            pair = lambda v: (float(v[0]), float(v[1]))  # noqa: E731
            return Prediction(pair(entry["ensemble"]), tuple(map(pair, entry["outputs"])),
                              str(entry["name"]))
        except (KeyError, TypeError, ValueError, IndexError):  # a damaged entry: score again
            return None

    def put(self, key: str, scores: Scores) -> None:
        if not self.enabled:
            return
        data = self._read()
        data[key] = {"name": scores.name, "ensemble": list(scores.ensemble),
                     "outputs": [list(v) for v in scores.outputs]}
        write_json(self.path, data)


def score_model(
    model: nn.Module | None,
    images: ImageSet,
    scale: int,
    device: str = "cpu",
    tile: int | None = DEFAULT_TILE,
    cache: ScoreCache | None = None,
    progress: Callable[[str], None] | None = None,
    intermediates: bool = True,
) -> Scores:
    """Mean (PSNR, SSIM) of every output of ``model`` (``None``: the bicubic baseline) on
    ``images`` at ``scale``: the ensemble and y_1..y_D for a DRCN, the ensemble and y_1 for
    SRCNN, the ensemble named ``"bicubic"`` for ``None``.

    ``intermediates=False`` scores the ensemble only (D times fewer SSIMs); it is still
    answered from a cached entry that holds every output.
    """
    who = "bicubic" if model is None else model_digest(model)
    key = f"{PROTOCOL}|{who}|{images.name}|{images.digest()}|x{scale}"
    cache = cache if cache is not None else ScoreCache()
    hit = cache.get(key)
    if hit is None and not intermediates:
        key += "|ensemble"
        hit = cache.get(key)
    if hit is not None:
        return hit if intermediates else hit.without_outputs()
    per_image: list[Scores] = []
    for pair in images.pairs(scale):
        if model is None:
            prediction = bicubic_predictor(pair)
        else:
            prediction = predict_y(model, pair.bicubic_y, device=device, tile=tile,
                                   intermediates=intermediates)
        per_image.append(score_prediction(prediction, pair, f"{images.name}/{pair.name}"))
    first = per_image[0]
    scores: Scores = Prediction(_mean(s.ensemble for s in per_image),
                                tuple(_mean(s.at(d) for s in per_image) for d in first.depths),
                                first.name)
    cache.put(key, scores)
    if progress is not None:
        progress(f"{images.name} x{scale}: {len(images.images)} images scored")
    return scores
