"""Colours and small helpers shared by the plots (matplotlib's defaults, as in the lecture)."""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QFont

BLUE = (31, 119, 180)
ORANGE = (255, 127, 14)
RED = (214, 39, 40)
GREY = (120, 120, 120)


def configure_pyqtgraph() -> None:
    """Before any plot is made: white background, no antialiasing (cheaper frames)."""
    pg.setConfigOptions(background="w", foreground="k", antialias=False)


def corner_text(plot_item: pg.PlotItem, anchor=(0, 0), pos=(6, 4)) -> pg.TextItem:
    """A label pinned to the view's corner in pixels, whatever the data range: it is a child
    of the ViewBox itself, not of the data it shows."""
    text = pg.TextItem("", color=(20, 20, 20), anchor=anchor, fill=pg.mkBrush(255, 255, 255, 200))
    font = QFont()
    font.setPointSize(9)
    text.setFont(font)
    text.setParentItem(plot_item.getViewBox())
    text.setPos(*pos)
    return text


class Hysteresis:
    """An upper bound for an axis that rises at once but falls only after the data has
    stayed well below it for a while, so the axis text is not redrawn every frame."""

    def __init__(self, shrink_below: float = 0.4, patience: int = 30, headroom: float = 1.15,
                 floor: float = 1.0):
        self.top = 0.0
        self.shrink_below, self.patience, self.headroom, self.floor = shrink_below, patience, headroom, floor
        self._low_frames = 0

    def update(self, peak: float) -> bool:
        """Feed the current peak; True when `top` changed."""
        if peak > self.top or self.top == 0.0:
            return self._set(peak)
        if peak < self.shrink_below * self.top:
            self._low_frames += 1
            if self._low_frames >= self.patience:
                return self._set(peak)
        else:
            self._low_frames = 0
        return False

    def _set(self, peak: float) -> bool:
        top, self._low_frames = max(peak * self.headroom, self.floor), 0
        changed, self.top = top != self.top, top
        return changed

    def reset(self) -> None:
        self.top, self._low_frames = 0.0, 0
