"""The paper's three result studies, measured on our own models, as plain records.

* :func:`recursion_depth_study`: Set5 x3 PSNR of separate models with D = 1, 6, 11, 16
  recursions (the paper's recursion-depth figure);
* :func:`ensemble_study`: Set5 PSNR of every intermediate output y_d (d = 1..16) and of the
  ensemble, for the 16-recursion models at x2, x3, x4 (the paper's single-output figure);
* :func:`benchmark_study`: PSNR/SSIM of bicubic, SRCNN and DRCN on the benchmark sets present
  (the paper's Table 2).

Each takes ``models = {registry name: (model, sidecar)}`` (see :mod:`drcn_lib.runs.study_models`);
``None`` loads whichever shipped weights exist. Models of the optional 256-filter family
(``...-f256``, :data:`drcn_lib.pretrained.PAPER_SCALE`, trained on a GPU) in ``models`` are
measured apart, into the ``paper_scale*`` fields: a third column beside ours (CPU) and the
paper's, present only when those weights are. Models that are needed but absent are listed in
the result's ``missing`` with the command that trains them, never silently skipped. The paper's
numbers ride along in separate, labelled fields (``paper_*``; ``source="paper"``) so a figure or
table can set them beside ours; nothing here ever reports them as ours. Scores are those of
:mod:`drcn_lib.evaluate` and are cached by :mod:`drcn_lib.experiments.scores`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from drcn_lib.data.registry import TEST_SETS, find_set, set_status
from drcn_lib.engine.prediction import Prediction, predict_y
from drcn_lib.experiments import paper_numbers as paper
from drcn_lib.experiments.scores import ImageSet, ScoreCache, load_image_set, score_model
from drcn_lib.model.drcn_arch import DRCN
from drcn_lib.pretrained import available_paper_scale, is_paper_scale, pretrained
from drcn_lib.protocol.image_io import load_image
from drcn_lib.protocol.pairs import SRPair, benchmark_pair
from drcn_lib.runs.study_models import (
    DEPTH_NAMES,
    SCALES,
    SRCNN_NAME,
    Models,
    describe_model,
    how_to_train,
    is_stand_in,
    model_scale,
    shipped_models,
)

Log = Callable[[str], None] | None


@dataclass(frozen=True)
class DepthPoint:
    """Our PSNR/SSIM (dB, mean over the set) of one model with D recursions, and the paper's."""

    recursions: int
    model: str
    psnr: float
    ssim: float
    paper_psnr: float | None


@dataclass
class StudyBase:
    """What every study says about its data and models, so no number is read out of context.

    ``complete``: every image of the paper's set was used (no subset, no stand-in images).
    ``stand_in``: at least one model is an untrained stand-in (smoke mode).
    ``models``: name -> where its weights come from. ``missing``: name -> how to train it.
    """

    set: str
    images: int
    complete: bool
    stand_in: bool
    models: dict[str, str]
    missing: dict[str, str]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict (integer output names become strings only in JSON itself)."""
        return asdict(self)


@dataclass
class DepthStudy(StudyBase):
    """Recursion depth versus PSNR at one scale; ``points`` sorted by D."""

    scale: int = 3
    points: list[DepthPoint] = field(default_factory=list)
    paper: dict[int, float] = field(default_factory=dict)
    # training settings (besides D) on which the models disagree: then D is not the only
    # difference between them, and the depth claim cannot be read from them
    training_differs: list[str] = field(default_factory=list)
    # the 256-filter models (GPU-trained) of the same study, when their weights are present
    paper_scale: list[DepthPoint] = field(default_factory=list)

    def psnr_by_depth(self) -> dict[int, float]:
        """``{D: our PSNR}`` for the depths measured (the CPU family)."""
        return {p.recursions: p.psnr for p in self.points}

    def paper_scale_by_depth(self) -> dict[int, float]:
        """``{D: PSNR}`` of the 256-filter models measured (empty when none is present)."""
        return {p.recursions: p.psnr for p in self.paper_scale}


@dataclass(frozen=True)
class EnsembleCurve:
    """One D-recursion model at one scale: PSNR/SSIM of y_1..y_D (lists, index d-1) and of the
    ensemble; the paper's values for the same scale (``None`` where it has none)."""

    scale: int
    model: str
    single_psnr: list[float]
    single_ssim: list[float]
    ensemble_psnr: float
    ensemble_ssim: float
    paper_single: list[float] | None
    paper_ensemble: float | None

    @property
    def best_single(self) -> tuple[int, float]:
        """``(d, PSNR)`` of the best intermediate output (the first one on a tie)."""
        best = max(range(len(self.single_psnr)), key=lambda i: (self.single_psnr[i], -i))
        return best + 1, self.single_psnr[best]


