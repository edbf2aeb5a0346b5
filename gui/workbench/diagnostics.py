"""The lecture's part-3 diagnostics, live: gradient histograms, update:data ratios over time,
and the distribution of hpreact over time as TensorBoard-style percentile bands."""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from core.diagnostics.stats import PERCENTILES, SATURATION_MASK_THRESHOLD, Snapshot
from core.model.mlp import PARAM_NAMES
from core.runs.run_history import RunHistory
from gui.plots import HistogramPlot
from gui.plots.lean import LeanPlotWidget, pen
from gui.plots.style import BLUE, GREY, html_title
from gui.workbench.plots import PARAM_COLOURS, FollowX, FollowY, band, gappy_polyline, hline

GUIDE_LOG10 = -3.0     # the lecture's rule of thumb: updates about 1/1000 of the data
DASHED = pg.mkPen((0, 0, 0), width=0, style=Qt.PenStyle.DashLine)


def _caption(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet("QLabel { color: #444; }")
    return label


class GradientsTab(QWidget):
    """The gradient flowing into h, and each parameter's weight gradient with its grad:data ratio."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.hgrad = HistogramPlot("gradient into h", "dloss/dh × batch size", colour=GREY)
        self.hgrad.setToolTip("Histogram of the gradient flowing back into the tanh outputs h over the last "
                              "batch (per example: scaled by the batch size).\nA healthy layer passes back "
                              "gradients of similar size everywhere; saturated tanh units pass back ~0.")
        self.params: dict[str, HistogramPlot] = {}
        grid = QGridLayout()
        grid.setSpacing(2)
        grid.addWidget(self.hgrad, 0, 0)
        for i, name in enumerate(PARAM_NAMES, start=1):
            plot = HistogramPlot(name, f"gradient of {name}", colour=PARAM_COLOURS[name])
            plot.plot_item.getAxis("left").showLabel(False)
            plot.setToolTip(f"Histogram of the gradient of {name} at the last step. The note gives its "
                            "grad:data ratio,\nstd(grad) / std(data): how large the gradient is next to the "
                            "values it will change.\nOne much larger than the others trains faster than "
                            "the rest (the lecture's W2 at init).")
            self.params[name] = plot
            grid.addWidget(plot, i // 4, i % 4)
        self.hgrad.plot_item.getAxis("left").showLabel(False)
        self.caption = _caption("The last batch's gradients, as in part 3 of the lecture. BatchNorm's bngain "
                                "and bnbias are drawn only when it is on; with it on, b1's gradient is ~0 "
                                "(BatchNorm subtracts the mean b1 adds).")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(grid, 1)
        layout.addWidget(self.caption)
        self.step: int | None = None          # the step drawn, and the one whose numbers are written
        self.noted_step: int | None = None

    def clear_run(self) -> None:
        self.step = self.noted_step = None
        for plot in (self.hgrad, *self.params.values()):
            plot.clear_run()

    def show_snapshot(self, s: Snapshot | None, notes: bool = True) -> None:
        """Draw s's histograms; its numbers too when `notes` (text is dear to lay out:
        while training runs the caller asks for them a few times a second only)."""
        if s is None or s.detail is None:
            return
        d = s.detail
        if s.step != self.step:
            self.step = s.step
            self.hgrad.set_histogram(d.hgrad_hist, d.hgrad_edges)
            for name, plot in self.params.items():
                plot.setVisible(name in s.param_names)
                if name in s.param_names:
                    i = s.param_names.index(name)
                    plot.set_histogram(d.grad_hists[i], d.grad_edges[i])
        if notes and s.step != self.noted_step:
            self.noted_step = s.step
            self.hgrad.set_note(f"step {s.step:,}")
            for i, name in enumerate(s.param_names):
                self.params[name].set_note(f"grad:data {s.grad_data_ratio[i]:.2g}")

    def plot_items(self) -> dict[str, pg.PlotItem]:
        out = {"Gradient into h": self.hgrad.plot_item}
        out.update({f"Gradient of {n}": p.plot_item for n, p in self.params.items()})
        return out


class UpdateRatioTab(QWidget):
    """log10(std(lr × grad) / std(data)) over the steps, one line per parameter (lecture part 3)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        title = html_title(("update:data,", None), *((n, PARAM_COLOURS[n]) for n in PARAM_NAMES),
                           ("; dashed: 1e-3", None))
        self.plot = LeanPlotWidget("", "step", "log10(update std / data std)")
        self.plot.plot_item.setTitle(title, size="10pt")
        self.plot.plot_item.setMouseEnabled(x=False, y=False)
        self.plot_item = self.plot.plot_item
        self.lines = {n: self.plot.add_path_item(pen(PARAM_COLOURS[n]), z=1) for n in PARAM_NAMES}
        self.guide = self.plot.add_path_item(DASHED)
        self.guide_y = GUIDE_LOG10
        self.drawn: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.plot.setToolTip("How big each step's update is next to the values it changes, as log10, for "
                             "every parameter.\nThe lecture's rule of thumb: about 1e-3 (the dashed line). "
                             "Far below, that parameter learns too slowly;\nfar above, too fast. A lower "
                             "learning rate moves every line down by the same amount.")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.plot, 1)
        layout.addWidget(_caption("Sampled from the snapshots the window receives (many a second), so the "
                                  "x-axis is steps but not every step is drawn. A gap: a ratio of zero or "
                                  "undefined (b2 and bnbias start at 0, so their data std is 0)."))
        self._x, self._y = FollowX(), FollowY(margin=0.15)
        self.clear_run()

    def clear_run(self) -> None:
        for line in self.lines.values():
            line.setPath(gappy_polyline([], []))
        self.drawn = {}
        self._x.reset()
        self._y.reset()
        self._set_x(10)
        self.plot_item.setYRange(-5, -1, padding=0)
        self.n = -1

    def _set_x(self, top: float) -> None:
        self.plot_item.setXRange(0, top, padding=0)
        self.guide.setPath(hline(self.guide_y, 0, top))

    def show_history(self, history: RunHistory | None, max_steps: int | None = None) -> None:
        series = history.update_ratios if history is not None else None
        if series is None or series.n == self.n:
            return
        self.n = series.n
        steps, values = series.data()
        steps, values = steps.astype(np.float64), values.astype(np.float64)
        self.drawn = {}
        for name, line in self.lines.items():
            if name in history.param_names:
                y = values[:, history.param_names.index(name)]
                line.setPath(gappy_polyline(steps, y))
                self.drawn[name] = (steps, y)
            else:
                line.setPath(gappy_polyline([], []))
        if len(steps) and self._x.update(float(steps[-1]), max_steps):
            self._set_x(self._x.top)
        finite = values[np.isfinite(values)]
        if finite.size and self._y.update(min(float(finite.min()), GUIDE_LOG10),
                                          max(float(finite.max()), GUIDE_LOG10)):
            self.plot_item.setYRange(self._y.lo, self._y.hi, padding=0)


