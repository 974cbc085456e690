"""The check helper of lesson 08: right answers pass, wrong ones fail with the reason."""

from __future__ import annotations

from drcn_lib.course.exercises.training import check_per_process_batch


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
