"""LeanPlotWidget: a pyqtgraph PlotWidget whose frames cost the training thread nothing.

Why: a PySide6 call into C++ keeps holding the GIL while C++ runs. pyqtgraph's
GraphicsView.paintEvent is a Python method that calls QGraphicsView.paintEvent, so the
whole scene is rasterised while holding the GIL, and the training thread (which needs the
GIL for every step) stops for that long, every frame. Here paintEvent stays Qt's own, so
Qt paints from its event loop without the GIL, and the data are drawn by C++ items
(QGraphicsPathItem, QGraphicsPixmapItem) whose painting never enters Python. Only
building a path or an image, once a frame, takes the GIL.

The price: pyqtgraph applies a view-range change to the view's matrix just before it
paints (GraphicsScene.prepareForPaint); `prepare()` does that instead, whenever the range
or the size changes.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainterPath, QPixmap
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QGraphicsPixmapItem, QGraphicsTextItem, QGraphicsView


class LeanPlotWidget(pg.PlotWidget):
    paintEvent = QGraphicsView.paintEvent  # Qt's, not pyqtgraph's Python override: see above

    def __init__(self, title: str, x_label: str, y_label: str, parent=None):
        super().__init__(parent)
        self.plot_item: pg.PlotItem = self.getPlotItem()   # for exporting
        p = self.plot_item
        p.setTitle(title)
        p.setLabel("bottom", x_label)
        p.setLabel("left", y_label)
        p.hideButtons()
        p.setMenuEnabled(False)
        p.disableAutoRange()
        for name in ("left", "bottom"):
            axis = p.getAxis(name)
            # outwards: the axes stay clear of the data area; tick labels fill at most half the
            # axis, so narrow plots do not run them together ("-0.04-0.02")
            axis.setStyle(tickLength=5, textFillLimits=[(0, 0.5), (2, 0.35), (4, 0.2)])
            axis.enableAutoSIPrefix(False)
            # Qt blits a pixmap of the axis instead of calling its Python paint every frame
            axis.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.view_box: pg.ViewBox = p.getViewBox()
        self.view_box.sigRangeChanged.connect(self.prepare)

    def prepare(self, *_) -> None:
        """Bring the view's matrix (and pinned text) up to date with its range and size."""
        self.scene().prepareForPaint()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.prepare()

    def add_path_item(self, pen, brush=None, z: float = 0) -> QGraphicsPathItem:
        item = QGraphicsPathItem()
        item.setPen(pen)
        if brush is not None:
            item.setBrush(brush)
        item.setZValue(z)
        self.view_box.addItem(item, ignoreBounds=True)
        return item

    def add_note(self) -> QGraphicsTextItem:
        """Text pinned to the view's pixels (a child of the ViewBox, not of its data)."""
        note = QGraphicsTextItem()
        font = QFont()
        font.setPointSize(9)
        note.setFont(font)
        note.setDefaultTextColor(QColor(20, 20, 20))
        note.setParentItem(self.view_box)
        note.setZValue(100)
        note.setPos(4, 2)
        return note


def set_note(note: QGraphicsTextItem, text: str) -> bool:
    """Show text on a light box (readable over the black saturation image); False if unchanged."""
    if note.toPlainText() == text:
        return False
    note.setHtml(f"<span style='background-color: rgba(255, 255, 255, 210)'>&nbsp;{text}&nbsp;</span>"
                 if text else "")
    return True


def pen(colour, width: float = 0):
    """Width 0 is Qt's 1-pixel cosmetic pen; any other width makes Qt stroke the whole path
    to find its bounds each time it changes, so keep it for short curves."""
    return pg.mkPen(colour, width=width)


def polyline(x: np.ndarray, y: np.ndarray) -> QPainterPath:
    return pg.arrayToQPath(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64),
                           connect="all", finiteCheck=False)


def step_outline(edges: np.ndarray, counts: np.ndarray) -> QPainterPath:
    """The closed outline of a histogram's bars: along the base, up and across each bin."""
    x = np.repeat(edges, 2)
    y = np.zeros(len(x))
    y[1:-1] = np.repeat(counts, 2)
    return polyline(x, y)


def mask_pixmap(mask: np.ndarray) -> QPixmap:
    """A bool image (rows x columns) as a pixmap: False black, True white."""
    data = np.ascontiguousarray(mask, dtype=np.uint8)
    rows, cols = data.shape
    image = QImage(data.data, cols, rows, cols, QImage.Format.Format_Indexed8)
    image.setColorTable([0xFF000000, 0xFFFFFFFF])
    return QPixmap.fromImage(image)   # a copy: `data` may go


def add_pixmap_item(plot: LeanPlotWidget) -> QGraphicsPixmapItem:
    item = QGraphicsPixmapItem()
    item.setTransformationMode(Qt.TransformationMode.FastTransformation)  # crisp pixels
    plot.view_box.addItem(item, ignoreBounds=True)
    return item