@dataclass
class EnsembleStudy(StudyBase):
    """Single outputs versus the ensemble, one :class:`EnsembleCurve` per scale measured."""

    curves: list[EnsembleCurve] = field(default_factory=list)
    paper_scale_curves: list[EnsembleCurve] = field(default_factory=list)  # 256 filters, GPU

    def curve(self, scale: int, paper_scale: bool = False) -> EnsembleCurve | None:
        """The curve at ``scale`` of our CPU model, or of the 256-filter one."""
        curves = self.paper_scale_curves if paper_scale else self.curves
        return next((c for c in curves if c.scale == scale), None)


@dataclass(frozen=True)
class BenchmarkRow:
    """One cell of the benchmark table: ``method`` (Bicubic, SRCNN, DRCN) on ``set`` at
    ``scale``, ``source`` "ours" (measured here, ``model`` names the weights), "ours-f256"
    (measured here, the 256-filter GPU-trained DRCN) or "paper"."""

    set: str
    scale: int
    method: str
    source: str
    psnr: float
    ssim: float
    model: str | None = None


@dataclass
class BenchmarkStudy(StudyBase):
    """Table 2 for the sets present. ``set`` is "+"-joined; per-set facts are in the dicts."""

    sets: list[str] = field(default_factory=list)
    scales: list[int] = field(default_factory=list)
    rows: list[BenchmarkRow] = field(default_factory=list)
    set_images: dict[str, int] = field(default_factory=dict)
    set_complete: dict[str, bool] = field(default_factory=dict)

    def get(self, set_name: str, scale: int, method: str, source: str = "ours"
            ) -> BenchmarkRow | None:
        """The row for that cell, or None when it was not measured (or the paper has none)."""
        for r in self.rows:
            if (r.set, r.scale, r.method, r.source) == (set_name, scale, method, source):
                return r
        return None


def sample_pair(set_name: str = "Set5", image: str = "butterfly", scale: int = 3,
                fallback: bool = True) -> SRPair:
    """One benchmark problem to look at: ``image`` of ``set_name`` (its first image when that
    one is absent, e.g. on the scikit-image stand-ins) at ``scale``."""
    paths = find_set(set_name, fallback=fallback)
    path = next((p for p in paths if p.stem == image), paths[0])
    return benchmark_pair(load_image(path), scale, name=path.stem)


def depth_predictions(models: Models, pair: SRPair, device: str = "cpu",
                      paper_scale: bool = False) -> dict[int, np.ndarray]:
    """``{D: ensemble Y prediction}`` of every DRCN in ``models`` trained for ``pair.scale``:
    the CPU family, or with ``paper_scale`` the 256-filter one."""
    preds = {}
    for name, (model, side) in models.items():
        if is_paper_scale(name) != paper_scale:
            continue
        if isinstance(model, DRCN) and model_scale(name, side) == pair.scale:
            preds[model.recursions] = predict_y(model, pair.bicubic_y, device=device,
                                                intermediates=False).ensemble
    return dict(sorted(preds.items()))


def output_predictions(models: Models, name: str, pair: SRPair, device: str = "cpu"
                       ) -> Prediction | None:
    """Every output (the ensemble and y_1..y_D) of model ``name`` on ``pair``; None if absent."""
    if name not in models:
        return None
    return predict_y(models[name][0], pair.bicubic_y, device=device)


def benchmark_from_results(path: Path) -> BenchmarkStudy | None:
    """The benchmark study stored in a ``results.json`` of ``drcn reproduce``; None if absent."""
    path = Path(path)
    if not path.is_file():
        return None
    import json

    data = json.loads(path.read_text()).get("benchmark")
    if not data:
        return None
    data["rows"] = [BenchmarkRow(**r) for r in data["rows"]]
    return BenchmarkStudy(**data)


