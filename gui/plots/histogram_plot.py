"""HistogramPlot: counts of a batch's values (hpreact or h), drawn as a filled step curve."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from .style import BLUE, Hysteresis, corner_text


class HistogramPlot(pg.PlotWidget):
    def __init__(self, title: str, x_label: str, fixed_x: tuple[float, float] | None = None,
                 color=BLUE, parent=None):
        super().__init__(parent)
        self.plot_item: pg.PlotItem = self.getPlotItem()
        p = self.plot_item
        p.setTitle(title)
        p.setLabel("bottom", x_label)
        p.setLabel("left", "count")
        p.hideButtons()
        p.setMenuEnabled(False)
        p.setMouseEnabled(x=False, y=False)
        p.disableAutoRange()
        self.bars = pg.PlotCurveItem(x=[0.0, 1.0], y=[0.0], stepMode="center", fillLevel=0,
                                     pen=pg.mkPen(color, width=1), brush=pg.mkBrush(*color, 110),
                                     skipFiniteCheck=True)
        p.addItem(self.bars)
        self.note = corner_text(p)
        self.fixed_x = fixed_x
        self._x = Hysteresis(headroom=1.0, floor=0.0)   # half-width of the x range
        self._y = Hysteresis()
        self.clear_run()

    def clear_run(self) -> None:
        self.bars.setData([0.0, 1.0], [0.0])
        self.set_note("")
        self._x.reset()
        self._y.reset()
        self.plot_item.setXRange(*(self.fixed_x or (-1.0, 1.0)), padding=0.02)
        self.plot_item.setYRange(0, 1, padding=0)

    def set_histogram(self, counts: np.ndarray, edges: np.ndarray) -> None:
        self.bars.setData(edges, counts)
        if self.fixed_x is None and self._x.update(float(max(-edges[0], edges[-1]))):
            self.plot_item.setXRange(-self._x.top, self._x.top, padding=0.02)
        if self._y.update(float(counts.max())):
            self.plot_item.setYRange(0, self._y.top, padding=0)

    def set_note(self, text: str) -> None:
        if text != self.note.textItem.toPlainText():
            self.note.setText(text)
