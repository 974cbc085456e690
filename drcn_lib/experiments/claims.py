"""The three things our reproduction must show, checked on measured study results.

1. Deeper recursion helps: D = 1 < 6 < 11 < 16 in Set5 x3 PSNR (:func:`check_depth`).
2. The ensemble of intermediate outputs beats every single output y_d on Set5 at x2, x3 and x4
   (:func:`check_ensemble`, one verdict per scale).
3. Our x3 DRCN with D = 16 beats SRCNN: the paper's published 32.75 dB on Set5 and our own SRCNN
   trained by the same engine for the same wall-clock time (:func:`check_srcnn`).

Each check returns a :class:`Verdict` whose ``line`` states the outcome WITH the numbers, so a
lesson or ``RESULTS.md`` prints it as is. A claim is "not checked" (``holds=None``), never
passed, when its numbers are missing or cannot support it: models not shipped, untrained
stand-ins, a subset of the set or stand-in images. Nothing here rounds a near miss into a pass.
"""

from __future__ import annotations

from dataclasses import dataclass

from drcn_lib.experiments import paper_numbers as paper
from drcn_lib.experiments.studies import BenchmarkStudy, DepthStudy, EnsembleStudy, StudyBase
from drcn_lib.runs.study_models import DEPTHS, SCALES, SRCNN_NAME

HOLDS, FAILS, NOT_CHECKED = "HOLDS", "DOES NOT HOLD", "NOT CHECKED"


@dataclass(frozen=True)
class Verdict:
    """``holds``: True, False, or None when the claim could not be checked; ``detail`` gives
    the numbers (dB) or the reason it was not checked."""

    claim: str
    holds: bool | None
    detail: str

    @property
    def status(self) -> str:
        return {True: HOLDS, False: FAILS, None: NOT_CHECKED}[self.holds]

    @property
    def line(self) -> str:
        """``"[HOLDS] claim: detail"``, the form printed in lessons and RESULTS.md."""
        return f"[{self.status}] {self.claim}: {self.detail}"


def _unusable(study: StudyBase, set_name: str) -> str | None:
    """Why ``study`` cannot support a claim about ``set_name``, or None when it can."""
    if study.stand_in:
        return "measured on untrained stand-in models (smoke mode), which prove only the code path"
    if study.set != set_name:
        return f"measured on {study.set}, not {set_name}"
    if not study.complete:
        return f"measured on {study.images} images that are not the whole of {set_name}"
    return None


def check_depth(study: DepthStudy) -> Verdict:
    """Claim 1: PSNR rises strictly with D over D = 1, 6, 11, 16 (Set5 x3).

    With some depths missing, a fall between two measured depths already refutes the chain;
    otherwise the claim waits for the missing models (not checked).
    """
    claim = "D = 1 < 6 < 11 < 16 on Set5 x3"
    got = study.psnr_by_depth()
    measured = [d for d in DEPTHS if d in got]
    absent = [d for d in DEPTHS if d not in got]
    if not measured:
        return Verdict(claim, None, f"no measurement: {_names(absent)} not shipped")
    why = _unusable(study, "Set5") or (None if study.scale == 3 else f"scale x{study.scale}")
    numbers = ", ".join(f"D={d}: {got[d]:.2f}" for d in measured)
    ref = ", ".join(f"{study.paper[d]:.2f}" for d in measured if d in study.paper)
    numbers += f" dB (paper: {ref})" if ref else " dB"
    if why:
        return Verdict(claim, None, f"{why}; {numbers}")
    if study.training_differs:
        return Verdict(claim, None, f"{numbers}; not a same-training comparison: the models "
                       f"also differ in {', '.join(study.training_differs)} (see their sidecars)")
    steps = list(zip(measured[:-1], measured[1:], strict=True))
    breaks = [f"D={a} -> {b}: {got[b] - got[a]:+.2f} dB" for a, b in steps
              if not got[a] < got[b]]
    if breaks:
        return Verdict(claim, False, f"{numbers}; no gain at {'; '.join(breaks)}")
    if absent:
        return Verdict(claim, None, f"{numbers}; rising so far, but {_names(absent)} not "
                       "shipped")
    return Verdict(claim, True, numbers)


