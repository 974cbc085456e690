"""In JupyterLab, in a real (headless) browser: run a lesson, move its slider, see it change.

The course promises "move the slider and see". Unit tests call the widgets' callbacks directly;
this test checks the rest of the chain a learner depends on: JupyterLab loads the widget
manager, the kernel runs the notebook top to bottom (smoke mode), the widgets render, a mouse
drag on the slider reaches the kernel, and the new figure and text come back to the page.

For each notebook: open it, clear its stored outputs, run all cells, find the slider, drag its
handle to the far left, and require that the slider's value, the displayed image and (in the
playground) the PSNR line all change. Screenshots (and the seconds each phase took) go to
tests/browser/artifacts/.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

# Generous limits: they only stop a stuck run (on an idle 2-core machine the whole test takes
# about a minute; on a busy one several times that).
LOAD_TIMEOUT_S = 180
RUN_TIMEOUT_S = 300
REDRAW_TIMEOUT_S = 90

# The notebook's state, read from JupyterLab's own models (exposed as window.jupyterapp).
STATE_JS = r"""() => {
  const app = window.jupyterapp;
  const w = app && app.shell.currentWidget;
  if (!w || !w.content || !w.sessionContext || !w.content.widgets) return {state: 'loading'};
  const kernel = w.sessionContext.session && w.sessionContext.session.kernel;
  const cells = w.content.widgets.filter(c => c.model.type === 'code');
  const errors = [];
  cells.forEach(c => c.model.outputs.toJSON().forEach(o => {
    if (o.output_type === 'error') errors.push(o.ename + ': ' + o.evalue);
  }));
  const indexed = cells.map((c, i) => [i, c]);
  const waiting = indexed.filter(([i, c]) => c.model.executionCount === null);
  const running = indexed.filter(([i, c]) => c.model.executionState === 'running');
  const brief = ([i, c]) => i + ': ' + c.model.sharedModel.getSource().split('\n')[0];
  const tabs = Array.from(app.shell.widgets('main')).map(t => t.title.label);
  return {path: w.context ? w.context.path : '', tabs: tabs,
          state: kernel ? kernel.status : 'no kernel', ready: w.sessionContext.isReady,
          cells: cells.length, pending: waiting.length, errors: errors,
          running: running.map(brief), next: waiting.slice(0, 1).map(brief)};
}"""


@dataclass(frozen=True)
class SliderCase:
    """Where to find a notebook's slider, the image it redraws and the text that must change."""

    notebook: str
    slider: str  # CSS of the slider widget
    image: str  # CSS of the redrawn <img>, relative to the slider's parent box
    text: str | None  # CSS of a text that must change too (None: the image only)


CASES = [
    SliderCase("12_playground.ipynb", ".drcn-depth", "img.drcn-figure", ".drcn-psnr"),
    SliderCase("03_recursion_unfolded.ipynb",
               ".widget-slider:has(label.widget-label:text-is('recursions D'))",
               ".jp-OutputArea-output img", None),
]


def _wait_for(page, predicate, timeout_s: float, what: str, lab):  # noqa: ANN001, ANN202
    """Poll ``predicate(state)`` on STATE_JS until true; fail with the state and the server log."""
    deadline = time.monotonic() + timeout_s
    state = {}
    while time.monotonic() < deadline:
        state = page.evaluate(STATE_JS)
        if state.get("errors"):
            pytest.fail(f"a cell raised while {what}: {state['errors']}")
        if predicate(state):
            return state
        page.wait_for_timeout(500)
    pytest.fail(f"timed out after {timeout_s} s while {what}; last state {state}\n"
                f"JupyterLab log:\n{lab.log_tail()}")


def run_all(page, lab, notebook: str) -> None:  # noqa: ANN001
    """Open ``notebook``, wait for its kernel, clear the stored outputs and run every cell.

    Every step checks that ``notebook`` is the current tab: JupyterLab's commands act on the
    current notebook, and the committed lessons carry execution counts, so commands that went
    to another tab would leave the lesson looking "done" with its stored (dead) outputs. (That
    happened when the workspace restored the previous test's notebook beside this one; each
    notebook now opens in a workspace of its own, reset on load.)
    """
    page.goto(lab.notebook_url(notebook))
    _wait_for(page, lambda s: s.get("path") == notebook and s.get("ready")
              and s.get("state") == "idle" and s.get("cells"),
              LOAD_TIMEOUT_S, f"opening {notebook} and starting its kernel", lab)
    tabs = page.evaluate(STATE_JS)["tabs"]
    assert tabs == [notebook], f"JupyterLab opened {tabs}, not {notebook} alone"
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
    _wait_for(page, lambda s: s["path"] == notebook and s["pending"] == s["cells"], 10,
              "clearing outputs", lab)
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
    _wait_for(page, lambda s: s["path"] == notebook and s["pending"] == 0
              and s["state"] == "idle", RUN_TIMEOUT_S,
              f"running all cells of {notebook}", lab)


