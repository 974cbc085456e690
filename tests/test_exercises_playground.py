"""Lesson 12's check: the best single output, measured on the learner's own prediction."""

from __future__ import annotations

import numpy as np

from drcn_lib.course import playground as play
from drcn_lib.course.exercises.playground import check_best_recursion
from drcn_lib.engine.prediction import Prediction


def _problem() -> play.Problem:
    yy, xx = np.mgrid[0:24, 0:30]
    img = np.clip(128 + 80 * np.sin(xx / 2.0) * np.cos(yy / 3.0), 0, 255).astype(np.uint8)
    return play.prepare(img, 2, "shrink", name="t")


def _pred(problem: play.Problem) -> Prediction:
    truth = np.asarray(problem.hr_y)
    return Prediction(truth + 2.0, (truth + 6.0, truth + 1.0, truth + 3.0))


def test_the_best_output_is_right_and_others_are_not(capsys) -> None:
    problem = _problem()
    pred = _pred(problem)
    assert check_best_recursion(2, pred, problem)
    assert check_best_recursion("2", pred, problem)
    out = capsys.readouterr().out
    assert out.startswith("Right: y_2 scores") and "ensemble of all 3" in out
    assert not check_best_recursion(3, pred, problem)
    wrong = capsys.readouterr().out
    assert "y_3 scores" in wrong and "1 other output scores higher" in wrong
    assert "y_2" not in wrong  # the best output is never named for a wrong answer
    assert not check_best_recursion(1, pred, problem)
    wrong = capsys.readouterr().out
    assert "2 other outputs score higher" in wrong and "y_2" not in wrong


def test_ties_within_display_precision_count() -> None:
    problem = _problem()
    pred = _pred(problem)
    pred = Prediction(pred.ensemble, (pred.at(1), pred.at(2), pred.at(2).copy()))
    assert check_best_recursion(3, pred, problem) and check_best_recursion(2, pred, problem)


def test_bad_answers_and_missing_truth_are_explained(capsys) -> None:
    problem = _problem()
    pred = _pred(problem)
    assert not check_best_recursion(None, pred, problem)
    assert "whole number d from 1 to 3" in capsys.readouterr().out
    assert not check_best_recursion(7, pred, problem)
    assert "runs from 1 to 3" in capsys.readouterr().out
    assert not check_best_recursion(2.5, pred, problem)
    blind = play.prepare(np.full((8, 8), 50, dtype=np.uint8), 2, "enlarge")
    assert not check_best_recursion(1, Prediction(blind.bicubic_y, (blind.bicubic_y,)), blind)
    assert "ground truth" in capsys.readouterr().out
