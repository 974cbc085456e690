"""The playground widget of lesson 12: your image (or a sample), a scale, a depth slider.

:class:`Playground` is an ``ipywidgets.VBox``::

    [Upload] [sample v]  scale (2)(3)(4)  (o) shrink ... ( ) enlarge ...
    status line (model, crop note, or the reason a file was refused)
    recursion d  ----o-----------
    PSNR line (CSS class drcn-psnr)          download links
    picture: the figure (drcn_lib.viz.playground_figure.depth_figure) as a JPEG Image widget

Changing the image, scale or mode runs ONE forward pass
(:func:`drcn_lib.course.playground.run_model`);
moving the depth slider only redraws from the stored outputs, so it is instant. Every callback
is a public method (``load_sample``, ``load_upload``, ``set_scale``, ``set_mode``, ``show``)
that tests call without a browser; the widget events only forward to them. At this boundary,
and only here, errors become a red line in the notebook instead of a traceback that would
otherwise go to JupyterLab's log console where a learner never sees it.

The figure is shown as JPEG bytes in an ``ipywidgets.Image``, not through an ``Output`` widget:
no dependence on the notebook's matplotlib backend, and no Output-widget capture, which under
nbclient (tools/run_notebooks.py, the reliability suite) can stall a cell until its timeout
(nbclient answers Output-widget updates on the shell socket while it awaits the cell's reply).
"""

from __future__ import annotations

import html
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import numpy as np
from torch import nn

from drcn_lib.course import playground as play
from drcn_lib.engine.prediction import Prediction
from drcn_lib.errors import DRCNError
from drcn_lib.protocol.image_io import load_image
from drcn_lib.viz.playground_figure import depth_figure, difference_limit, figure_jpeg, zoom_box

ModelFor = Callable[[int], tuple[nn.Module, str]]
"""``scale -> (model, sentence saying which model)``, e.g. :func:`playground_model`."""


