"""Plot helpers shared by the workbench's tabs: colours for the parameters, paths with
gaps, axis ranges that change seldom, and a plain interactive plot for the runs overlay.

The live tabs draw with gui.plots.lean (C++-painted path items, see there); only the runs
overlay, redrawn at most once a second, uses pyqtgraph's own curves, legend and zoom."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QPainterPath

# matplotlib's tab10, one per parameter in core.model.mlp.PARAM_NAMES order, as the lecture's plots
PALETTE = ((31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
           (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207))
PARAM_COLOURS = dict(zip(("C", "W1", "b1", "W2", "b2", "bngain", "bnbias"), PALETTE, strict=False))

# ends of the x-axis the view jumps between, so its text is redrawn a few dozen times a run,
# close enough together that the data always fill three quarters of the axis or more
X_STOPS = [m * 10 ** e for e in range(1, 13) for m in (1, 1.25, 1.5, 1.75, 2, 2.5, 3, 3.5, 4, 5, 6, 7, 8, 9)]


def gappy_polyline(x, y) -> QPainterPath:
    """A path through (x, y) with a gap wherever y is NaN."""
    return pg.arrayToQPath(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64), connect="finite")


def band(x, lo, hi) -> QPainterPath:
    """The closed area between two curves over the same x."""
    x = np.asarray(x, dtype=np.float64)
    path = pg.arrayToQPath(np.concatenate([x, x[::-1]]),
                           np.concatenate([np.asarray(hi, np.float64), np.asarray(lo, np.float64)[::-1]]),
                           connect="all", finiteCheck=False)
    path.closeSubpath()
    return path


def hline(y: float, x0: float, x1: float) -> QPainterPath:
    path = QPainterPath()
    path.moveTo(x0, y)
    path.lineTo(x1, y)
    return path


def lean_plot(title: str = "", x_label: str = "", y_label: str = "", mouse: bool = False) -> pg.PlotWidget:
    widget = pg.PlotWidget()
    p = widget.getPlotItem()
    if title:
        p.setTitle(title, size="10pt")
    if x_label:
        p.setLabel("bottom", x_label)
    if y_label:
        p.setLabel("left", y_label)
    for name in ("left", "bottom"):
        axis = p.getAxis(name)
        axis.setStyle(tickLength=5)
        axis.enableAutoSIPrefix(False)
    p.hideButtons()
    p.setMenuEnabled(False)
    p.setMouseEnabled(x=mouse, y=mouse)
    p.disableAutoRange()
    widget.plot_item = p
    return widget


class FollowX:
    """The x-range [0, a stop just past the data]; True from `update` when it moved."""

    def __init__(self):
        self.top = 0

    def update(self, last_x: float, cap: float | None = None) -> bool:
        """`cap`: the run's max steps; the range stops there when the data do."""
        top = next((x for x in X_STOPS if x >= last_x * 1.05 + 1), last_x * 1.05 + 1)
        if cap is not None and last_x <= cap < top:
            top = cap
        if top != self.top:
            self.top = top
            return True
        return False

    def reset(self) -> None:
        self.top = 0


class FollowY:
    """A y-range that grows at once to hold the data and shrinks only when the data fill
    less than a third of it, with a margin, so its text changes seldom."""

    def __init__(self, margin: float = 0.25):
        self.margin = margin
        self.lo = self.hi = None

    def update(self, lo: float, hi: float) -> bool:
        if not (lo == lo and hi == hi):        # NaN: nothing to fit yet
            return False
        span = max(hi - lo, 1e-6)
        if self.lo is not None and self.lo <= lo and hi <= self.hi and (self.hi - self.lo) < 3 * span + 1:
            return False
        self.lo, self.hi = lo - self.margin * span - 0.05, hi + self.margin * span + 0.05
        return True

    def reset(self) -> None:
        self.lo = self.hi = None
