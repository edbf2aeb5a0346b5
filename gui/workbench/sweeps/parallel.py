"""Parallel coordinates: an axis per parameter and one for the metric, a line per trial through
its values, coloured by the metric (bright: low). Drag the band on an axis to keep only the
trials that pass through that range; the others turn grey."""
from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import Signal

from core.sweeps.axes import Axis
from core.sweeps.sweep import TrialRow

LIGHT = (205, 205, 205)
BRUSH_HALF_WIDTH = 0.07


def metric_colour(position: float | None) -> tuple:
    if position is None:
        return (150, 150, 150)
    c = pg.colormap.get("viridis").map(1.0 - min(1.0, max(0.0, position)), mode="byte")
    return tuple(int(x) for x in c[:3])


class ParallelCoordinates(pg.PlotWidget):
    brushed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        p = self.getPlotItem()
        p.hideAxis("left")
        p.hideAxis("bottom")
        p.hideButtons()
        p.setMenuEnabled(False)
        p.setMouseEnabled(x=False, y=False)
        p.setTitle("Parallel coordinates: drag an axis's band to keep the trials through it", size="9pt")
        self.axes: list[Axis] = []
        self.rows: list[TrialRow] = []
        self.lines: dict[int, pg.PlotDataItem] = {}
        self.regions: list[pg.LinearRegionItem] = []
        self._decor: list = []
        self.metric_ticks: list[pg.TextItem] = []
        self._drawn: dict[int, tuple] = {}       # what each line shows now: redrawn only when it changes

    # -- axes --------------------------------------------------------------------------------
    def set_axes(self, axes: list[Axis]) -> None:
        """New axes (the metric's last); brushes are reset to the whole of each axis."""
        old = {a.name: self.brush(a.name) for a in self.axes}
        same = [a.name for a in axes] == [a.name for a in self.axes]
        for item in self._decor + self.regions:
            self.removeItem(item)
        self._decor, self.regions = [], []
        self.axes = list(axes)
        n = len(axes)
        self.setXRange(-0.35, n - 0.65, padding=0)
        self.setYRange(-0.1, 1.12, padding=0)
        for i, axis in enumerate(axes):
            line = pg.PlotDataItem([i, i], [0, 1], pen=pg.mkPen((60, 60, 60), width=1))
            title = pg.TextItem(axis.name + (" (log)" if axis.log else ""), color=(0, 0, 0), anchor=(0.5, 1))
            title.setPos(i, 1.1)
            self._decor += [line, title]
            ticks = []
            for pos, text in axis.ticks():
                tick = pg.TextItem(text, color=(90, 90, 90), anchor=(0, 0.5))
                tick.setPos(i + BRUSH_HALF_WIDTH + 0.01, pos)
                ticks.append(tick)
            self._decor += ticks
            self.metric_ticks = ticks             # the last axis's: relabelled as the metric's range moves
            x0, x1 = -0.35, n - 0.65
            span = ((i - BRUSH_HALF_WIDTH - x0) / (x1 - x0), (i + BRUSH_HALF_WIDTH - x0) / (x1 - x0))
            region = pg.LinearRegionItem(values=old[axis.name] if same else (0.0, 1.0), orientation="horizontal",
                                         bounds=(0.0, 1.0), span=span, brush=pg.mkBrush(31, 119, 180, 40))
            region.setZValue(10)
            region.sigRegionChanged.connect(self._on_brushed)
            self.regions.append(region)
        for item in self._decor + self.regions:
            self.addItem(item)
        self._draw()

    def brush(self, name: str) -> tuple[float, float]:
        """The kept range of an axis, as positions 0 ... 1."""
        for axis, region in zip(self.axes, self.regions, strict=True):
            if axis.name == name:
                lo, hi = region.getRegion()
                return float(lo), float(hi)
        raise KeyError(name)

    def set_brush(self, name: str, low, high) -> None:
        """Keep only the trials whose `name` lies between low and high (the axis's own units)."""
        i = [a.name for a in self.axes].index(name)
        lo, hi = self.axes[i].position(low), self.axes[i].position(high)
        self.regions[i].setRegion((min(lo, hi) - 1e-9, max(lo, hi) + 1e-9))

    def clear_brushes(self) -> None:
        for region in self.regions:
            region.setRegion((0.0, 1.0))

    # -- trials ------------------------------------------------------------------------------
    def set_trials(self, rows: list[TrialRow], axes: list[Axis] | None = None) -> None:
        self.rows = list(rows)
        if axes is not None and axes != self.axes:
            if [a.name for a in axes] == [a.name for a in self.axes] and axes[:-1] == self.axes[:-1]:
                self._set_metric_axis(axes[-1])      # only the metric's range moved: relabel it
            else:
                self.set_axes(axes)
                return
        self._draw()

    def _set_metric_axis(self, axis: Axis) -> None:
        self.axes[-1] = axis
        for (_, text), item in zip(axis.ticks(), self.metric_ticks, strict=True):
            item.setText(text)

    def positions(self, row: TrialRow) -> list[float | None]:
        """Where the trial's line crosses each axis (None: no value there, e.g. no metric yet)."""
        values = [row.params.get(a.name) for a in self.axes[:-1]] + [row.val]
        return [a.position(v) for a, v in zip(self.axes, values, strict=True)]

    def kept(self) -> list[int]:
        """The trials (numbers) through every brushed range; a trial without a metric only
        counts while the metric's axis is not brushed."""
        out = []
        for row in self.rows:
            ok = True
            for (lo, hi), pos in zip((r.getRegion() for r in self.regions), self.positions(row), strict=True):
                whole = lo <= 1e-6 and hi >= 1 - 1e-6
                if not whole and (pos is None or not lo <= pos <= hi):
                    ok = False
                    break
            if ok:
                out.append(row.number)
        return out

    def line_of(self, number: int) -> pg.PlotDataItem:
        return self.lines[number]

    def _on_brushed(self) -> None:
        self._draw()
        self.brushed.emit()

    def _draw(self) -> None:
        kept = set(self.kept()) if self.axes else set()
        numbers = {r.number for r in self.rows}
        for number in [n for n in self.lines if n not in numbers]:
            self.removeItem(self.lines.pop(number))
            self._drawn.pop(number, None)
        for row in self.rows:
            pos = self.positions(row)
            y = [math.nan if p is None else p for p in pos]
            colour = metric_colour(pos[-1]) if row.number in kept else LIGHT
            width = 2 if row.number in kept and row.val is not None else 1
            shown = (tuple(y), colour, width)
            if self._drawn.get(row.number) == shown:
                continue
            self._drawn[row.number] = shown
            pen = pg.mkPen(colour, width=width)
            if row.number not in self.lines:
                self.lines[row.number] = self.plot(list(range(len(y))), y, pen=pen, connect="finite")
            else:
                self.lines[row.number].setData(list(range(len(y))), y, pen=pen, connect="finite")
            self.lines[row.number].setZValue(5 if row.number in kept else 1)