class Playground(widgets.VBox):
    """Upload or pick an image, choose scale and mode, slide through DRCN's outputs y_1..y_D.

    State after each step, for tests: ``image`` (uint8 as decoded), ``problem``, ``pred`` (the
    forward pass), ``scores`` (PSNRs or None), ``figure`` (last drawn), ``passes`` (forward
    passes run), ``error`` (the last refusal, or "").
    """

    def __init__(self, model_for: ModelFor, samples: Mapping[str, str | os.PathLike[str]],
                 scale: int = 3, mode: str = "shrink", max_pixels: int = 250_000,
                 tile: int | None = play.DEFAULT_TILE, device: str = "cpu") -> None:
        self.model_for, self.samples = model_for, dict(samples)
        self.max_pixels, self.tile, self.device = int(max_pixels), tile, device
        self._models: dict[int, tuple[nn.Module, str]] = {}
        self.image: np.ndarray | None = None
        self.name = ""
        self.problem: play.Problem | None = None
        self.pred: Prediction[np.ndarray] | None = None
        self.scores: play.Psnrs | None = None
        self.figure: Any = None
        self.passes, self.error = 0, ""
        self._quiet = False
        self._box: tuple[int, int, int, int] | None = None
        self._limit: float | None = None
        style = {"description_width": "initial"}
        self.upload = widgets.FileUpload(accept="image/*", multiple=False,
                                         description="Upload an image",
                                         layout={"width": "max-content"})
        self.sample = widgets.Dropdown(options=list(self.samples), value=None,
                                       description="or a sample", style=style)
        self.scale = widgets.ToggleButtons(options=list(play.SCALES), value=int(scale),
                                           description="scale", style=style)
        self.mode = widgets.RadioButtons(options=[(v, k) for k, v in play.MODES.items()],
                                         value=mode, layout={"width": "max-content"})
        self.depth = widgets.IntSlider(value=1, min=1, max=1, description="recursion d",
                                       continuous_update=False, style=style, disabled=True)
        self.status = widgets.HTML()
        self.psnr = widgets.HTML()
        self.download = widgets.HTML()
        self.picture = widgets.Image(format="jpeg", layout={"max_width": "100%"})
        for w, cls in [(self, "drcn-playground"), (self.depth, "drcn-depth"),
                       (self.psnr, "drcn-psnr"), (self.status, "drcn-status"),
                       (self.picture, "drcn-figure"), (self.download, "drcn-download")]:
            w.add_class(cls)
        super().__init__(children=[
            widgets.HBox([self.upload, self.sample, self.scale]), self.mode, self.status,
            self.depth, self.psnr, self.download, self.picture])
        self.upload.observe(self._guard(self._on_upload), names="value")
        self.sample.observe(self._guard(lambda c: c["new"] and self.load_sample(c["new"])),
                            names="value")
        self.scale.observe(self._guard(lambda c: self.set_scale(c["new"])), names="value")
        self.mode.observe(self._guard(lambda c: self.set_mode(c["new"])), names="value")
        self.depth.observe(self._guard(lambda c: self.show(c["new"])), names="value")

    # -- callbacks (public: what tests drive) -------------------------------------------------

    def load_sample(self, name: str) -> None:
        """Use the sample image ``name`` (a key of ``samples``) and run the model on it."""
        if name not in self.samples:
            raise DRCNError(f"unknown sample {name!r}; samples are {sorted(self.samples)}")
        self._set_image(load_image(self.samples[name]), Path(self.samples[name]).stem)

    def load_upload(self, content: bytes | bytearray | memoryview, name: str) -> None:
        """Use an uploaded file; a bad one leaves the current image and says why."""
        try:
            image = play.decode_upload(content, name)
        except DRCNError as exc:
            self._refuse(exc)
            return
        self._sync(self.sample, value=None)
        self._set_image(image, Path(name).stem or "upload")

    def set_scale(self, scale: int) -> None:
        """Change the scale: a new problem and a new forward pass."""
        self._sync(self.scale, value=int(scale))
        self._recompute()

    def set_mode(self, mode: str) -> None:
        """Change the reading of the image (a key of :data:`drcn_lib.course.playground.MODES`)."""
        self._sync(self.mode, value=mode)
        self._recompute()

    def show(self, d: int) -> None:
        """Draw output y_d from the stored forward pass, update the PSNR line and the links."""
        if self.pred is None or self.problem is None:
            return
        d = int(d)
        self._sync(self.depth, value=d)
        problem, pred = self.problem, self.pred
        self.figure = depth_figure(problem, pred, d, box=self._box, scores=self.scores,
                                   limit=self._limit)
        self.psnr.value = html.escape(play.summary(pred, problem, d, self.scores))
        self.download.value = "Download (PNG, full size): " + " | ".join(
            play.download_link(play.png_bytes(play.to_rgb(y, problem)),
                               play.download_name(problem, key), label)
            for key, y, label in [(d, pred.at(d), f"y_{d}"),
                                  ("ensemble", pred.ensemble, "ensemble (DRCN's final output)")])
        self.picture.value = figure_jpeg(self.figure)

    # -- internals -----------------------------------------------------------------------------

    def _set_image(self, image: np.ndarray, name: str) -> None:
        self.image, self.name = image, name
        self._recompute()

    def _recompute(self) -> None:
        if self.image is None:
            return
        scale = int(self.scale.value)
        try:
            problem = play.prepare(self.image, scale, self.mode.value, self.name, self.max_pixels)
        except DRCNError as exc:
            self._refuse(exc)
            return
        if scale not in self._models:
            self._say(f"Loading the model for x{scale} ...")
            self._models[scale] = self.model_for(scale)
        model, about = self._models[scale]
        h, w = problem.shape
        self._say(f"Running DRCN on {w}x{h} pixels (one forward pass gives every y_d) ...")
        self.pred = play.run_model(model, problem, device=self.device, tile=self.tile)
        self.problem, self.passes, self.error = problem, self.passes + 1, ""
        self.scores = play.psnrs(self.pred, problem)
        self._box = zoom_box(problem)
        self._limit = difference_limit(self.pred, problem)
        ds = play.depths(self.pred) or [1]
        note = f" Note: {problem.note}." if problem.note else ""
        self._say(f"{self.name}, x{scale}, {play.MODES[problem.mode]}. Model: {about}.{note}")
        self._sync(self.depth, max=max(ds[-1], self.depth.min), min=ds[0], disabled=len(ds) < 2)
        self._sync(self.depth, max=ds[-1])
        keep = self.passes > 1 and self.depth.value in ds  # a learner's d survives a new pass
        self.show(self.depth.value if keep else ds[-1])

    def _refuse(self, exc: Exception) -> None:
        self.error = str(exc)
        kept = f" Still showing {html.escape(self.name)}." if self.image is not None else ""
        self.status.value = (f'<span style="color:#b00">Could not use this: '
                             f"{html.escape(self.error)}</span>{kept}")

    def _say(self, text: str) -> None:
        self.status.value = html.escape(text)

    def _sync(self, control: widgets.Widget, **traits: Any) -> None:
        """Set traits of a control, in order, without firing its callback (the caller is
        already acting on the change)."""
        self._quiet = True
        try:
            for name, value in traits.items():
                setattr(control, name, value)
        finally:
            self._quiet = False

    def _on_upload(self, change: dict[str, Any]) -> None:
        files = change["new"]
        if files:
            content, name = files[0]["content"], files[0]["name"]
            self._sync(self.upload, value=())  # free the bytes; the same file can come again
            self.load_upload(content, name)

    def _guard(self, callback: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any]], None]:
        """Forward a widget event unless we set the value ourselves; show any error as a line."""
        def handler(change: dict[str, Any]) -> None:
            if self._quiet:
                return
            try:
                callback(change)
            except DRCNError as exc:
                self._refuse(exc)
            except Exception as exc:  # noqa: BLE001 - the UI boundary: show, never hide
                self._refuse(RuntimeError(f"unexpected {type(exc).__name__}: {exc} "
                                          "(a bug: please report it)"))
        return handler


def sample_paths(paths: list[Path] | tuple[Path, ...]) -> dict[str, Path]:
    """The Set5 samples of :data:`drcn_lib.course.playground.SAMPLES` found in ``paths`` (by file
    stem), in that order; if none is there (the scikit-image stand-ins), every path except
    lenna's."""
    by_stem = {Path(p).stem: Path(p) for p in paths}
    chosen = {s: by_stem[s] for s in play.SAMPLES if s in by_stem}
    return chosen or {k: v for k, v in by_stem.items() if k != "lenna"}


def playground(model_for: ModelFor, samples: Mapping[str, str | os.PathLike[str]],
               value: str | None = None, **options: Any) -> Playground:
    """A :class:`Playground` showing sample ``value`` (default the first) at once."""
    pg = Playground(model_for, samples, **options)
    start = value if value is not None else next(iter(pg.samples), None)
    if start is not None:
        pg.sample.value = start  # fires load_sample through the widget, as a click would
    return pg
