"""LossPlot: log10 of every step's minibatch loss (faint) and its mean over 1,000 steps (bold)."""
from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import Qt

from core.loss_curve import LossCurve

from .style import BLUE, GREY, RED

# x-axis ends the view jumps between, so the axis is redrawn a dozen times a run, not per frame
_X_STOPS = [m * 10 ** e for e in range(2, 10) for m in (1, 2, 5)]


class LossPlot(pg.PlotWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.plot_item: pg.PlotItem = self.getPlotItem()
        p = self.plot_item
        p.setTitle("Training loss")
        p.setLabel("left", "log10 loss (loss in nats)")
        p.setLabel("bottom", "step")
        p.showGrid(x=True, y=True, alpha=0.25)
        p.hideButtons()
        p.setMenuEnabled(False)
        p.disableAutoRange()
        p.addLegend(offset=(-10, 10), labelTextSize="8pt")
        self.per_step = pg.PlotCurveItem(pen=pg.mkPen((*BLUE, 60), width=1), skipFiniteCheck=True,
                                         name="each step")
        self.chunk_mean = pg.PlotCurveItem(pen=pg.mkPen(RED, width=2), skipFiniteCheck=True,
                                           name="mean of 1,000 steps")
        p.addItem(self.per_step)
        p.addItem(self.chunk_mean)
        self.setToolTip("Cross-entropy loss of each minibatch, as log10 (the lecture's lossi), "
                        "and its mean over every 1,000 steps.\nDrag or scroll to zoom; "
                        "double-click to follow the run again.")
        p.getViewBox().sigRangeChangedManually.connect(self._stop_following)
        self.scene().sigMouseClicked.connect(self._on_click)
        self.max_steps = 0
        self.clear_run()

    def clear_run(self) -> None:
        self.curve = LossCurve()
        for line in getattr(self, "markers", []):
            self.plot_item.removeItem(line)
        self.markers: list[pg.InfiniteLine] = []
        self._y_lo, self._y_hi = math.inf, -math.inf
        self._x_hi = 0
        self._dirty = True
        self.following = True
        self.per_step.setData([], [])
        self.chunk_mean.setData([], [])
        self._apply_range()

    def set_max_steps(self, max_steps: int) -> None:
        self.max_steps = max_steps

    def append(self, losses) -> None:
        span = self.curve.extend(losses)
        if span is not None:
            self._y_lo, self._y_hi = min(self._y_lo, span[0]), max(self._y_hi, span[1])
            self._dirty = True

    def add_event(self, step: int, text: str) -> None:
        line = pg.InfiniteLine(pos=step, angle=90, movable=False,
                               pen=pg.mkPen(GREY, width=1, style=Qt.PenStyle.DashLine),
                               label=text, labelOpts={"position": 0.92, "color": (60, 60, 60),
                                                      "fill": (255, 255, 255, 200), "anchors": [(0, 0), (0, 0)]})
        line.setToolTip(f"step {step:,}: {text}")
        self.plot_item.addItem(line)
        self.markers.append(line)

    def redraw(self) -> bool:
        """Push new points to the curves; False when there was nothing new."""
        if not self._dirty:
            return False
        self._dirty = False
        self.per_step.setData(*self.curve.step_xy())
        self.chunk_mean.setData(*self.curve.mean_xy())
        if self.following:
            self._apply_range()
        return True

    def _apply_range(self) -> None:
        n = self.curve.n
        x_hi = next((x for x in _X_STOPS if x >= n * 1.05), n)
        if self.max_steps:
            x_hi = min(x_hi, self.max_steps)
        if x_hi != self._x_hi:
            self._x_hi = x_hi
            self.plot_item.setXRange(0, max(x_hi, n, 1), padding=0.01)
        if self._y_lo <= self._y_hi:
            vb = self.plot_item.getViewBox()
            (_, _), (y0, y1) = vb.viewRange()
            want = (self._y_lo, self._y_hi)
            if want[0] < y0 or want[1] > y1 or (y1 - y0) > 3 * (want[1] - want[0] + 0.05):
                pad = 0.05 * (want[1] - want[0]) + 0.02
                self.plot_item.setYRange(want[0] - pad, want[1] + pad, padding=0)

    def _stop_following(self, *_) -> None:
        self.following = False

    def _on_click(self, event) -> None:
        if event.double():
            self.following = True
            self._x_hi = 0
            self._apply_range()
