"""Lessons 09-11 as a learner reads them: the same opening, the paper's maths, one import, a
predict-then-run exercise, nothing about how the course was made, at most 1 MB each."""

from __future__ import annotations

import re

import pytest

from drcn_lib.settings import REPO_ROOT

nbformat = pytest.importorskip("nbformat")

LESSONS = [REPO_ROOT / "notebooks" / n for n in
           ("09_recursion_depth.ipynb", "10_ensemble.ipynb", "11_benchmark.ipynb")]
DEVELOPMENT_WORDS = re.compile(r"\bsession\b|smoke mode|stand-in|this copy|run.cache|[0-9a-f]{12}",
                               re.IGNORECASE)


def cells(path, kind):  # noqa: ANN001, ANN201
    return [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == kind]


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_opening_maths_and_words(path):
    text = "\n".join(c.source for c in cells(path, "markdown"))
    assert re.search(r"^## Goals$", text, re.M) and re.search(r"^## Time$", text, re.M)
    assert "$$" in text  # an equation, written as the paper writes it
    found = DEVELOPMENT_WORDS.search(text)
    assert found is None, f"{path.name}: {found.group(0)!r} in the learner's text"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_one_import_and_a_predict_then_run_exercise(path):
    code = cells(path, "code")
    imports = [ln.strip() for c in code[1:] for ln in c.source.splitlines()
               if re.match(r"\s*(import|from)\s", ln)]
    assert imports == ["import drcn_lib as dl"]
    predict = [i for i, c in enumerate(code) if c.source.startswith("my_prediction = None")]
    check = [i for i, c in enumerate(code) if "nbval-check-output" in c.metadata.get("tags", [])
             and "my_prediction" in c.source]
    assert predict and check and predict[0] < check[0]
    hidden = [c for c in nbformat.read(path, as_version=4).cells
              if c.metadata.get("jupyter", {}).get("source_hidden")]
    assert hidden, "the reasoning to open after predicting"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_at_most_one_megabyte(path):
    assert path.stat().st_size <= 1_000_000
