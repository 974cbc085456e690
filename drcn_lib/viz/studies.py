"""Figures and tables of the reproduction studies: ours beside the paper's, always labelled.

Inputs are the records of :mod:`drcn_lib.experiments.studies`. In every figure our measurements are
solid
lines or solid bars and the paper's values (Kim, Lee & Lee, CVPR 2016) are dashed or hatched
and carry "paper" in their label; titles state what OUR numbers show, computed from them, so a
result that disagrees with the paper gets a title that says so. Tables are Markdown strings
(cells ``PSNR/SSIM``; "-" where nothing was measured). Figures are detached from pyplot
(:mod:`drcn_lib.viz.figures`); the ``*_explorer`` functions wrap one in a slider.

Where a study holds the 256-filter models (GPU-trained, ``...-f256``), a third column or line
sets them beside ours (CPU) and the paper's, labelled ``BIG``; where it does not, nothing about
them is drawn or written.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure

from drcn_lib.engine.prediction import Prediction
from drcn_lib.errors import DRCNError
from drcn_lib.experiments import paper_numbers as paper
from drcn_lib.experiments.findings import MarkdownText
from drcn_lib.experiments.studies import (
    PAPER_SCALE_SOURCE,
    BenchmarkStudy,
    DepthStudy,
    EnsembleStudy,
    StudyBase,
)
from drcn_lib.protocol.pairs import SRPair
from drcn_lib.viz.figures import new_figure
from drcn_lib.viz.images import scored_psnr, show_pair
from drcn_lib.viz.widgets import SliderExplorer, slider_explorer

PAPER = "paper (Kim et al. 2016)"
BIG = "ours F=256 (GPU)"
OURS_COLOUR, PAPER_COLOUR, BIG_COLOUR = "tab:blue", "0.45", "tab:green"
METHODS = ("Bicubic", "SRCNN", "DRCN")
METHOD_COLOURS = {"Bicubic": "tab:gray", "SRCNN": "tab:orange", "DRCN": "tab:blue"}


def _titled(study: StudyBase, finding: str) -> str:
    """The finding, under a first line saying when our numbers cannot be set beside the
    paper's (untrained stand-ins, a subset of the images)."""
    if study.stand_in:
        return f"UNTRAINED stand-ins (smoke mode), not comparable:\n{finding}"
    if not study.complete:
        return f"{study.images} images only, not comparable with the paper:\n{finding}"
    return finding


def _note(study: StudyBase) -> list[str]:
    """An italic first line for a Markdown table whose numbers cannot be set beside the
    paper's; nothing when they can."""
    if study.stand_in:
        return ["*UNTRAINED stand-in models (smoke mode): these numbers test the code only.*",
                ""]
    if not study.complete:
        return [f"*{study.images} images only (a subset or stand-in images): not comparable "
                "with the paper.*", ""]
    return []


def depth_figure(study: DepthStudy) -> Figure:
    """PSNR (dB) against recursion depth D: our models (solid) and the paper's (dashed)."""
    fig, axes = new_figure(1, 1, size=(6.0, 4.0))
    ax = axes[0, 0]
    if study.paper:
        ds = sorted(study.paper)
        ax.plot(ds, [study.paper[d] for d in ds], "s--", color=PAPER_COLOUR,
                label=f"{PAPER}, Set5 x3")
    got = study.psnr_by_depth()
    ds = sorted(got)
    if ds:
        ax.plot(ds, [got[d] for d in ds], "o-", color=OURS_COLOUR, linewidth=2,
                label=f"ours, {study.set} x{study.scale}")
        for d in ds:
            ax.annotate(f"{got[d]:.2f}", (d, got[d]), textcoords="offset points",
                        xytext=(0, 7), ha="center", fontsize=8, color=OURS_COLOUR)
    big = study.paper_scale_by_depth()
    if big:
        bds = sorted(big)
        ax.plot(bds, [big[d] for d in bds], "^-", color=BIG_COLOUR, linewidth=2,
                label=f"{BIG}, {study.set} x{study.scale}")
    if len(ds) < 2:
        finding = "No shipped depth models yet: only the paper's curve" if not ds else \
            "One depth measured: no trend yet"
    elif all(got[a] < got[b] for a, b in zip(ds[:-1], ds[1:], strict=True)):
        finding = f"More recursions, higher PSNR: +{got[ds[-1]] - got[ds[0]]:.2f} dB " \
                  f"from D={ds[0]} to D={ds[-1]}"
    else:
        finding = "Our PSNR does not rise with every added recursion"
    ax.set_title(_titled(study, finding), fontsize=10)
    ax.set_xlabel("recursions D")
    ax.set_ylabel("PSNR (dB)")
    ax.set_xticks(sorted(set(ds) | set(study.paper) | set(big)) or [1, 6, 11, 16])
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    return fig


