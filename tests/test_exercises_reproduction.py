"""The check helpers of lessons 08-11: right answers pass, wrong ones fail with the reason."""

from __future__ import annotations

from study_fixtures import BASE, ensemble_curve

from drcn_lib.course.exercises.benchmark import check_gain_over_bicubic
from drcn_lib.course.exercises.ensemble import check_best_output
from drcn_lib.course.exercises.recursion_depth import check_depth_gain
from drcn_lib.course.exercises.training import check_per_process_batch
from drcn_lib.experiments import paper_numbers as paper
from drcn_lib.experiments.studies import (
    BenchmarkRow,
    BenchmarkStudy,
    DepthPoint,
    DepthStudy,
    EnsembleStudy,
)


def test_per_process_batch(capsys):
    assert check_per_process_batch(8, processes=4, batch_size=32)
    assert "32 / 4 = 8" in capsys.readouterr().out
    assert not check_per_process_batch(32, processes=4, batch_size=32)  # the global batch
    wrong = capsys.readouterr().out
    assert wrong.startswith("Not yet:") and "whole batch" in wrong and " 8" not in wrong
    assert not check_per_process_batch(128, processes=4, batch_size=32)
    assert "does not grow" in capsys.readouterr().out
    assert not check_per_process_batch(None, processes=4, batch_size=32)
    assert " 8" not in capsys.readouterr().out
    assert not check_per_process_batch("eight", processes=4, batch_size=32)
    assert not check_per_process_batch(10, processes=3, batch_size=32)
    assert "refuses" in capsys.readouterr().out


def test_depth_gain(capsys):
    pts = [DepthPoint(1, "a", 31.00, 0.9, 32.55), DepthPoint(16, "b", 31.80, 0.9, 33.82)]
    study = DepthStudy(**BASE, points=pts, paper=dict(paper.RECURSION_DEPTH_SET5_X3))
    assert check_depth_gain(0.8, study) and check_depth_gain(0.84, study)
    assert "paper's: +1.27 dB" in capsys.readouterr().out
    assert not check_depth_gain(1.27, study)  # the paper's gain, not ours
    one = DepthStudy(**{**BASE, "missing": {"drcn-x3-d16": "cmd"}}, points=pts[:1])
    assert not check_depth_gain(0.0, one)
    assert "Cannot check" in capsys.readouterr().out


def test_best_output(capsys):
    c = ensemble_curve(3, [31.0, 32.3, 32.1], 32.6, model="m")
    study = EnsembleStudy(**BASE, curves=[c])
    assert check_best_output(2, study)
    out = capsys.readouterr().out
    assert "+0.30 dB" in out and "best single output at x3 is y_9" in out
    assert not check_best_output(3, study) and not check_best_output(True, study)
    assert not check_best_output(2, study, scale=4)


def test_gain_over_bicubic(capsys):
    rows = [BenchmarkRow("Set5", 3, "Bicubic", "ours", 30.39, 0.86),
            BenchmarkRow("Set5", 3, "DRCN", "ours", 32.40, 0.90),
            BenchmarkRow("Set5", 3, "Bicubic", "paper", 30.39, 0.8682),
            BenchmarkRow("Set5", 3, "DRCN", "paper", 33.82, 0.9226)]
    study = BenchmarkStudy(**BASE, sets=["Set5"], scales=[3], rows=rows)
    assert check_gain_over_bicubic(2.01, study)
    assert "paper's gain: +3.43 dB" in capsys.readouterr().out
    assert not check_gain_over_bicubic(3.43, study)
    assert not check_gain_over_bicubic(2.0, study, scale=2)
