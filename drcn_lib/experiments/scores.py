"""Score a model on a benchmark set once, and remember the answer.

The reproduction studies score the same model on the same set more than once (the ensemble
figure and the benchmark table both need DRCN x3 on Set5), and scoring B100 with a 16-recursion
model takes many minutes on a CPU. :func:`score_model` therefore keeps each answer in a small
JSON cache, keyed by a digest of the model's weights and config, of the images' pixels and of
the scale: a changed model or a changed image is a new key, so the cache can never return a
stale number. The protocol is :mod:`drcn_lib.evaluate`'s own (uint8 quantisation, PSNR/SSIM on
Y with ``scale`` pixels shaved, mean over the images), by calling its scoring function.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from drcn_lib.data.registry import find_set, get_set, set_status
from drcn_lib.engine.checkpoint import write_json
from drcn_lib.engine.prediction import predict_y
from drcn_lib.evaluate import OutputName
from drcn_lib.evaluate import _score as score_outputs  # the benchmark protocol, shared
from drcn_lib.protocol.image_io import load_image
from drcn_lib.protocol.pairs import SRPair, benchmark_pair
from drcn_lib.settings import cache_root

PROTOCOL = "evaluate-v1"  # bump when the scoring protocol changes: old cache entries die
DEFAULT_TILE = 512  # Set5/Set14/B100 images fit one tile; Urban100's 1024-px images are tiled

Scores = dict[OutputName, tuple[float, float]]
"""``{output name: (mean PSNR dB, mean SSIM)}``: ``"ensemble"``, ``1``..``D`` or ``"bicubic"``."""


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


class ScoreCache:
    """``{key: scores}`` in one JSON file (default ``<cache_root>/studies/scores.json``).

    ``path=None`` in the constructor means the default location; pass ``enabled=False`` for no
    caching at all. Writes are atomic, so a killed run leaves the previous file intact.
    """

    def __init__(self, path: Path | None = None, enabled: bool = True) -> None:
        self.path = Path(path) if path is not None else cache_root() / "studies" / "scores.json"
        self.enabled = enabled

    def _read(self) -> dict[str, dict[str, list[float]]]:
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
        return {_name(k): (float(v[0]), float(v[1])) for k, v in entry.items()}

    def put(self, key: str, scores: Scores) -> None:
        if not self.enabled:
            return
        data = self._read()
        data[key] = {str(k): [v[0], v[1]] for k, v in scores.items()}
        write_json(self.path, data)


def _name(key: str) -> OutputName:
    return int(key) if key.isdigit() else key


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
    """Mean PSNR/SSIM of every output of ``model`` (``None``: the bicubic baseline) on
    ``images`` at ``scale``: ``{"ensemble": (psnr, ssim), 1: ..., D: ...}`` for a DRCN,
    ``{"ensemble": ..., 1: ...}`` for SRCNN, ``{"bicubic": ...}`` for ``None``.

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
        return hit if intermediates else {k: v for k, v in hit.items() if not isinstance(k, int)}
    per_output: dict[OutputName, list[tuple[float, float]]] = {}
    for pair in images.pairs(scale):
        if model is None:
            outputs: dict[OutputName, np.ndarray] = {"bicubic": pair.bicubic_y}
        else:
            outputs = predict_y(model, pair.bicubic_y, device=device, tile=tile,
                                intermediates=intermediates)
        for k, v in score_outputs(outputs, pair, f"{images.name}/{pair.name}").items():
            per_output.setdefault(k, []).append(v)
    scores: Scores = {k: (float(np.mean([v[0] for v in vals])),
                          float(np.mean([v[1] for v in vals])))
                      for k, vals in per_output.items()}
    cache.put(key, scores)
    if progress is not None:
        progress(f"{images.name} x{scale}: {len(images.images)} images scored")
    return scores
