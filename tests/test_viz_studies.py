"""Study figures: ours and the paper's both drawn, labelled, and titles that follow OUR data."""

from __future__ import annotations

import numpy as np
import pytest
from study_fixtures import BASE, benchmark_study, depth_study, ensemble_curve

from drcn_lib.engine.prediction import Prediction
from drcn_lib.errors import DRCNError
from drcn_lib.experiments import paper_numbers as paper
from drcn_lib.experiments.studies import BenchmarkRow, BenchmarkStudy, DepthStudy, EnsembleStudy
from drcn_lib.protocol.pairs import benchmark_pair
from drcn_lib.viz import studies as vs


def depth(values: dict[int, float], **over) -> DepthStudy:
    return depth_study(values, paper_points=False, **over)  # no paper PSNR in the points


def labels(fig) -> list[str]:
    return [lab for ax in fig.axes for lab in ax.get_legend_handles_labels()[1]]


def test_depth_title_follows_our_numbers_not_the_papers():
    rising = vs.depth_figure(depth({1: 31.0, 16: 32.0}))
    assert rising.axes[0].get_title().startswith("More recursions, higher PSNR: +1.00 dB")
    assert any("paper" in lab for lab in labels(rising)) and "ours, Set5 x3" in labels(rising)
    flat = vs.depth_figure(depth({1: 31.0, 6: 31.2, 16: 31.1}))
    assert "does not rise" in flat.axes[0].get_title()
    empty = vs.depth_figure(depth({}))
    assert "only the paper's curve" in empty.axes[0].get_title()
    assert "UNTRAINED" in vs.depth_figure(depth({1: 1.0}, stand_in=True)).axes[0].get_title()


def test_ensemble_figure_one_panel_per_scale():
    c = ensemble_curve(3, [31.0, 32.0], 32.5)
    fig = vs.ensemble_figure(EnsembleStudy(**BASE, curves=[c]))
    assert len(fig.axes) == 3
    assert fig.axes[1].get_title() == "x3: ensemble +0.50 dB vs best y_d (d=2)"
    assert "not measured" in fig.axes[0].get_title()
    assert fig._suptitle.get_text() == "The ensemble beats every single output"
    assert sum("paper" in lab for lab in labels(fig)) == 6  # y_d and ensemble, 3 scales
    worse = ensemble_curve(3, [31.0, 32.0], 31.9, model="m", paper_values=False)
    fig = vs.ensemble_figure(EnsembleStudy(**BASE, curves=[worse]))
    assert "does NOT beat" in fig._suptitle.get_text()


def bench() -> BenchmarkStudy:
    rows = [BenchmarkRow("Set5", 3, "Bicubic", "ours", 30.39, 0.8682),
            BenchmarkRow("Set5", 3, "DRCN", "ours", 32.50, 0.9000, "drcn-x3-d16")]
    rows += [BenchmarkRow("Set5", 3, m, "paper", *paper.TABLE2["Set5"][3][m])
             for m in ("Bicubic", "SRCNN", "DRCN")]
    return benchmark_study(rows)


def test_benchmark_table_labels_the_papers_columns():
    text = vs.benchmark_markdown(bench())
    head, _, row = text.splitlines()
    assert "DRCN ours" in head and "DRCN paper (Kim et al. 2016)" in head
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells == ["Set5", "x3", "30.39/0.8682", "30.39/0.8682", "-", "32.75/0.9090",
                     "32.50/0.9000", "33.82/0.9226"]


def test_benchmark_figure_and_its_scale_slider():
    fig = vs.benchmark_figure(bench(), 3)
    assert fig.axes[0].get_title().startswith("x3: our DRCN +2.11 dB over bicubic on Set5")
    assert "(paper: DRCN +3.43 dB over bicubic)" in fig.axes[0].get_title()
    with pytest.raises(DRCNError, match="measured: \\[3\\]"):
        vs.benchmark_figure(bench(), 2)
    explorer = vs.benchmark_explorer(bench(), value=4)  # absent scale: starts at the first
    assert explorer.last == 3 and explorer.calls == 1


def test_depth_and_output_sliders_redraw():
    rng = np.random.default_rng(0)
    pair = benchmark_pair((rng.random((48, 48)) * 255).astype(np.uint8), 3, name="noise")
    preds = {1: pair.bicubic_y, 6: pair.bicubic_y + 1.0}
    explorer = vs.depth_image_explorer(pair, preds)  # drawn at the first move only
    assert (explorer.control.value, explorer.calls) == (6, 0)
    explorer.redraw(1)
    assert (explorer.last, explorer.calls) == (1, 1)
    assert vs.depth_image_explorer(pair, preds, draw_now=True).last == 6
    with pytest.raises(DRCNError, match="measured depths: \\[1, 6\\]"):
        vs.depth_image_figure(pair, preds, 16)
    assert "drcn-x3-d" in vs.depth_image_explorer(pair, {})
    assert "bicubic only" in vs.depth_image_figure(pair, {})._suptitle.get_text()
    assert any("D=6" in ax.get_title() for ax in vs.depth_image_figure(pair, preds).axes)
    outs = Prediction(pair.bicubic_y, (pair.bicubic_y, pair.bicubic_y))
    explorer = vs.output_explorer(pair, outs, draw_now=True)
    assert explorer.last == 2 and explorer.control.max == 2
    assert isinstance(vs.output_explorer(pair, None), str)
    titles = [ax.get_title() for ax in vs.output_figure(pair, outs, 1).axes]
    assert any(t.startswith("y_1 alone") for t in titles)
    assert any(t.startswith("ensemble") for t in titles)
    best = Prediction(outs.ensemble, (outs.at(1), pair.hr_y))  # y_2 perfect: shown by default
    assert any(t.startswith("y_2 alone") for t in
               [ax.get_title() for ax in vs.output_figure(pair, best).axes])
    assert "bicubic only" in vs.output_figure(pair, None)._suptitle.get_text()


def test_ensemble_weights_figure():
    import torch

    from drcn_lib.model import DRCN, SRCNN

    net = DRCN(recursions=4, filters=4)
    with torch.no_grad():
        net.ensemble_weights.copy_(torch.tensor([0.1, 0.2, 0.3, 0.5]))
    fig = vs.ensemble_weights_figure({"a": (net, {}), "b": (SRCNN(), {})})
    assert fig.axes[0].get_legend_handles_labels()[1] == ["a (sum 1.10)"]
    heights = [p.get_height() for p in fig.axes[0].patches]
    assert heights == pytest.approx([0.1, 0.2, 0.3, 0.5])
    assert "No model" in vs.ensemble_weights_figure({}).axes[0].get_title()


def test_markdown_tables_of_depth_and_ensemble():
    text = vs.depth_markdown(depth({16: 32.1}))
    assert "| 16 | drcn-x3-d16 | 32.10/0.9000 | 33.82 |" in text
    assert "| 1 | (not shipped) | - | 32.55 |" in text
    sub = vs.depth_markdown(depth({16: 32.1}, complete=False, images=2)).splitlines()
    assert sub[0].startswith("*2 images only") and sub[2].startswith("| D |")
    assert vs.depth_markdown(depth({}, stand_in=True)).startswith("*UNTRAINED")
    text = vs.ensemble_markdown(EnsembleStudy(**BASE))
    assert text.splitlines()[2].startswith("| 1 | - | 35.57 | - | 30.92 | - | 29.14 |")
    assert text.splitlines()[-1] == "| **ensemble** | - | 37.63 | - | 33.82 | - | 31.53 |"
