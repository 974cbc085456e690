"""What a reader of a committed lesson sees, checked on the page itself (no kernel).

Each lesson listed here: at most 1 MB; opens with the headings Goals and Time; states its
equations in LaTeX; imports the course only as ``import drcn_lib as dl``; has an exercise
whose worked answer sits in a collapsed cell; saves the state of every widget it shows, so
sliders render on nbviewer; and speaks of DRCN, not of how the course was made.
"""

from __future__ import annotations

import json
import re

import pytest

from drcn_lib.settings import REPO_ROOT

LESSONS = [REPO_ROOT / "notebooks" / name for name in
           ("07_loss.ipynb", "08_training.ipynb", "12_playground.ipynb")]
MAX_BYTES = 1_000_000
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
#: Words about how the project was made, which a learner's page must not carry.
DEVELOPMENT_WORDS = re.compile(r"\bsession \d|smoke mode|stand-in|this copy|NBVAL_",
                               re.IGNORECASE)


def load(path):  # noqa: ANN001, ANN201
    return json.loads(path.read_text(encoding="utf-8"))


def text(cell) -> str:  # noqa: ANN001
    return "".join(cell["source"])


@pytest.mark.parametrize("path", LESSONS, ids=[p.name for p in LESSONS])
def test_lesson_is_at_most_1_mb(path) -> None:  # noqa: ANN001
    assert path.stat().st_size <= MAX_BYTES, f"{path.name}: {path.stat().st_size:,} bytes"


@pytest.mark.parametrize("path", LESSONS, ids=[p.name for p in LESSONS])
def test_lesson_opens_with_goals_and_time(path) -> None:  # noqa: ANN001
    markdown = [text(c) for c in load(path)["cells"] if c["cell_type"] == "markdown"]
    opening = "\n".join(markdown[:3])
    assert re.search(r"^## Goals\s*$", opening, re.M), path.name
    time = re.search(r"^## Time\s*$(.*)", opening, re.M | re.S)
    assert time and "TIME_MEASURED" not in time.group(1), f"{path.name}: no measured time"


@pytest.mark.parametrize("path", LESSONS, ids=[p.name for p in LESSONS])
def test_lesson_states_equations_in_latex(path) -> None:  # noqa: ANN001
    markdown = "\n".join(text(c) for c in load(path)["cells"] if c["cell_type"] == "markdown")
    assert re.search(r"\$[^$\n]+\$", markdown), path.name


@pytest.mark.parametrize("path", LESSONS, ids=[p.name for p in LESSONS])
def test_lesson_imports_the_course_once(path) -> None:  # noqa: ANN001
    """Once in the lesson itself; the Colab cell (first, guarded, Colab-only) is not counted."""
    code = "\n".join(text(c) for c in load(path)["cells"]
                     if c["cell_type"] == "code" and not text(c).startswith("# Colab only"))
    assert code.count("import drcn_lib as dl") == 1, path.name
    assert not re.search(r"^\s*(from drcn_lib|import drcn_lib\.)", code, re.M), path.name


@pytest.mark.parametrize("path", LESSONS, ids=[p.name for p in LESSONS])
def test_lesson_hides_its_solution(path) -> None:  # noqa: ANN001
    cells = load(path)["cells"]
    hidden = [text(c) for c in cells if c["metadata"].get("jupyter", {}).get("source_hidden")]
    assert any("Solution" in h for h in hidden), f"{path.name}: no collapsed solution"
    checks = [c for c in cells if c["cell_type"] == "code" and "answer = None" in text(c)]
    assert checks, f"{path.name}: no exercise"
    for cell in checks:  # the committed answer is None: the checker hints, never says "Right"
        said = "".join("".join(o.get("text", "")) for o in cell.get("outputs", []))
        assert said.startswith("Not yet:"), f"{path.name}: {said!r}"


@pytest.mark.parametrize("path", LESSONS, ids=[p.name for p in LESSONS])
def test_lesson_saves_the_state_of_its_widgets(path) -> None:  # noqa: ANN001
    nb = load(path)
    shown = [o["data"][WIDGET_VIEW]["model_id"] for c in nb["cells"] if c["cell_type"] == "code"
             for o in c.get("outputs", []) if WIDGET_VIEW in o.get("data", {})]
    state = nb["metadata"].get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    missing = [m for m in shown if m not in state]
    assert not missing, f"{path.name}: widgets without saved state: {missing}"


@pytest.mark.parametrize("path", LESSONS, ids=[p.name for p in LESSONS])
def test_lesson_speaks_of_drcn_only(path) -> None:  # noqa: ANN001
    for cell in load(path)["cells"]:
        words = text(cell)
        for out in cell.get("outputs", []):
            words += "".join(out.get("text", "")) + "".join(
                out.get("data", {}).get("text/plain", ""))
        hit = DEVELOPMENT_WORDS.search(words)
        assert not hit, f"{path.name}: {hit.group(0)!r} in {words[:80]!r}"