def _names(depths: list[int]) -> str:
    return ", ".join(f"drcn-x3-d{d}" for d in depths)


def check_ensemble(study: EnsembleStudy, scales: tuple[int, ...] = SCALES) -> list[Verdict]:
    """Claim 2, one verdict per scale: ensemble PSNR > max_d PSNR(y_d) on Set5."""
    verdicts = []
    for scale in scales:
        claim = f"the ensemble beats every single output on Set5 x{scale}"
        curve = study.curve(scale)
        if curve is None:
            name = f"drcn-x{scale}-d16"
            why = "is not shipped" if name in study.missing else "was not measured"
            verdicts.append(Verdict(claim, None, f"{name} {why}"))
            continue
        d, best = curve.best_single
        numbers = (f"ensemble {curve.ensemble_psnr:.2f} dB vs best single output y_{d} "
                   f"{best:.2f} dB ({curve.ensemble_psnr - best:+.2f} dB); last output "
                   f"y_{len(curve.single_psnr)} {curve.single_psnr[-1]:.2f} dB")
        if curve.paper_ensemble is not None and curve.paper_single:
            numbers += (f" (paper: ensemble {curve.paper_ensemble:.2f}, best single "
                        f"{max(curve.paper_single):.2f})")
        why = _unusable(study, "Set5")
        if why:
            verdicts.append(Verdict(claim, None, f"{why}; {numbers}"))
        else:
            verdicts.append(Verdict(claim, curve.ensemble_psnr > best, numbers))
    return verdicts


def check_srcnn(study: BenchmarkStudy) -> Verdict:
    """Claim 3: our drcn-x3-d16 beats the paper's SRCNN (32.75 dB) and our same-budget
    ``srcnn-x3`` on Set5 x3."""
    claim = (f"our x3 D=16 beats SRCNN's published {paper.SRCNN_SET5_X3:.2f} dB and our "
             "same-budget SRCNN on Set5 x3")
    drcn = study.get("Set5", 3, "DRCN")
    srcnn = study.get("Set5", 3, "SRCNN")
    lacking = [n for n, row in (("drcn-x3-d16", drcn), (SRCNN_NAME, srcnn)) if row is None]
    if drcn is None:
        return Verdict(claim, None, f"no Set5 x3 measurement for {', '.join(lacking)}")
    numbers = f"ours DRCN {drcn.psnr:.2f} dB vs SRCNN paper {paper.SRCNN_SET5_X3:.2f} dB"
    numbers += (f" ({drcn.psnr - paper.SRCNN_SET5_X3:+.2f})")
    if srcnn is not None:
        numbers += f", vs our SRCNN {srcnn.psnr:.2f} dB ({drcn.psnr - srcnn.psnr:+.2f})"
    why = None
    if study.stand_in:
        why = _unusable(study, "Set5")
    elif not study.set_complete.get("Set5", False):
        why = f"measured on {study.set_images.get('Set5', 0)} images that are not the whole Set5"
    if why:
        return Verdict(claim, None, f"{why}; {numbers}")
    if srcnn is None:
        if drcn.psnr <= paper.SRCNN_SET5_X3:  # the published bar alone already refutes it
            return Verdict(claim, False, f"{numbers}; the published bar is not beaten "
                           f"({SRCNN_NAME} is not shipped yet)")
        return Verdict(claim, None, f"{numbers}; {SRCNN_NAME} is not shipped, so only the "
                       "published bar was checked (beaten)")
    return Verdict(claim, drcn.psnr > paper.SRCNN_SET5_X3 and drcn.psnr > srcnn.psnr, numbers)


def check_all(depth: DepthStudy | None, ensemble: EnsembleStudy | None,
              benchmark: BenchmarkStudy | None) -> list[Verdict]:
    """Every claim whose study was run, in the order of the paper's figures."""
    verdicts: list[Verdict] = []
    if depth is not None:
        verdicts.append(check_depth(depth))
    if ensemble is not None:
        verdicts += check_ensemble(ensemble)
    if benchmark is not None:
        verdicts.append(check_srcnn(benchmark))
    return verdicts


def verdict_lines(verdicts: list[Verdict]) -> str:
    """One verdict per line, ready to print."""
    return "\n".join(v.line for v in verdicts)
