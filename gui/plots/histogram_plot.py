"""HistogramPlot: counts of a batch's values (hpreact or h), drawn as filled bars."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from gui.plots.lean import LeanPlotWidget, pen, set_note, step_outline
from gui.plots.style import BLUE, Hysteresis


class HistogramPlot(LeanPlotWidget):
    def __init__(self, title: str, x_label: str, fixed_x: tuple[float, float] | None = None,
                 colour=BLUE, parent=None):
        super().__init__(title, x_label, "count", parent)
        self.plot_item.setMouseEnabled(x=False, y=False)
        self.bars = self.add_path_item(pen(colour), pg.mkBrush(*colour, 110))
        self.note = self.add_note()
        self.fixed_x = fixed_x
        self._x = Hysteresis(headroom=1.0, floor=0.0)   # half-width of the x range
        self._y = Hysteresis()
        self.clear_run()

    def clear_run(self) -> None:
        self.counts = self.edges = None   # what is drawn now
        self.bars.setPath(step_outline(np.zeros(1), np.zeros(0)))
        self.set_note("")
        self._x.reset()
        self._y.reset()
        self.plot_item.setXRange(*(self.fixed_x or (-1.0, 1.0)), padding=0.02)
        self.plot_item.setYRange(0, 1, padding=0)

    def set_histogram(self, counts: np.ndarray, edges: np.ndarray) -> None:
        self.counts, self.edges = counts, edges
        self.bars.setPath(step_outline(edges, counts))
        if self.fixed_x is None and self._x.update(float(max(-edges[0], edges[-1]))):
            self.plot_item.setXRange(-self._x.top, self._x.top, padding=0.02)
        if self._y.update(float(counts.max())):
            self.plot_item.setYRange(0, self._y.top, padding=0)

    def set_note(self, text: str) -> None:
        set_note(self.note, text)
