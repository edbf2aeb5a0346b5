"""The Layers view's plots, drawn as the live plots are (gui.plots.lean): C++-painted path and
pixmap items whose painting never takes the GIL from the training thread, ranges set by hand
and only when the data outgrow them."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from gui.plots.lean import LeanPlotWidget, add_pixmap_item, pen, polyline
from gui.plots.style import Hysteresis
from gui.plots.words import SATURATED
from gui.workbench.plots import PALETTE, FollowX, FollowY, gappy_polyline

LEGEND_LINES = 10      # room for 8 layers, or 10 weights, at most


def colour(i: int) -> tuple[int, int, int]:
    return PALETTE[i % len(PALETTE)]


class Curve:
    """One line of a figure: a path item, and the data it was last given (getData)."""

    def __init__(self, item):
        self.item = item
        self.x = self.y = np.zeros(0)

    def setData(self, x, y, connect: str = "all") -> None:
        self.x, self.y = np.asarray(x), np.asarray(y)
        self.item.setPath(gappy_polyline(self.x, self.y) if connect == "finite" else polyline(self.x, self.y))

    def getData(self) -> tuple[np.ndarray, np.ndarray]:
        return self.x, self.y


class Figure(QWidget):
    """A plot with one curve per item and a legend below it (a label: cheaper than a pg legend
    painted over the data every frame), each line in its curve's colour. `histogram`: x is
    symmetric about 0 and y starts at 0; otherwise a series over steps."""

    def __init__(self, title: str, x_label: str, y_label: str, tip: str, histogram: bool = True, parent=None):
        super().__init__(parent)
        self.plot = LeanPlotWidget(title, x_label, y_label)
        self.plot.plot_item.setTitle(title, size="10pt")
        self.plot.plot_item.setMouseEnabled(x=False, y=False)
        self.plot.setToolTip(tip)
        self.histogram = histogram
        self.legend = QLabel()
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setStyleSheet("QLabel { font-size: 9pt; }")
        self.legend.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        # a fixed box, a line per curve: set when the architecture changes, so new numbers
        # never resize the window
        self.legend.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self._size_legend(1)
        self.curves: list[Curve] = []
        self.legend_lines: list[str] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.legend)
        self.reset_ranges()

    def reset_ranges(self) -> None:
        self._x, self._y = (Hysteresis(headroom=1.0, floor=0.0), Hysteresis()) if self.histogram else \
            (FollowX(), FollowY(margin=0.1))

    def _size_legend(self, lines: int) -> None:
        self.legend.setFixedHeight(self.legend.fontMetrics().lineSpacing() * min(max(lines, 1), LEGEND_LINES) + 4)

    def ensure(self, n: int) -> None:
        """Exactly n curves, made once (again only when the architecture changes)."""
        if n != len(self.curves) and n:
            self._size_legend(n)
        if n != len(self.curves):
            self.reset_ranges()
        while len(self.curves) > n:
            self.plot.view_box.removeItem(self.curves.pop().item)
        while len(self.curves) < n:
            self.curves.append(Curve(self.plot.add_path_item(pen(colour(len(self.curves))))))

    def fit(self, settle: bool = False) -> None:
        """Widen (or, seldom, narrow) the axes to the curves' data; `settle`: fit them to it
        now (the run has paused: nothing moves for a while)."""
        if settle:
            self.reset_ranges()
        xs = [c.x for c in self.curves if c.x.size]
        ys = [c.y[np.isfinite(c.y)] for c in self.curves if c.y.size]
        ys = [y for y in ys if y.size]
        if not xs or not ys:
            return
        p = self.plot.plot_item
        if self.histogram:
            if self._x.update(float(max(np.abs(x).max() for x in xs))):
                p.setXRange(-self._x.top, self._x.top, padding=0.02)
            if self._y.update(float(max(y.max() for y in ys))):
                p.setYRange(0, self._y.top, padding=0)
        else:
            if self._x.update(float(max(x.max() for x in xs))):
                p.setXRange(0, self._x.top, padding=0.01)
            if self._y.update(float(min(y.min() for y in ys)), float(max(y.max() for y in ys))):
                p.setYRange(self._y.lo, self._y.hi, padding=0)

    def set_legend(self, lines: list[str]) -> None:
        if lines == self.legend_lines:
            return
        self.legend_lines = list(lines)
        self.legend.setText("<br>".join(f"<span style='color: rgb{colour(i)}'>{t}</span>"
                                        for i, t in enumerate(lines)))


_VIRIDIS = [0xFF000000 | (r << 16) | (g << 8) | b
            for r, g, b in pg.colormap.get("viridis").getLookupTable(nPts=256, alpha=False).tolist()]


class SaturationMap(LeanPlotWidget):
    """Saturation % of each hidden layer (rows) at each snapshot (columns), 0 % dark, 100 % bright."""

    def __init__(self, parent=None):
        title = f"saturated % of each hidden layer over time ({SATURATED}; dark 0 %, bright 100 %)"
        super().__init__(title, "step", "hidden layer", parent)
        self.plot_item.setTitle(title, size="10pt")
        self.plot_item.setMouseEnabled(x=False, y=False)
        self.image = add_pixmap_item(self)
        self.setToolTip("Each row is a hidden layer (the first at the bottom), each column a frame.\n"
                        "Bright: many outputs in tanh's flat tails, where almost no gradient passes back.\n"
                        "Without BatchNorm at gain 3 every row lights up; with it they stay dark.\n"
                        "A net without tanh has nothing to saturate: its rows stay dark.")
        self.values = np.zeros((0, 0), dtype=np.float32)   # layers x snapshots, in %
        self.rows = 0
        self._x = FollowX()

    def draw(self, steps: np.ndarray, values: np.ndarray) -> None:
        self.values = values
        if values.size == 0:
            self.image.hide()
            self._x.reset()
            return
        # the view's y points up, so the image's row 0 (the first layer) lands at the bottom
        index = np.ascontiguousarray(np.clip(values * 2.55, 0, 255).astype(np.uint8))
        rows, cols = index.shape
        image = QImage(index.data, cols, rows, cols, QImage.Format.Format_Indexed8)
        image.setColorTable(_VIRIDIS)
        self.image.setPixmap(QPixmap.fromImage(image))
        x0 = float(steps[0])
        width = max(float(steps[-1]) - x0, 1.0) * cols / max(cols - 1, 1)
        rect = QRectF(x0, 0.5, width, rows)
        self.image.setTransform(pg.QtGui.QTransform.fromScale(rect.width() / cols, rect.height() / rows)
                                * pg.QtGui.QTransform.fromTranslate(rect.x(), rect.y()))
        self.image.show()
        if rows != self.rows:
            self.rows = rows
            self.plot_item.getAxis("left").setTicks([[(k, str(k)) for k in range(1, rows + 1)]])
            self.plot_item.setYRange(0.5, rows + 0.5, padding=0)
        if self._x.update(x0 + width):
            self.plot_item.setXRange(0, self._x.top, padding=0.01)