def present_test_sets(data_root: Path | None = None) -> list[str]:
    """The paper's test sets (Set5, Set14, B100, Urban100) complete under ``DRCN_DATA``."""
    return [s for s in TEST_SETS if set_status(s, data_root).state == "present"]


PAPER_SCALE_SOURCE = "ours-f256"


def paper_scale_models(smoke: bool = False, device: str = "cpu", log: Log = print) -> Models:
    """The 256-filter models whose weights are present, loaded; none in smoke mode (a forward
    pass of the paper's network on a CPU takes seconds per image) or when none is present."""
    if smoke:
        return {}
    models = {n: pretrained(n, device=device) for n in available_paper_scale()}
    for name, (_m, side) in models.items():
        if log is not None:
            log(f"{name}: the paper's network (256 filters), {describe_model(side)}")
    return models


def _models(models: Models | None, needed: Sequence[str], device: str) -> Models:
    if models is not None:
        return models
    return {**shipped_models(needed, device=device), **paper_scale_models(device=device,
                                                                         log=None)}


def _split(models: Models) -> tuple[Models, Models]:
    """``(CPU family, 256-filter family)`` of ``models``."""
    return ({n: v for n, v in models.items() if not is_paper_scale(n)},
            {n: v for n, v in models.items() if is_paper_scale(n)})


def _base(images: ImageSet, models: Models, used: Sequence[str], needed: Sequence[str]
          ) -> dict[str, Any]:
    return {
        "set": images.name, "images": len(images.images), "complete": images.complete,
        "stand_in": any(is_stand_in(models[n][1]) for n in used),
        "models": {n: describe_model(models[n][1]) for n in used},
        "missing": {n: how_to_train(n) for n in needed if n not in models},
    }


def differing_settings(sidecars: Sequence[Mapping[str, Any]],
                       ignore: Sequence[str] = ("recursions", "name")) -> list[str]:
    """The training-config fields (sidecar ``preset``) whose values differ between runs."""
    from drcn_lib.engine.presets import with_defaults

    configs = [with_defaults(side.get("preset") or {}) for side in sidecars
               if side.get("preset") and not is_stand_in(side)]
    keys = sorted({k for c in configs for k in c} - set(ignore))
    return [k for k in keys if len({repr(c.get(k)) for c in configs}) > 1]


def recursion_depth_study(
    models: Models | None = None,
    set_name: str = "Set5",
    scale: int = 3,
    limit: int | None = None,
    fallback: bool = False,
    device: str = "cpu",
    cache: ScoreCache | None = None,
    progress: Log = None,
) -> DepthStudy:
    """PSNR of each DRCN trained for ``scale`` in ``models`` (default: the shipped
    ``drcn-x3-d{1,6,11,16}``) on ``set_name``, by depth D, beside the paper's Set5 x3 values.

    ``limit`` keeps the first images only (smoke mode); ``fallback`` allows the scikit-image
    stand-in images when the set is missing. Either makes the study ``complete=False``.
    """
    models, big = _split(_models(models, DEPTH_NAMES, device))
    images = load_image_set(set_name, limit, fallback)
    reference = paper.RECURSION_DEPTH_SET5_X3 if (set_name, scale) == ("Set5", 3) else {}

    def measure(family: Models) -> tuple[list[str], list[DepthPoint]]:
        used = sorted((n for n, (m, side) in family.items()
                       if isinstance(m, DRCN) and model_scale(n, side) == scale),
                      key=lambda n: family[n][0].recursions)
        points = []
        for name in used:
            model = family[name][0]
            ens = score_model(model, images, scale, device, cache=cache, progress=progress,
                              intermediates=False).ensemble
            points.append(DepthPoint(model.recursions, name, ens[0], ens[1],
                                     reference.get(model.recursions)))
        return used, points

    used, points = measure(models)
    _big_used, big_points = measure(big)
    return DepthStudy(**_base(images, models, used, DEPTH_NAMES), scale=scale, points=points,
                      paper=dict(reference),
                      training_differs=differing_settings([models[n][1] for n in used]),
                      paper_scale=big_points)


