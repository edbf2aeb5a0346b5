"""The sweep's other figures: the metric against each parameter, the intermediate metric of every
trial over its steps (pruned trials grey), and each parameter's importance."""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg

from core.sweeps.axes import Axis
from core.sweeps.sweep import TrialRow
from gui.workbench.sweeps.parallel import metric_colour

PRUNED_GREY = (170, 170, 170)


def _plain(plot: pg.PlotItem, title: str) -> None:
    plot.setTitle(title, size="9pt")
    plot.hideButtons()
    plot.setMenuEnabled(False)
    for name in ("left", "bottom"):
        plot.getAxis(name).enableAutoSIPrefix(False)


class MetricByParam(pg.GraphicsLayoutWidget):
    """One small scatter per parameter: the metric of each complete trial against its value."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.plots: dict[str, pg.PlotItem] = {}
        self.points: dict[str, pg.ScatterPlotItem] = {}

    def set_axes(self, axes: list[Axis], metric: str) -> None:
        self.clear()
        self.plots, self.points = {}, {}
        for i, axis in enumerate(axes):
            plot = self.addPlot(row=0, col=i)
            _plain(plot, f"{metric} by {axis.name}")
            plot.getAxis("bottom").setTicks([[(p, t) for p, t in axis.ticks()]])   # log axes too
            plot.setXRange(-0.05, 1.05, padding=0)
            self.plots[axis.name] = plot
            self.points[axis.name] = pg.ScatterPlotItem(size=7, pen=None)
            plot.addItem(self.points[axis.name])
        self.axes = list(axes)

    def set_trials(self, rows: list[TrialRow], metric_axis: Axis) -> None:
        done = [r for r in rows if r.val is not None]
        brushes = [pg.mkBrush(*metric_colour(metric_axis.position(r.val))) for r in done]
        for axis in self.axes:
            xs = [axis.position(r.params.get(axis.name)) for r in done]
            self.points[axis.name].setData(x=np.asarray(xs, float), y=[r.val for r in done], brush=brushes)

    def xy(self, name: str) -> list[tuple[float, float]]:
        """(position on the parameter's axis, metric) of each point."""
        x, y = self.points[name].getData()
        return list(zip(map(float, x), map(float, y), strict=True))


class Curves(pg.PlotWidget):
    """The metric every report_every steps of each trial; pruned trials grey, failed ones dashed."""

    def __init__(self, metric: str = "val", parent=None):
        super().__init__(parent)
        self.curves: dict[int, pg.PlotDataItem] = {}
        self.drawn: dict[int, tuple] = {}
        p = self.getPlotItem()
        _plain(p, f"{metric} during each trial (pruned: grey)")
        p.setLabel("bottom", "step")

    def reset(self, metric: str) -> None:
        for curve in self.curves.values():
            self.removeItem(curve)
        self.curves, self.drawn = {}, {}
        self.getPlotItem().setTitle(f"{metric} during each trial (pruned: grey)", size="9pt")

    def set_trials(self, rows: list[TrialRow], metric_axis: Axis) -> None:
        for row in rows:
            shown = (row.state, len(row.reports), metric_axis.position(row.val))
            if self.drawn.get(row.number) == shown:
                continue
            self.drawn[row.number] = shown
            steps = sorted(row.reports)
            ys = [row.reports[s] for s in steps]
            ys = [y if math.isfinite(y) else math.nan for y in ys]
            if row.state == "pruned":
                pen = pg.mkPen(PRUNED_GREY, width=1)
            elif row.state == "complete":
                pen = pg.mkPen(metric_colour(metric_axis.position(row.val)), width=2)
            else:
                pen = pg.mkPen((31, 119, 180) if row.state == "running" else (214, 39, 40), width=1,
                               style=pg.QtCore.Qt.PenStyle.DashLine)
            if row.number not in self.curves:
                self.curves[row.number] = self.plot(steps, ys, pen=pen, connect="finite")
            else:
                self.curves[row.number].setData(steps, ys, pen=pen, connect="finite")

    def curve(self, number: int) -> pg.PlotDataItem:
        return self.curves[number]


class Importance(pg.PlotWidget):
    """Each parameter's importance (core.sweeps.search.importance), as horizontal bars."""

    def __init__(self, parent=None):
        super().__init__(parent)
        p = self.getPlotItem()
        _plain(p, "importance (PED-ANOVA: what makes the best trials)")
        p.setMouseEnabled(x=False, y=False)
        self.bars: pg.BarGraphItem | None = None
        self.values: dict[str, float] = {}
        self.note = pg.TextItem("", color=(90, 90, 90), anchor=(0.5, 0.5))
        self.addItem(self.note)

    def set_importance(self, values: dict[str, float], names: list[str]) -> None:
        self.values = dict(values)
        if self.bars is not None:
            self.removeItem(self.bars)
            self.bars = None
        if not values:
            self.note.setText("after two complete trials with different settings")
            self.note.setPos(0.5, 0.5)
            return
        self.note.setText("")
        ys = list(range(len(names)))
        widths = [values.get(n, 0.0) for n in names]
        self.bars = pg.BarGraphItem(x0=0, y=ys, height=0.6, width=widths, brush=pg.mkBrush(31, 119, 180))
        self.addItem(self.bars)
        self.getPlotItem().getAxis("left").setTicks([[(y, n) for y, n in zip(ys, names, strict=True)]])
        self.setXRange(0, 1, padding=0.02)
        self.setYRange(-0.6, len(names) - 0.4, padding=0)