# Each code cell's first source line, how many widget views its output holds and its text.
OUTPUTS_JS = r"""() => Array.from(document.querySelectorAll('.jp-CodeCell')).map((c, i) => {
  const src = c.querySelector('.jp-InputArea-editor');
  const out = c.querySelector('.jp-OutputArea');
  return {i: i, source: src ? src.innerText.split('\n')[0].slice(0, 70) : '',
          widgets: c.querySelectorAll('.jupyter-widgets').length,
          output: out ? out.innerText.replace(/\s+/g, ' ').slice(0, 160) : ''};
})"""


def describe_outputs(page) -> str:  # noqa: ANN001
    """What each code cell shows now (for a failure message)."""
    rows = page.evaluate(OUTPUTS_JS)
    return "\n".join(f"  cell {r['i']}: {r['source']!r} widgets={r['widgets']} "
                     f"output={r['output']!r}" for r in rows)


# sha256 of the bytes an <img> shows (its src is a data: URI or a blob: URL; a new blob URL may
# carry the same picture, so the bytes are compared, not the address).
DIGEST_JS = r"""async img => {
  try {
    const data = await (await fetch(img.src)).arrayBuffer();
    const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', data));
    return Array.from(hash).map(b => b.toString(16).padStart(2, '0')).join('');
  } catch (e) { return ''; }
}"""


def _digest(locator) -> str:  # noqa: ANN001
    """Which picture an <img> shows ("" while it is being replaced)."""
    return locator.evaluate(DIGEST_JS) if locator.count() else ""


def drag_to_minimum(page, slider) -> None:  # noqa: ANN001
    """Drag the slider's handle with the mouse past the left end of its track."""
    handle = slider.locator(".noUi-handle").first
    track = slider.locator(".noUi-target").first
    h, t = handle.bounding_box(), track.bounding_box()
    assert h and t, "the slider has no visible handle or track"
    page.mouse.move(h["x"] + h["width"] / 2, h["y"] + h["height"] / 2)
    page.mouse.down()
    page.mouse.move(t["x"] - 20, h["y"] + h["height"] / 2, steps=12)
    page.mouse.up()


@pytest.mark.parametrize("case", CASES, ids=[c.notebook for c in CASES])
def test_moving_the_slider_changes_the_picture(case: SliderCase, lab, page,  # noqa: ANN001
                                               artifacts: Path) -> None:
    t0 = time.monotonic()
    run_all(page, lab, case.notebook)
    ran = time.monotonic()
    slider = page.locator(case.slider).first
    try:
        slider.wait_for(state="visible", timeout=LOAD_TIMEOUT_S * 1000)
    except Exception as e:  # noqa: BLE001 - playwright's TimeoutError; say what the page shows
        page.screenshot(path=str(artifacts / f"{Path(case.notebook).stem}_no_slider.png"),
                        full_page=True)
        pytest.fail(f"no slider {case.slider} after running {case.notebook} ({e}).\n"
                    f"{describe_outputs(page)}\nJupyterLab log:\n{lab.log_tail()}")
    box = slider.locator("xpath=..")
    image = box.locator(case.image).first
    image.wait_for(state="visible", timeout=REDRAW_TIMEOUT_S * 1000)
    slider.scroll_into_view_if_needed()
    readout = slider.locator(".widget-readout").first
    before_value, before_image = readout.inner_text(), _digest(image)
    assert before_image, "the figure's image could not be read"
    text = page.locator(case.text).first if case.text else None
    before_text = text.inner_text() if text is not None else ""
    stem = Path(case.notebook).stem

    drag_to_minimum(page, slider)

    deadline = time.monotonic() + REDRAW_TIMEOUT_S
    while time.monotonic() < deadline:
        image = box.locator(case.image).first
        digest = _digest(image)
        changed = (digest and digest != before_image
                   and (text is None or text.inner_text() != before_text))
        if changed:
            break
        page.wait_for_timeout(250)
    seconds = {"open_and_run_all": round(ran - t0, 1),
               "slider_to_new_picture": round(time.monotonic() - deadline + REDRAW_TIMEOUT_S, 1)}
    (artifacts / f"{stem}_seconds.json").write_text(json.dumps(seconds) + "\n")
    box.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / f"{stem}.png"))
    box.screenshot(path=str(artifacts / f"{stem}_widget.png"))
    after_value = readout.inner_text()
    assert after_value != before_value and after_value.strip() == "1", (
        f"the slider's value went from {before_value!r} to {after_value!r}; expected 1")
    assert _digest(box.locator(case.image).first) not in ("", before_image), \
        "the displayed image did not change after moving the slider"
    if text is not None:
        after_text = text.inner_text()
        assert after_text != before_text, f"the text {case.text} did not change: {after_text!r}"
        assert re.search(r"PSNR \d+\.\d\d dB", after_text), after_text
        assert after_text.startswith("y_1:"), after_text