BANDS = ((0, 8, 45), (1, 7, 70), (2, 6, 100), (3, 5, 140))   # percentile indices and fill alpha
TANH_SATURATES_AT = math.atanh(SATURATION_MASK_THRESHOLD)


class DistributionsTab(QWidget):
    """hpreact's percentiles over the steps, as nested bands (TensorBoard's distributions)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        assert len(PERCENTILES) == 9
        self.plot = LeanPlotWidget("", "step", "hpreact (tanh input)")
        self.plot.plot_item.setTitle("hpreact over time: the median and the middle 38, 68, 86 and 100 %; "
                                     "dashed: |tanh| = 0.99", size="10pt")
        self.plot.plot_item.setMouseEnabled(x=False, y=False)
        self.plot_item = self.plot.plot_item
        self.bands = [self.plot.add_path_item(pg.mkPen(None), pg.mkBrush(*BLUE, alpha), z=i)
                      for i, (_, _, alpha) in enumerate(BANDS)]
        self.median = self.plot.add_path_item(pen((10, 40, 90)), z=10)
        self.guides = [self.plot.add_path_item(pg.mkPen((150, 150, 150), width=0, style=Qt.PenStyle.DashLine))
                       for _ in range(2)]
        self.drawn: tuple[np.ndarray, np.ndarray] | None = None
        self.plot.setToolTip("How the tanh layer's input is spread over the batch, step after step.\n"
                             "Darkest band: percentiles 31–69; then 16–84 (±1σ for a gaussian), 7–93 and "
                             "0–100; the line is the median.\nOutside the dashed lines tanh is saturated "
                             "(|h| > 0.99) and passes back almost no gradient.\nBatchNorm keeps the bands "
                             "near ±1; a bad init spreads them far past the lines.")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.plot, 1)
        layout.addWidget(_caption("Percentiles over the last batch, measured a few times a second while "
                                  "training runs (more often while this tab is shown)."))
        self._x, self._y = FollowX(), FollowY(margin=0.1)
        self.clear_run()

    def clear_run(self) -> None:
        for item in (*self.bands, self.median):
            item.setPath(gappy_polyline([], []))
        self.drawn = None
        self._x.reset()
        self._y.reset()
        self._set_x(10)
        self.plot_item.setYRange(-4, 4, padding=0)
        self.n = -1

    def _set_x(self, top: float) -> None:
        self.plot_item.setXRange(0, top, padding=0)
        for guide, y in zip(self.guides, (-TANH_SATURATES_AT, TANH_SATURATES_AT), strict=True):
            guide.setPath(hline(y, 0, top))

    def show_history(self, history: RunHistory | None, max_steps: int | None = None) -> None:
        series = history.percentiles if history is not None else None
        if series is None or series.n == self.n:
            return
        self.n = series.n
        steps, values = series.data()
        steps, values = steps.astype(np.float64), values.astype(np.float64)
        self.drawn = (steps, values)
        for item, (lo, hi, _) in zip(self.bands, BANDS, strict=True):
            item.setPath(band(steps, values[:, lo], values[:, hi]))
        self.median.setPath(gappy_polyline(steps, values[:, 4]))
        if len(steps):
            if self._x.update(float(steps[-1]), max_steps):
                self._set_x(self._x.top)
            top = max(float(np.nanmax(np.abs(values[:, [0, -1]]))), TANH_SATURATES_AT)
            if self._y.update(-top, top):
                self.plot_item.setYRange(self._y.lo, self._y.hi, padding=0)
