"""The three claims: verdicts follow the numbers, and unusable numbers are never a pass."""

from __future__ import annotations

from study_fixtures import BASE, benchmark_study, depth_study, ensemble_curve

from drcn_lib.experiments import claims
from drcn_lib.experiments import paper_numbers as paper
from drcn_lib.experiments.studies import BenchmarkRow, BenchmarkStudy, EnsembleStudy


def test_depth_holds_only_when_every_step_rises():
    v = claims.check_depth(depth_study({1: 31.0, 6: 31.5, 11: 31.7, 16: 31.8}))
    assert v.holds is True and v.line.startswith("[HOLDS]")
    assert "D=1: 31.00" in v.line and "D=16: 31.80" in v.line and "paper: 32.55" in v.line
    v = claims.check_depth(depth_study({1: 31.0, 6: 31.5, 11: 31.85, 16: 31.8}))
    assert v.holds is False and "D=11 -> 16: -0.05 dB" in v.detail
    assert v.status == "DOES NOT HOLD"
    assert claims.check_depth(depth_study({1: 31.0, 6: 31.0, 11: 31.7, 16: 31.8})).holds is False


def test_depth_is_not_checked_on_missing_models_stand_ins_or_subsets():
    v = claims.check_depth(depth_study({1: 31.0, 6: 31.5, 11: 31.7}))
    assert v.holds is None and "drcn-x3-d16 not shipped" in v.detail
    assert v.line.startswith("[NOT CHECKED]") and "rising so far" in v.detail
    v = claims.check_depth(depth_study({1: 31.6, 16: 31.5}))  # a fall already refutes the chain
    assert v.holds is False and "D=1 -> 16: -0.10 dB" in v.detail
    assert claims.check_depth(depth_study({})).holds is None
    rising = {1: 31.0, 6: 31.5, 11: 31.7, 16: 31.8}
    assert claims.check_depth(depth_study(rising, stand_in=True)).holds is None
    v = claims.check_depth(depth_study(rising, complete=False, images=2))
    assert v.holds is None and "2 images" in v.detail and "31.80" in v.detail


def test_depth_is_not_checked_when_the_models_trained_differently():
    rising = {1: 31.0, 6: 31.5, 11: 31.7, 16: 31.8}
    v = claims.check_depth(depth_study(rising, training_differs=["lr", "steps"]))
    assert v.holds is None and "also differ in lr, steps" in v.detail and "31.80" in v.detail


def test_differing_settings_ignores_d_and_stand_ins():
    from drcn_lib.engine.presets import preset
    from drcn_lib.experiments.studies import differing_settings

    a = {"preset": preset("cpu", recursions=1).as_dict()}
    b = {"preset": preset("cpu", recursions=16).as_dict()}
    c = {"preset": preset("cpu", recursions=6, steps=3000, lr=5e-4).as_dict()}
    old = {"preset": {k: v for k, v in b["preset"].items() if k != "loss_reduction"}}
    assert differing_settings([a, b, old]) == []  # a field added later is not a difference
    assert differing_settings([a, b, c]) == ["lr", "steps"]
    assert differing_settings([a, {"stand_in": True, "preset": {"scale": 3}}]) == []


def test_ensemble_verdict_per_scale_is_strict():
    study = EnsembleStudy(**{**BASE, "missing": {"drcn-x4-d16": "cmd"}}, curves=[
        ensemble_curve(2, [35.0, 36.0, 35.5], 36.1),
        ensemble_curve(3, [31.0, 32.0, 31.9], 32.0)])
    x2, x3, x4 = claims.check_ensemble(study)
    assert x2.holds is True and "+0.10 dB" in x2.detail and "y_2 36.00" in x2.detail
    assert "paper: ensemble 37.63" in x2.detail
    assert x3.holds is False  # equal to the best single output is not beating it
    assert x4.holds is None and "not shipped" in x4.detail


def bench(drcn: float | None, srcnn: float | None, **over) -> BenchmarkStudy:
    rows = [BenchmarkRow("Set5", 3, "Bicubic", "ours", 30.39, 0.868)]
    if drcn is not None:
        rows.append(BenchmarkRow("Set5", 3, "DRCN", "ours", drcn, 0.9, "drcn-x3-d16"))
    if srcnn is not None:
        rows.append(BenchmarkRow("Set5", 3, "SRCNN", "ours", srcnn, 0.9, "srcnn-x3"))
    rows.append(BenchmarkRow("Set5", 3, "SRCNN", "paper", *paper.TABLE2["Set5"][3]["SRCNN"]))
    return benchmark_study(rows, **over)


def test_srcnn_claim_needs_both_bars():
    v = claims.check_srcnn(bench(32.80, 32.10))
    assert v.holds is True and "+0.05" in v.detail and "+0.70" in v.detail
    assert claims.check_srcnn(bench(32.70, 32.10)).holds is False  # below the published 32.75
    assert claims.check_srcnn(bench(32.80, 32.90)).holds is False  # below our SRCNN
    v = claims.check_srcnn(bench(32.80, None))
    assert v.holds is None and "srcnn-x3 is not shipped" in v.detail and "(beaten)" in v.detail
    v = claims.check_srcnn(bench(32.43, None))  # below the published bar: false already
    assert v.holds is False and "-0.32" in v.detail and "not shipped yet" in v.detail
    assert claims.check_srcnn(bench(None, 32.0)).holds is None
    partial = bench(33.0, 32.0, set_complete={"Set5": False}, set_images={"Set5": 2})
    assert claims.check_srcnn(partial).holds is None


def test_check_all_orders_and_prints_one_line_each():
    verdicts = claims.check_all(depth_study({1: 1.0, 6: 2.0, 11: 3.0, 16: 4.0}),
                                EnsembleStudy(**BASE), bench(33.0, 32.0))
    assert len(verdicts) == 5
    text = claims.verdict_lines(verdicts)
    assert text.splitlines()[0].startswith("[HOLDS] D = 1 < 6 < 11 < 16")
    assert text.splitlines()[-1].startswith("[HOLDS] our x3 D=16 beats SRCNN")
    assert claims.check_all(None, None, None) == []