def ensemble_study(
    models: Models | None = None,
    scales: Sequence[int] = SCALES,
    set_name: str = "Set5",
    limit: int | None = None,
    fallback: bool = False,
    device: str = "cpu",
    cache: ScoreCache | None = None,
    progress: Log = None,
) -> EnsembleStudy:
    """PSNR/SSIM of every output y_d and of the ensemble of ``drcn-x{s}-d16`` for each scale s,
    on ``set_name`` (default Set5), beside the paper's figure (Set5 only)."""
    needed = [f"drcn-x{s}-d16" for s in scales]
    models, big = _split(_models(models, needed, device))
    images = load_image_set(set_name, limit, fallback)
    on_set5 = set_name == "Set5"

    def measure(family: Models, names: Sequence[str]) -> list[EnsembleCurve]:
        curves = []
        for name in (n for n in names if n in family):
            scale = model_scale(name, family[name][1])
            scores = score_model(family[name][0], images, scale, device, cache=cache,
                                 progress=progress)
            curves.append(EnsembleCurve(
                scale, name, [p for p, _ in scores.outputs], [s for _, s in scores.outputs],
                scores.ensemble[0], scores.ensemble[1],
                paper.SINGLE_OUTPUTS_SET5.get(scale) if on_set5 else None,
                paper.ENSEMBLE_SET5.get(scale) if on_set5 else None))
        return curves

    used = [n for n in needed if n in models]
    return EnsembleStudy(**_base(images, models, used, needed), curves=measure(models, needed),
                         paper_scale_curves=measure(big, [f"{n}-f256" for n in needed]))


def benchmark_study(
    models: Models | None = None,
    sets: Sequence[str] | None = None,
    scales: Sequence[int] = SCALES,
    limit: int | None = None,
    fallback: bool = False,
    device: str = "cpu",
    cache: ScoreCache | None = None,
    progress: Log = None,
) -> BenchmarkStudy:
    """Bicubic, SRCNN (``srcnn-x{s}``) and DRCN (``drcn-x{s}-d16``) on each set and scale, ours
    measured and the paper's Table 2 labelled (``source``). ``sets`` defaults to the test sets
    present (:func:`present_test_sets`), or Set5 with ``fallback``."""
    needed = [*(f"drcn-x{s}-d16" for s in scales), *([SRCNN_NAME] if 3 in scales else [])]
    models = _models(models, needed, device)
    sets = list(sets) if sets is not None else (present_test_sets() or ["Set5"])
    rows: list[BenchmarkRow] = []
    counts, complete, used = {}, {}, []
    for set_name in sets:
        images = load_image_set(set_name, limit, fallback)
        counts[images.name], complete[images.name] = len(images.images), images.complete
        for scale in scales:
            b = score_model(None, images, scale, cache=cache).ensemble
            rows.append(BenchmarkRow(images.name, scale, "Bicubic", "ours", b[0], b[1]))
            for method, name in (("SRCNN", f"srcnn-x{scale}"), ("DRCN", f"drcn-x{scale}-d16")):
                if name in models:
                    used += [name] if name not in used else []
                    s = score_model(models[name][0], images, scale, device, cache=cache,
                                    progress=progress, intermediates=False).ensemble
                    rows.append(BenchmarkRow(images.name, scale, method, "ours", s[0], s[1],
                                             name))
            big = f"drcn-x{scale}-d16-f256"
            if big in models:
                s = score_model(models[big][0], images, scale, device, cache=cache,
                                progress=progress, intermediates=False).ensemble
                rows.append(BenchmarkRow(images.name, scale, "DRCN", PAPER_SCALE_SOURCE, s[0],
                                         s[1], big))
            for method in ("Bicubic", "SRCNN", "DRCN"):
                ref = paper.paper(images.name, scale, method)
                if ref is not None:
                    rows.append(BenchmarkRow(images.name, scale, method, "paper", *ref))
    base = {
        "set": "+".join(counts), "images": sum(counts.values()),
        "complete": bool(complete) and all(complete.values()),
        "stand_in": any(is_stand_in(models[n][1]) for n in used),
        "models": {n: describe_model(models[n][1]) for n in used},
        "missing": {n: how_to_train(n) for n in needed if n not in models},
    }
    return BenchmarkStudy(**base, sets=list(counts), scales=list(scales), rows=rows,
                          set_images=counts, set_complete=complete)
