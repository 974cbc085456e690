"""A slider that redraws a figure: the one interactive pattern of the course.

Each lesson keeps its drawing in a plain library function ``draw(value) -> Figure`` (tested
without a browser) and wraps it here::

    explorer = slider_explorer(lambda d: depth_figure(img, d), range(1, 17), value=16,
                               description="D")
    explorer                      # last line of the cell: shows the slider and the figure

:class:`SliderExplorer` is an ``ipywidgets.VBox`` of the slider and an ``Output`` area. Moving
the slider (on release, so a slow figure is drawn once, not at every step) calls ``draw`` and
replaces the figure. On a static web page a widget is dead text, so lessons draw the default
figure with a plain call first and offer the slider after it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as widgets
from IPython.display import display

from drcn_lib.errors import DRCNError

Draw = Callable[[Any], Any]
"""``draw(value)``: returns a Figure (shown, then released) or anything IPython can display."""


class SliderExplorer(widgets.VBox):
    """A slider (``control``) above an ``output`` area that shows ``draw(control.value)``.

    ``redraw(value)`` is what a slider move triggers; tests call it directly. ``last`` holds
    the value last drawn and ``calls`` counts the draws, so behaviour is checkable headless.
    """

    def __init__(self, control: widgets.ValueWidget, draw: Draw, draw_now: bool = True) -> None:
        self.control = control
        self.output = widgets.Output()
        self.draw = draw
        self.last: Any = None
        self.calls = 0
        super().__init__(children=[control, self.output])
        control.observe(self._on_change, names="value")
        if draw_now:
            self.redraw(control.value)

    def _on_change(self, change: dict[str, Any]) -> None:
        self.redraw(change["new"])

    def redraw(self, value: Any) -> Any:
        """Draw ``value`` into the output area, replacing what was there; returns the result."""
        result = self.draw(value)
        self.last, self.calls = value, self.calls + 1
        with self.output:
            self.output.clear_output(wait=True)
            if result is not None:
                display(result)
        return result


def slider_explorer(
    draw: Draw,
    values: Sequence[Any] | range,
    value: Any = None,
    description: str = "",
    draw_now: bool = True,
) -> SliderExplorer:
    """A slider over ``values`` that redraws ``draw(value)``.

    Args:
        draw: ``value -> Figure`` (or any displayable object).
        values: the choices, in slider order: a ``range`` of integers gives an ``IntSlider``,
            anything else (e.g. ``[2, 3, 4]`` or names) a ``SelectionSlider``.
        value: the starting value (default: the first); must be one of ``values``.
        description: the label left of the slider (e.g. ``"D"`` or ``"scale"``).
        draw_now: draw the starting value at once (else only after the first move).
    """
    choices = list(values)
    if not choices:
        raise DRCNError("slider_explorer needs at least one value to choose from")
    start = choices[0] if value is None else value
    if start not in choices:
        raise DRCNError(f"starting value {start!r} is not one of the slider's values {choices}")
    style = {"description_width": "initial"}
    control: widgets.ValueWidget
    if isinstance(values, range) and values.step > 0:
        control = widgets.IntSlider(value=start, min=values.start, max=values[-1],
                                    step=values.step, description=description,
                                    continuous_update=False, style=style)
    else:
        control = widgets.SelectionSlider(options=choices, value=start, description=description,
                                          continuous_update=False, style=style)
    return SliderExplorer(control, draw, draw_now=draw_now)