def ensemble_figure(study: EnsembleStudy, scales: tuple[int, ...] = (2, 3, 4)) -> Figure:
    """One panel per scale: PSNR of each output y_d (line) and of the ensemble (horizontal),
    ours solid, the paper's dashed (Set5)."""
    fig, axes = new_figure(1, len(scales), size=(4.6 * len(scales), 3.9))
    verdicts = []
    for ax, scale in zip(axes[0], scales, strict=True):
        curve = study.curve(scale)
        ref = paper.SINGLE_OUTPUTS_SET5.get(scale) if study.set == "Set5" else None
        if ref:
            ax.plot(range(1, len(ref) + 1), ref, "--", color=PAPER_COLOUR, marker=".",
                    label=f"{PAPER}: y_d")
            ax.axhline(paper.ENSEMBLE_SET5[scale], color=PAPER_COLOUR, linestyle=":",
                       label=f"{PAPER}: ensemble")
        if curve is None:
            ax.set_title(f"x{scale}: drcn-x{scale}-d16 not measured", fontsize=10)
        else:
            d, best = curve.best_single
            ax.plot(range(1, len(curve.single_psnr) + 1), curve.single_psnr, "o-",
                    color=OURS_COLOUR, markersize=3, label="ours: y_d alone")
            ax.axhline(curve.ensemble_psnr, color=OURS_COLOUR, linewidth=2,
                       label="ours: ensemble")
            big = study.curve(scale, paper_scale=True)
            if big is not None:
                ax.plot(range(1, len(big.single_psnr) + 1), big.single_psnr, "^-",
                        color=BIG_COLOUR, markersize=3, label=f"{BIG}: y_d alone")
                ax.axhline(big.ensemble_psnr, color=BIG_COLOUR, linewidth=2,
                           label=f"{BIG}: ensemble")
            gain = curve.ensemble_psnr - best
            verdicts.append(gain > 0)
            ax.set_title(f"x{scale}: ensemble {gain:+.2f} dB vs best y_d (d={d})", fontsize=10)
        ax.set_xlabel("intermediate output d")
        ax.set_ylabel(f"PSNR on {study.set} (dB)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="lower center")
    if not verdicts:
        finding = "No shipped 16-recursion models yet: the paper's curves only"
    elif all(verdicts):
        finding = "The ensemble beats every single output"
    else:
        finding = "The ensemble does NOT beat every single output at every scale"
    fig.suptitle(_titled(study, finding))
    fig.tight_layout()
    return fig


def _cell(study: BenchmarkStudy, set_name: str, scale: int, method: str, source: str) -> str:
    row = study.get(set_name, scale, method, source)
    return "-" if row is None else f"{row.psnr:.2f}/{row.ssim:.4f}"


def _has_big(study: BenchmarkStudy) -> bool:
    return any(r.source == PAPER_SCALE_SOURCE for r in study.rows)


def benchmark_markdown(study: BenchmarkStudy) -> MarkdownText:
    """Table 2 as Markdown: for Bicubic, SRCNN and DRCN, our PSNR/SSIM beside the paper's (and
    the 256-filter DRCN's beside them, when it was measured)."""
    big = _has_big(study)
    head = ["Set", "Scale"]
    for m in METHODS:
        head += [f"{m} ours", *([f"{m} {BIG}"] if big and m == "DRCN" else []),
                 f"{m} {PAPER}"]
    lines = [*_note(study), "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for set_name in study.sets:
        for scale in study.scales:
            cells = [set_name, f"x{scale}"]
            for m in METHODS:
                cells += [_cell(study, set_name, scale, m, "ours"),
                          *([_cell(study, set_name, scale, m, PAPER_SCALE_SOURCE)]
                            if big and m == "DRCN" else []),
                          _cell(study, set_name, scale, m, "paper")]
            lines.append("| " + " | ".join(cells) + " |")
    return MarkdownText("\n".join(lines))


def depth_markdown(study: DepthStudy) -> MarkdownText:
    """Recursion depth table: D, model, our PSNR/SSIM, (the 256-filter models' when measured,)
    the paper's PSNR."""
    big = {p.recursions: p for p in study.paper_scale}
    extra = f" {BIG} PSNR/SSIM |" if big else ""
    lines = [*_note(study),
             f"| D | model | ours PSNR/SSIM ({study.set} x{study.scale}) |{extra} "
             f"{PAPER} PSNR |",
             "|---|---|---|" + ("---|" if big else "") + "---|"]
    got = {p.recursions: p for p in study.points}
    for d in sorted(set(got) | set(study.paper) | set(big)):
        p = got.get(d)
        ours = "-" if p is None else f"{p.psnr:.2f}/{p.ssim:.4f}"
        name = p.model if p else "(not shipped)"
        ref = study.paper.get(d)
        b = big.get(d)
        cell = (" -" if b is None else f" {b.psnr:.2f}/{b.ssim:.4f}") + " |" if big else ""
        lines.append(f"| {d} | {name} | {ours} |{cell} "
                     f"{'-' if ref is None else f'{ref:.2f}'} |")
    return MarkdownText("\n".join(lines))


def ensemble_markdown(study: EnsembleStudy, scales: tuple[int, ...] = (2, 3, 4)
                      ) -> MarkdownText:
    """PSNR of each output d and of the ensemble, ours and the paper's, one column pair per
    scale."""
    head = ["d"]
    bigs = {s: study.curve(s, paper_scale=True) for s in scales}
    for s in scales:
        head += [f"x{s} ours", *([f"x{s} {BIG}"] if bigs[s] else []), f"x{s} paper"]
    lines = [*_note(study), "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    curves = {s: study.curve(s) for s in scales}
    depth = max([len(c.single_psnr) for c in curves.values() if c] + [16])

    def fmt(values: list[float] | None, i: int) -> str:
        return f"{values[i]:.2f}" if values and i < len(values) else "-"

    for i in range(depth):
        row = [str(i + 1)]
        for s in scales:
            c = curves[s]
            ref = c.paper_single if c else None
            if c is None and study.set == "Set5":
                ref = paper.SINGLE_OUTPUTS_SET5.get(s)
            big = bigs[s]
            row += [fmt(c.single_psnr if c else None, i),
                    *([fmt(big.single_psnr, i)] if big else []), fmt(ref, i)]
        lines.append("| " + " | ".join(row) + " |")
    row = ["**ensemble**"]
    for s in scales:
        c = curves[s]
        ref = paper.ENSEMBLE_SET5.get(s) if study.set == "Set5" else None
        big = bigs[s]
        row += ["-" if c is None else f"**{c.ensemble_psnr:.2f}**",
                *([f"**{big.ensemble_psnr:.2f}**"] if big else []),
                "-" if ref is None else f"{ref:.2f}"]
    lines.append("| " + " | ".join(row) + " |")
    return MarkdownText("\n".join(lines))


def benchmark_figure(study: BenchmarkStudy, scale: int) -> Figure:
    """PSNR bars per set at one scale: ours solid, the paper's hatched, for each method."""
    if scale not in study.scales:
        raise DRCNError(f"scale x{scale} was not measured; measured: {study.scales}")
    fig, axes = new_figure(1, 1, size=(max(7.0, 2.6 * len(study.sets) + 2), 4.6))
    ax = axes[0, 0]
    width = 0.13
    values: list[float] = []
    seen: set[str] = set()
    for i, set_name in enumerate(study.sets):
        for j, m in enumerate(METHODS):
            for k, source in enumerate(("ours", "paper")):
                row = study.get(set_name, scale, m, source)
                if row is None:
                    continue
                x = i + (2 * j + k - 2.5) * width
                label = f"{m} {'ours' if source == 'ours' else PAPER}"
                label, _ = (None, seen) if label in seen else (label, seen.add(label))
                ax.bar(x, row.psnr, width, color=METHOD_COLOURS[m],
                       alpha=1.0 if source == "ours" else 0.35,
                       hatch=None if source == "ours" else "//", edgecolor="black",
                       linewidth=0.4, label=label)
                values.append(row.psnr)
        big = study.get(set_name, scale, "DRCN", PAPER_SCALE_SOURCE)
        if big is not None:  # right of the DRCN pair
            ax.bar(i + 3.5 * width, big.psnr, width, color=BIG_COLOUR, edgecolor="black",
                   linewidth=0.4, label=None if i else f"DRCN {BIG}")
            values.append(big.psnr)
    ax.set_xticks(range(len(study.sets)))
    ax.set_xticklabels(study.sets)
    if values:
        ax.set_ylim(min(values) - 1.0, max(values) + 0.6)
    ax.set_ylabel(f"PSNR at x{scale} (dB)")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=7, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.08))
    ours, bic = (study.get(study.sets[0], scale, m) for m in ("DRCN", "Bicubic"))
    if ours is not None and bic is not None:
        ref = study.get(study.sets[0], scale, "DRCN", "paper")
        ref_bic = study.get(study.sets[0], scale, "Bicubic", "paper")
        paper_gain = (f"\n(paper: DRCN {ref.psnr - ref_bic.psnr:+.2f} dB over bicubic)"
                      if ref and ref_bic else "")
        finding = (f"x{scale}: our DRCN {ours.psnr - bic.psnr:+.2f} dB over bicubic on "
                   f"{study.sets[0]}{paper_gain}")
    else:
        finding = f"x{scale}: no shipped DRCN for this scale; bicubic and the paper only"
    ax.set_title(_titled(study, finding), fontsize=10)
    fig.tight_layout()
    return fig


def benchmark_explorer(study: BenchmarkStudy, value: int = 3) -> SliderExplorer:
    """A scale slider over :func:`benchmark_figure`."""
    start = value if value in study.scales else study.scales[0]
    return slider_explorer(lambda s: benchmark_figure(study, s), list(study.scales), start,
                           description="scale")


def depth_image_figure(pair: SRPair, predictions: Mapping[int, np.ndarray],
                       depth: int | None = None) -> Figure:
    """HR | LR | bicubic | DRCN with ``depth`` recursions (default: the deepest), zoomed, PSNRs
    in the titles; HR | LR | bicubic alone when there is no model to show."""
    if not predictions:
        return show_pair(pair, title=f"{pair.name} x{pair.scale}: no depth model shipped yet, "
                         "bicubic only")
    depth = max(predictions) if depth is None else depth
    if depth not in predictions:
        raise DRCNError(f"no model with D={depth}; measured depths: {sorted(predictions)}")
    return show_pair(pair, {f"DRCN D={depth}": predictions[depth]},
                     title=f"{pair.name} x{pair.scale}: DRCN with D={depth} recursions")


def depth_image_explorer(pair: SRPair, predictions: Mapping[int, np.ndarray],
                         draw_now: bool = False) -> SliderExplorer | str:
    """A D slider over :func:`depth_image_figure`; a sentence when no model is there.

    The figure appears at the first move (``draw_now=False``): lessons draw the default one with
    a plain call just above, and a large image drawn into the widget while a notebook runs
    headless (nbclient, ``tools/run_notebooks.py``) stalls the run for the cell timeout.
    """
    if not predictions:
        return "No depth model to show: none of drcn-x3-d{1,6,11,16} is shipped."
    depths = sorted(predictions)
    return slider_explorer(lambda d: depth_image_figure(pair, predictions, d), depths,
                           depths[-1], description="D", draw_now=draw_now)


def output_figure(pair: SRPair, predictions: Prediction | None,
                  d: int | None = None) -> Figure:
    """HR | LR | bicubic | y_d alone | ensemble (``d`` default: the best single output by
    PSNR on this image), zoomed, PSNRs in the titles; bicubic alone when there is no model."""
    if not predictions:
        return show_pair(pair, title=f"{pair.name} x{pair.scale}: no 16-recursion model "
                         "shipped yet, bicubic only")
    outs = range(1, predictions.depth + 1)
    if d is None:
        d = max(outs, key=lambda k: scored_psnr(predictions.at(k), pair))
    if d not in outs:
        raise DRCNError(f"no output y_{d}; this model has outputs d = {list(outs)}")
    return show_pair(pair, {f"y_{d} alone": predictions.at(d), "ensemble":
                            predictions.ensemble},
                     title=f"{pair.name} x{pair.scale}: output y_{d} beside the ensemble")


def start_weights(sidecar: Mapping[str, object], depth: int) -> np.ndarray:
    """The w_d a model started from: 1/D (the model's initialisation), or, for a depth grown
    from ``recursions_start`` = s during training, 1/s on the first s and 0 on the others (each
    later w_d starts at 0 when its recursion is switched on)."""
    start = (sidecar.get("preset") or {}).get("recursions_start")  # type: ignore[union-attr]
    if not start:
        return np.full(depth, 1.0 / depth)
    return np.array([1.0 / start if d < start else 0.0 for d in range(depth)])


def ensemble_weights_figure(models: Mapping[str, tuple[object, dict]]) -> Figure:
    """The learned ensemble weights w_d of each recursive-supervision DRCN in ``models``
    (bars per d), with the values they started from (black ticks, from each sidecar's preset:
    1/D, or 1 on w_1 and 0 on the others for a depth grown from 1); says so when there is none.
    """
    nets = {n: (m, s) for n, (m, s) in models.items()
            if getattr(m, "ensemble_weights", None) is not None}
    fig, axes = new_figure(1, 1, size=(7.0, 3.6))
    ax = axes[0, 0]
    width = 0.8 / max(len(nets), 1)
    starts = set()
    for i, (name, (net, side)) in enumerate(nets.items()):
        w = net.ensemble_weights.detach().float().cpu().numpy()  # type: ignore[union-attr]
        x = np.arange(1, len(w) + 1) + (i - (len(nets) - 1) / 2) * width
        ax.bar(x, w, width, label=f"{name} (sum {w.sum():.2f})")
        w0 = start_weights(side, len(w))
        starts.add("1/D" if np.allclose(w0, w0[0]) else f"{w0[0]:g} on w_1, 0 on the others")
        ax.plot(x, w0, "_", color="black", markersize=8)
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.set_xlabel("intermediate output d")
    ax.set_ylabel("learned weight w_d")
    ax.set_title(f"Learned ensemble weights w_d (ticks: where they started, "
                 f"{' / '.join(sorted(starts))})" if nets else
                 "No model with an ensemble to show", fontsize=10)
    if nets:
        ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def output_explorer(pair: SRPair, predictions: Prediction | None,
                    draw_now: bool = False) -> SliderExplorer | str:
    """A d slider over :func:`output_figure`; a sentence when there is no model. The figure
    appears at the first move, as in :func:`depth_image_explorer` (and for the same reason)."""
    if not predictions:
        return "No 16-recursion model to show: it is not shipped."
    depth = predictions.depth
    return slider_explorer(lambda d: output_figure(pair, predictions, d), range(1, depth + 1),
                           depth, description="d", draw_now=draw_now)
