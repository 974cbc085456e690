"""The predict-then-run exercises of lessons 09-11: a right prediction passes; a wrong one or
``None`` fails with a hint, and no message ever holds the measured number."""

from __future__ import annotations

import pytest
from study_fixtures import BASE, ensemble_curve

from drcn_lib.course.exercises.benchmark import check_gain_prediction
from drcn_lib.course.exercises.ensemble import check_best_output_prediction
from drcn_lib.course.exercises.recursion_depth import check_depth_prediction
from drcn_lib.experiments import paper_numbers as paper
from drcn_lib.experiments.studies import (
    BenchmarkRow,
    BenchmarkStudy,
    DepthPoint,
    DepthStudy,
    EnsembleStudy,
)


def depth() -> DepthStudy:
    pts = [DepthPoint(1, "a", 31.00, 0.9, 32.55), DepthPoint(16, "b", 31.37, 0.9, 33.82)]
    return DepthStudy(**BASE, points=pts, paper=dict(paper.RECURSION_DEPTH_SET5_X3))


def bench() -> BenchmarkStudy:
    rows = [BenchmarkRow("Set5", 3, "Bicubic", "ours", 30.39, 0.86),
            BenchmarkRow("Set5", 3, "DRCN", "ours", 32.46, 0.90)]
    return BenchmarkStudy(**BASE, sets=["Set5"], scales=[3], rows=rows)


def said(capsys) -> str:
    return capsys.readouterr().out


@pytest.mark.parametrize("secret", ["0.37", "+0.37", "31.37", "31.00"])
def test_depth_prediction(capsys, secret):
    study = depth()
    assert check_depth_prediction(0.4, study)
    assert said(capsys).startswith("Right:")
    for wrong, hint in ((1.27, "above"), (0.0, "below"), (None, "write your prediction"),
                        ("a lot", "write your prediction")):
        assert not check_depth_prediction(wrong, study)
        out = said(capsys)
        assert out.startswith("Not yet:") and hint in out and secret not in out
    one = DepthStudy(**{**BASE, "missing": {"drcn-x3-d16": "cmd"}}, points=depth().points[:1])
    assert not check_depth_prediction(0.4, one) and "needs two" in said(capsys)


def test_best_output_prediction(capsys):
    study = EnsembleStudy(**BASE, curves=[ensemble_curve(3, [31.0, 32.3, 32.1, 31.5], 32.6)])
    assert check_best_output_prediction(2, study) and said(capsys).startswith("Right:")
    for wrong, hint in ((1, "deeper than y_1"), (4, "shallower than y_4"),
                        (None, "whole number"), (2.5, "whole number"), (17, "from 1 to 4")):
        assert not check_best_output_prediction(wrong, study)
        out = said(capsys)
        assert hint in out and "y_2" not in out and "32.3" not in out
    assert not check_best_output_prediction(2, study, scale=4)
    assert "no x4 model" in said(capsys)


@pytest.mark.parametrize("secret", ["2.07", "32.46", "30.39"])
def test_gain_prediction(capsys, secret):
    study = bench()
    assert check_gain_prediction(2.0, study) and said(capsys).startswith("Right:")
    for wrong, hint in ((3.43, "above"), (0.5, "below"), (None, "write your prediction")):
        assert not check_gain_prediction(wrong, study)
        out = said(capsys)
        assert hint in out and secret not in out
    assert not check_gain_prediction(2.0, study, scale=2)
    assert "no DRCN measurement" in said(capsys)
