"""Pictures of recursion: the unfolded inference net, the receptive field it buys, its cost.

* :func:`draw_unfolded`: Figure 3 of the paper in boxes and arrows for any D: f1, the shared
  convolution g applied D times (one weight box W feeding every copy), f3 and the skip;
  ``outputs="all"`` adds the D intermediate predictions y_d of recursive supervision;
* :func:`receptive_field_figure`: the 2(D + 4) + 1 pixel square one output pixel sees, drawn on
  an image, beside the curves of receptive field and parameters versus D (the depth slider of
  lesson 03 redraws it, :func:`depth_explorer`);
* :func:`parameter_growth_figure`: DRCN's flat parameter count against a plain CNN of equal depth;
* :func:`state_trace` / :func:`state_trace_figure`: the size of H_d and its distance from H_0
  along the recursion, e.g. identity versus He init of W.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyBboxPatch, Rectangle

from drcn_lib.course.receptive_field import (
    conv_depth,
    drcn_parameter_count,
    plain_cnn_parameter_count,
    receptive_field,
)
from drcn_lib.errors import DRCNError
from drcn_lib.model.subnets import InferenceNet
from drcn_lib.protocol.colour import to_y
from drcn_lib.viz.figures import hide_ticks, new_figure
from drcn_lib.viz.images import detail_box, to_display
from drcn_lib.viz.widgets import SliderExplorer, slider_explorer

_BOX = {"f1": "#cfe2f3", "g": "#fde9c4", "f3": "#d9ead3", "W": "#f4cccc"}


def _box(ax: Axes, x: float, y: float, text: str, colour: str, w: float = 0.9,
         h: float = 0.7) -> None:
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.04",
                                facecolor=colour, edgecolor="black", linewidth=1.0))
    ax.text(x, y, text, ha="center", va="center", fontsize=9)


def _arrow(ax: Axes, x0: float, y0: float, x1: float, y1: float, style: str = "-",
           colour: str = "black", rad: float = 0.0) -> None:
    ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                arrowprops={"arrowstyle": "-|>", "linestyle": style, "color": colour,
                            "linewidth": 1.0, "shrinkA": 2, "shrinkB": 2,
                            "connectionstyle": f"arc3,rad={rad}"})


def _shown_recursions(recursions: int, max_shown: int) -> list[int | None]:
    """Which recursions get a box; ``None`` marks the elided middle ("...")."""
    if recursions <= max_shown:
        return list(range(1, recursions + 1))
    head = max_shown - 2
    return [*range(1, head + 1), None, recursions]


def draw_unfolded(recursions: int, max_shown: int = 6, outputs: str = "last") -> Figure:
    """The inference net unfolded D times, as a chain of boxes (the paper's Figure 3).

    Args:
        recursions: D, the number of times the shared convolution g is applied.
        max_shown: at most this many g boxes are drawn; beyond, the middle ones become "...".
        outputs: ``"last"`` draws the basic model (f3 on H_D only, y = f3(H_D) + x);
            ``"all"`` draws recursive supervision (f3 on every H_d, y_d = f3(H_d) + x,
            ensemble y = sum_d w_d y_d).
    """
    if outputs not in ("last", "all"):
        raise DRCNError(f"outputs must be 'last' or 'all'; got {outputs!r}")
    d_total = int(recursions)
    if d_total < 1:
        raise DRCNError(f"recursions D must be at least 1; got {recursions!r}")
    shown = _shown_recursions(d_total, max(int(max_shown), 3))
    step = 1.6
    n = len(shown)
    width = step * (n + 4.5)
    fig, axes = new_figure(1, 1, size=(min(1.05 * width, 15.0), 3.6 if outputs == "all" else 3.0))
    ax = axes[0, 0]
    ax.set_xlim(-0.8, width - 0.4)
    ax.set_ylim(-2.6 if outputs == "all" else -1.6, 2.0)
    ax.axis("off")
    y0 = 0.0
    ax.text(0, y0, "$x$", ha="center", va="center", fontsize=12)
    _box(ax, step, y0, "$f_1$\n2 convs", _BOX["f1"])
    _arrow(ax, 0.25, y0, step - 0.47, y0)
    prev_x, prev_label = step, "$H_0$"
    w_x = step * (2 + (n - 1) / 2)
    _box(ax, w_x, 1.55, "$W$: one 3x3 conv, shared", _BOX["W"], w=min(step * n, 4.5), h=0.5)
    state_xs: list[tuple[float, int]] = []
    for i, d in enumerate(shown):
        x = step * (2 + i)
        _arrow(ax, prev_x + 0.47, y0, x - 0.47, y0)
        ax.text((prev_x + x) / 2, y0 + 0.18, prev_label, ha="center", va="bottom", fontsize=9)
        if d is None:
            ax.text(x, y0, "...", ha="center", va="center", fontsize=14)
            prev_label = ""
        else:
            _box(ax, x, y0, f"$g$\n(d={d})", _BOX["g"], w=0.8)
            _arrow(ax, w_x, 1.3, x, y0 + 0.37, style="--", colour="#a33")
            prev_label = f"$H_{{{d}}}$"
            state_xs.append((x, d))
        prev_x = x
    x_f3 = step * (2 + n)
    _arrow(ax, prev_x + 0.47, y0, x_f3 - 0.47, y0)
    ax.text((prev_x + x_f3) / 2, y0 + 0.18, prev_label, ha="center", va="bottom", fontsize=9)
    _box(ax, x_f3, y0, "$f_3$\n2 convs", _BOX["f3"])
    x_plus = x_f3 + step * 0.9
    _arrow(ax, x_f3 + 0.47, y0, x_plus - 0.2, y0)
    ax.add_patch(Circle((x_plus, y0), 0.2, facecolor="white", edgecolor="black"))
    ax.text(x_plus, y0, "+", ha="center", va="center", fontsize=11)
    final = "$y_D$" if outputs == "last" else "$y_D$ (and every $y_d$)"
    _arrow(ax, x_plus + 0.2, y0, x_plus + 0.75, y0)
    ax.text(x_plus + 0.8, y0, final, ha="left", va="center", fontsize=11)
    # skip connection: x goes round everything to the final addition (below the chain)
    rad = 0.2 if outputs == "all" else 0.12
    _arrow(ax, 0.0, y0 - 0.25, x_plus, y0 - 0.22, colour="#3465a4", rad=rad)
    dip = rad * x_plus / 2
    ax.text(x_plus / 2, y0 - 0.5 - dip, "skip: + x", ha="center", va="center", fontsize=9,
            color="#3465a4")
    if outputs == "all":
        for x, d in state_xs:
            _arrow(ax, x, y0 - 0.37, x, -0.85, colour="#38761d")
            ax.text(x, -1.05, f"$y_{{{d}}}$", ha="center", va="center", fontsize=9,
                    color="#38761d")
        ax.text(x_plus + 0.8, -0.75, "every $H_d$ also goes through\nthe same $f_3$ (+ x): "
                "$y_d$\nensemble $y = \\sum_d w_d\\, y_d$", ha="left", va="center",
                fontsize=8, color="#38761d")
    params = "the same weights W at every step"
    ax.set_title(f"Unfolded: D = {d_total} recursions make {conv_depth(d_total)} conv layers, "
                 f"{params}", fontsize=11)
    fig.tight_layout()
    return fig


def _draw_view(ax: Axes, max_recursions: int, current: int | None) -> None:
    depths = np.arange(1, max_recursions + 1)
    ax.plot(depths, [receptive_field(int(d)) for d in depths], "o-", color="#3465a4",
            markersize=3)
    if current is not None:
        ax.plot([current], [receptive_field(current)], "o", color="#3465a4", markersize=9)
    ax.set_ylabel("receptive field (px)")
    ax.set_ylim(0, receptive_field(max_recursions) * 1.1)
    ax.grid(alpha=0.3)


def _draw_cost(ax: Axes, filters: int, max_recursions: int, current: int | None) -> None:
    depths = np.arange(1, max_recursions + 1)
    plain = [plain_cnn_parameter_count(int(d), filters) / 1e6 for d in depths]
    ax.plot(depths, [drcn_parameter_count(int(d), filters) / 1e6 for d in depths], "-",
            color="#cc0000", label="DRCN (one shared f2 conv)")
    ax.plot(depths, plain, ":", color="#777777", label="plain CNN of the same depth")
    if current is not None:
        ax.plot([current], [drcn_parameter_count(current, filters) / 1e6], "s",
                color="#cc0000", markersize=8)
    ax.set_ylabel(f"parameters (M, F={filters})")
    ax.set_ylim(0, max(plain) * 1.1)
    ax.set_xlabel("recursions D")
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3)


def parameter_growth_figure(filters: int = 256, max_recursions: int = 16) -> Figure:
    """Receptive field (left) and parameters of DRCN and of a plain CNN (right) for D = 1..max."""
    fig, axes = new_figure(1, 2, size=(10.0, 3.6))
    _draw_view(axes[0, 0], max_recursions, None)
    axes[0, 0].set_xlabel("recursions D")
    axes[0, 0].set_title("The view grows by 2 pixels per recursion", fontsize=10)
    _draw_cost(axes[0, 1], filters, max_recursions, None)
    axes[0, 1].set_title("DRCN's parameters stay flat; a plain CNN's grow", fontsize=10)
    fig.tight_layout()
    return fig


def _squares(ax: Axes, centre: tuple[int, int], recursions: int) -> None:
    cy, cx = centre
    for d in range(1, recursions + 1):
        side = receptive_field(d)
        last = d == recursions
        ax.add_patch(Rectangle((cx - side / 2, cy - side / 2), side, side, fill=False,
                               edgecolor="red" if last else "yellow",
                               linewidth=1.6 if last else 0.5, alpha=1.0 if last else 0.6))
    ax.plot([cx], [cy], "r+", markersize=8)


def receptive_field_figure(
    image: np.ndarray,
    recursions: int,
    filters: int = 256,
    centre: tuple[int, int] | None = None,
    max_recursions: int = 16,
) -> Figure:
    """What one output pixel of DRCN sees at depth D, on ``image``, and what it costs.

    Left: the image with the receptive-field square (red) around ``centre`` (default: the most
    detailed spot); middle: a zoom with the squares of every d <= D (yellow); right: receptive
    field and parameters versus D, with D marked.

    Args:
        image: uint8 or float [0, 255], HxW or HxWx3 (shown as its Y, in grey).
        recursions: D.
        filters: F, for the parameter count (the paper: 256).
        centre: (row, col) of the output pixel.
        max_recursions: the largest D on the curves and the size of the zoom window.
    """
    d = int(recursions)
    y = to_y(np.asarray(image))
    big = receptive_field(max(max_recursions, d))
    if centre is None:
        top, left, size, _ = detail_box(y, size=big)
        centre = (top + size // 2, left + size // 2)
    cy, cx = int(centre[0]), int(centre[1])
    fig, axes = new_figure(2, 3, size=(13.0, 4.6), gridspec_kw={"width_ratios": [1, 1, 1.3]})
    grid = axes[0, 0].get_gridspec()
    for ax in axes[:, :2].ravel():
        ax.remove()
    full, zoom = fig.add_subplot(grid[:, 0]), fig.add_subplot(grid[:, 1])
    view, cost = axes[0, 2], axes[1, 2]
    full.imshow(to_display(y), cmap="gray", vmin=0, vmax=255)
    side = receptive_field(d)
    full.add_patch(Rectangle((cx - side / 2, cy - side / 2), side, side, fill=False,
                             edgecolor="red", linewidth=1.4))
    full.set_title(f"image {y.shape[0]}x{y.shape[1]} px", fontsize=9)
    hide_ticks(full)
    half = big // 2 + 6
    t0, l0 = max(cy - half, 0), max(cx - half, 0)
    window = y[t0:cy + half + 1, l0:cx + half + 1]
    zoom.imshow(to_display(window), cmap="gray", vmin=0, vmax=255, interpolation="nearest")
    _squares(zoom, (cy - t0, cx - l0), d)
    zoom.set_title(f"zoom: output pixel (+) sees {side}x{side} input pixels", fontsize=9)
    hide_ticks(zoom)
    _draw_view(view, max(max_recursions, d), d)
    view.set_title("what D buys, and what it costs", fontsize=9)
    _draw_cost(cost, filters, max(max_recursions, d), d)
    fig.suptitle(f"D = {d}: {conv_depth(d)} conv layers, a {side}x{side} view, "
                 f"{drcn_parameter_count(d, filters):,} parameters (F = {filters})", fontsize=11)
    fig.tight_layout()
    return fig


def depth_explorer(
    image: np.ndarray,
    filters: int = 256,
    max_recursions: int = 16,
    value: int = 16,
    centre: tuple[int, int] | None = None,
) -> SliderExplorer:
    """A D slider (1..max) that redraws :func:`receptive_field_figure`."""
    if centre is None:
        top, left, size, _ = detail_box(np.asarray(image), size=receptive_field(max_recursions))
        centre = (top + size // 2, left + size // 2)

    def draw(d: int) -> Figure:
        return receptive_field_figure(image, d, filters, centre, max_recursions)

    return slider_explorer(draw, range(1, max_recursions + 1), value=value,
                           description="recursions D")


@dataclass(frozen=True)
class StateTrace:
    """How the recursion treats H_0, for d = 1..D (float64 arrays of length D).

    ``norm[d - 1]`` = ||H_d|| / ||H_0|| (does the signal grow or fade?);
    ``drift[d - 1]`` = ||H_d - H_0|| / ||H_0|| (how far has the map moved from H_0?).
    """

    norm: np.ndarray
    drift: np.ndarray


@torch.no_grad()
def state_trace(infer: InferenceNet, h0: torch.Tensor) -> StateTrace:
    """Run ``infer`` on ``h0`` (N x F x H x W) and measure every H_d against H_0."""
    base = float(h0.norm())
    if base == 0.0:
        raise DRCNError("H_0 is all zeros; its norm cannot be a reference")
    states = infer(h0)
    return StateTrace(
        norm=np.array([float(h.norm()) / base for h in states], dtype=np.float64),
        drift=np.array([float((h - h0).norm()) / base for h in states], dtype=np.float64),
    )


def state_trace_figure(traces: Mapping[str, StateTrace], title: str = "") -> Figure:
    """Two panels against d: ||H_d|| / ||H_0|| and ||H_d - H_0|| / ||H_0||, one line per trace."""
    if not traces:
        raise DRCNError("state_trace_figure needs at least one trace")
    fig, axes = new_figure(1, 2, size=(10.0, 3.6))
    for name, trace in traces.items():
        d = np.arange(1, len(trace.norm) + 1)
        axes[0, 0].plot(d, trace.norm, "o-", markersize=3, label=name)
        axes[0, 1].plot(d, trace.drift, "o-", markersize=3, label=name)
    axes[0, 0].set_ylabel("||H_d|| / ||H_0||")
    axes[0, 0].set_title("size of the signal", fontsize=10)
    axes[0, 1].set_ylabel("||H_d - H_0|| / ||H_0||")
    axes[0, 1].set_title("distance from H_0", fontsize=10)
    for ax in axes[0]:
        ax.set_xlabel("recursion d")
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(title or "Identity init: every H_d starts equal to H_0", fontsize=11)
    fig.tight_layout()
    return fig


def ensemble_weights_figure(weights: torch.Tensor | np.ndarray, title: str = "") -> Figure:
    """Bars of the ensemble weights w_d of y = sum_d w_d y_d, d = 1..D, negative ones in red.

    No reference line: where the weights started is the training recipe's choice (the paper
    does not say), so the caller states it in words.
    """
    w = (weights.detach().cpu().numpy() if isinstance(weights, torch.Tensor)
         else np.asarray(weights, dtype=float)).ravel()
    fig, axes = new_figure(size=(6.5, 3.4))
    ax: Axes = axes[0, 0]
    d = np.arange(1, len(w) + 1)
    ax.bar(d, w, color=["#c0392b" if v < 0 else "#2e86c1" for v in w])
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(d)
    ax.set_xlabel("recursion d")
    ax.set_ylabel("w_d")
    top = int(np.argmax(np.abs(w))) + 1
    ax.set_title(title or f"Learned w_d: w_{top} is the largest ({w[top - 1]:.2f}); "
                          f"they sum to {w.sum():.2f}")
    fig.tight_layout()
    return fig
