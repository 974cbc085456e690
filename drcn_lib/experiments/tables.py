"""The reproduction studies as Markdown tables: ours beside the paper's, always labelled.

Inputs are the records of :mod:`drcn_lib.experiments.studies`; cells are ``PSNR/SSIM`` ("-"
where nothing was measured). The paper's columns say "paper"; the 256-filter models' column
(GPU-trained, ``...-f256``) appears only when the study measured them. Plain text, so
``RESULTS.md`` is written without plotting; :mod:`drcn_lib.viz.studies` draws the same studies.
"""

from __future__ import annotations

from drcn_lib.experiments import paper_numbers as paper
from drcn_lib.experiments.findings import MarkdownText
from drcn_lib.experiments.studies import (
    PAPER_SCALE_SOURCE,
    BenchmarkStudy,
    DepthStudy,
    EnsembleStudy,
    StudyBase,
)

PAPER = "paper (Kim et al. 2016)"
BIG = "ours F=256 (GPU)"
METHODS = ("Bicubic", "SRCNN", "DRCN")


def comparability_note(study: StudyBase) -> list[str]:
    """An italic first line for a Markdown table whose numbers cannot be set beside the
    paper's; nothing when they can."""
    if study.stand_in:
        return ["*UNTRAINED stand-in models (smoke mode): these numbers test the code only.*",
                ""]
    if not study.complete:
        return [f"*{study.images} images only (a subset or stand-in images): not comparable "
                "with the paper.*", ""]
    return []


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
    lines = [*comparability_note(study), "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
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
    lines = [*comparability_note(study),
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
    lines = [*comparability_note(study), "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
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
