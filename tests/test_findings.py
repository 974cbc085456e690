"""Closing findings of lessons 09-10 and their figures: every number comes from the study."""

from __future__ import annotations

import numpy as np
import torch
from study_fixtures import BASE, depth_study, ensemble_curve

from drcn_lib.engine.prediction import Prediction
from drcn_lib.experiments.findings import (
    MarkdownText,
    depth_findings,
    ensemble_findings,
    weights_findings,
)
from drcn_lib.experiments.studies import DepthPoint, EnsembleStudy
from drcn_lib.model import DRCN
from drcn_lib.protocol.pairs import benchmark_pair
from drcn_lib.viz import studies as vs
from drcn_lib.viz.study_images import depth_row_figure, error_maps_figure


def test_depth_findings_follow_the_numbers():
    text = depth_findings(depth_study({1: 32.45, 6: 32.70, 11: 32.78, 16: 32.83}))
    assert isinstance(text, MarkdownText) and text._repr_markdown_() == text
    assert "**+0.38 dB** from D = 1 to D = 16" in text
    assert "the paper's gain over the same depths is +1.27 dB, so ours is 30% of it" in text
    assert "1→6 +0.25, 6→11 +0.08, 11→16 +0.05; the largest step is D = 1→6" in text
    assert "0.99 dB below the paper's 33.82" in text
    assert "256 filters" not in text  # no paper-scale model, no sentence about it
    big = depth_study({1: 32.0, 16: 32.5})
    big.paper_scale = [DepthPoint(16, "drcn-x3-d16-f256", 33.4, 0.92, 33.82)]
    assert "256 filters, trained on a GPU) scores 33.40 dB at D = 16: +0.90 dB" in \
        depth_findings(big)
    assert "untrained" in depth_findings(depth_study({1: 1.0, 16: 2.0}, stand_in=True))


def test_ensemble_findings_follow_the_numbers():
    study = EnsembleStudy(**BASE, curves=[ensemble_curve(3, [32.2, 32.5, 32.4], 32.7)])
    text = ensemble_findings(study)
    assert "x3: the best single output is **y_2** (32.50 dB)" in text
    assert "**+0.20 dB** over it" in text and "y_3 alone scores 32.40 dB (-0.30" in text
    assert "Paper: best y_9, ensemble margin +1.53 dB" in text
    assert "y_1 at x3 scores 32.20 dB against the paper's 30.92" in text


def test_weights_findings_and_start_ticks():
    net = DRCN(recursions=3, filters=2)
    with torch.no_grad():
        net.ensemble_weights.copy_(torch.tensor([0.6, -0.2, 0.5]))
    text = weights_findings({"m": (net, {})})
    assert "w_1 = 0.60" in text and "negative on d = 2" in text and "sum to 0.90" in text
    grown = {"preset": {"recursions_start": 1}}
    assert vs.start_weights(grown, 3).tolist() == [1.0, 0.0, 0.0]
    assert np.allclose(vs.start_weights({}, 4), 0.25)
    title = vs.ensemble_weights_figure({"m": (net, grown)}).axes[0].get_title()
    assert "1 on w_1, 0 on the others" in title and "1/D" not in title


def test_depth_row_and_error_maps():
    rng = np.random.default_rng(0)
    pair = benchmark_pair(rng.integers(0, 256, (60, 60, 3), dtype=np.uint8), 3, name="n")
    preds = {d: pair.bicubic_y + d for d in (1, 6, 11, 16)}
    fig = depth_row_figure(pair, preds, {16: pair.bicubic_y})
    titles = [ax.get_title() for ax in fig.axes]
    assert [t.split(" ")[0] for t in titles] == ["HR", "bicubic", "D=1", "D=6", "D=11",
                                                 "D=16", "F=256"]
    outs = Prediction(pair.hr_y.astype(float), tuple(pair.hr_y + 5.0 * d for d in (1, 2, 3)))
    fig = error_maps_figure(pair, outs)
    assert "the ensemble is closer to the truth than each y_d" in fig._suptitle.get_text()
    assert "closer on\n100%, farther on 0% of pixels" in fig.axes[4].get_title()
