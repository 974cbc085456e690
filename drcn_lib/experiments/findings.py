"""The closing findings of lessons 09 and 10, written from the measured numbers.

A paragraph typed into a notebook goes stale the day the weights are retrained, and a vague one
fits any outcome. These functions write each sentence from a study's records, beside the
paper's number where it has one (labelled), so the text and the table above it always agree.
They return Markdown bullet lists (a ``str`` that notebooks render as Markdown).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from drcn_lib.experiments import paper_numbers as paper
from drcn_lib.experiments.studies import DepthStudy, EnsembleStudy, StudyBase


class MarkdownText(str):
    """A string that a notebook shows rendered as Markdown (and a script as itself)."""

    def _repr_markdown_(self) -> str:
        return str(self)


def _caveat(study: StudyBase) -> list[str]:
    if study.stand_in:
        return ["- These models are untrained: the numbers below say nothing about DRCN."]
    if not study.complete:
        images = f"{study.images} image{'s' if study.images != 1 else ''}"
        return [f"- Measured on {images}, not the whole {study.set}: not "
                "comparable with the paper."]
    return []


def _steps(values: Mapping[int, float], ds: Sequence[int]) -> str:
    pairs = zip(ds[:-1], ds[1:], strict=True)
    return ", ".join(f"{a}→{b} {values[b] - values[a]:+.2f}" for a, b in pairs)


def depth_findings(study: DepthStudy) -> MarkdownText:
    """What depth bought our models (and the 256-filter ones), beside the paper's figure."""
    got, ref = study.psnr_by_depth(), study.paper
    lines = _caveat(study)
    if len(got) < 2:
        lines.append(f"- Only {len(got)} depth measured: no gain to read yet.")
        return MarkdownText("\n".join(lines))
    ds = sorted(got)
    lo, hi = ds[0], ds[-1]
    gain = got[hi] - got[lo]
    text = f"- Our models gain **{gain:+.2f} dB** from D = {lo} to D = {hi}"
    if lo in ref and hi in ref:
        pgain = ref[hi] - ref[lo]
        text += f"; the paper's gain over the same depths is {pgain:+.2f} dB"
        if pgain > 0:
            text += f", so ours is {gain / pgain:.0%} of it"
    lines.append(text + ".")
    if len(ds) > 2:
        biggest = max(zip(ds[:-1], ds[1:], strict=True), key=lambda ab: got[ab[1]] - got[ab[0]])
        line = (f"- Step by step (dB): {_steps(got, ds)}; the largest step is "
                f"D = {biggest[0]}→{biggest[1]}")
        if all(d in ref for d in ds):
            line += f" (paper: {_steps(ref, ds)})"
        lines.append(line + ".")
    if hi in ref:
        gap = ref[hi] - got[hi]
        lines.append(f"- At D = {hi} ours scores {got[hi]:.2f} dB, {abs(gap):.2f} dB "
                     f"{'below' if gap > 0 else 'above'} the paper's {ref[hi]:.2f}.")
    big = study.paper_scale_by_depth()
    if big:
        bd = sorted(big)
        line = (f"- The paper's network (256 filters, trained on a GPU) scores "
                f"{', '.join(f'{big[d]:.2f} dB at D = {d}' for d in bd)}")
        if hi in big:
            line += f": {big[hi] - got[hi]:+.2f} dB against ours at D = {hi}"
        if len(bd) >= 2:
            line += f"; its gain from D = {bd[0]} to {bd[-1]} is {big[bd[-1]] - big[bd[0]]:+.2f} dB"
        lines.append(line + ".")
    return MarkdownText("\n".join(lines))


def ensemble_findings(study: EnsembleStudy) -> MarkdownText:
    """Per scale: the best single output, the ensemble's margin, the last output; the paper's
    beside each where it has one."""
    lines = _caveat(study)
    if not study.curves:
        return MarkdownText("\n".join([*lines, "- No 16-recursion model measured."]))
    for c in study.curves:
        d, best = c.best_single
        last = c.single_psnr[-1]
        line = (f"- x{c.scale}: the best single output is **y_{d}** ({best:.2f} dB); the "
                f"ensemble scores {c.ensemble_psnr:.2f} dB, **{c.ensemble_psnr - best:+.2f} dB** "
                f"over it; the last output y_{len(c.single_psnr)} alone scores {last:.2f} dB "
                f"({last - c.ensemble_psnr:+.2f} against the ensemble)")
        if c.paper_single and c.paper_ensemble is not None:
            pd = c.paper_single.index(max(c.paper_single)) + 1
            line += (f". Paper: best y_{pd}, ensemble margin "
                     f"{c.paper_ensemble - max(c.paper_single):+.2f} dB, y_16 "
                     f"{c.paper_single[-1] - c.paper_ensemble:+.2f} dB")
        lines.append(line + ".")
    first = study.curve(3)
    if first is not None and first.paper_single:
        lines.append(f"- Our first output y_1 at x3 scores {first.single_psnr[0]:.2f} dB against "
                     f"the paper's {first.paper_single[0]:.2f}: the earlier our outputs are "
                     "already good, the less the ensemble has to add.")
    big = study.curve(3, paper_scale=True)
    if big is not None:
        bd, bbest = big.best_single
        lines.append(f"- The paper's network (256 filters, GPU) at x3: best single output "
                     f"y_{bd} ({bbest:.2f} dB), ensemble {big.ensemble_psnr:.2f} dB "
                     f"({big.ensemble_psnr - bbest:+.2f}).")
    return MarkdownText("\n".join(lines))


def weights_findings(models: Mapping[str, tuple[Any, dict]]) -> MarkdownText:
    """Where each model's learned w_d put its trust: the largest, the negative ones, the sum."""
    lines = []
    for name, (model, _side) in models.items():
        w = getattr(model, "ensemble_weights", None)
        if w is None:
            continue
        v = w.detach().float().cpu().tolist()
        top = max(range(len(v)), key=lambda i: v[i])
        neg = [i + 1 for i, x in enumerate(v) if x < 0]
        lines.append(
            f"- {name}: the largest weight is w_{top + 1} = {v[top]:.2f}; "
            + (f"negative on d = {', '.join(map(str, neg))}; " if neg else "none negative; ")
            + f"the weights sum to {sum(v):.2f}.")
    return MarkdownText("\n".join(lines) or "- No model with learned ensemble weights.")


def paper_depth_gain() -> float:
    """The paper's Set5 x3 gain from D = 1 to D = 16 (dB), for exercises' hints."""
    ref = paper.RECURSION_DEPTH_SET5_X3
    return ref[16] - ref[1]
