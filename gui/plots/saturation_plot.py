"""SaturationPlot: the lecture's picture of |h| > 0.99, one row per example of the batch and
one column per hidden neuron; white means saturated (tanh's gradient 1 - h² is ~0 there)."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from .style import corner_text

_BLACK_WHITE = np.array([[0, 0, 0], [255, 255, 255]], dtype=np.uint8)


class SaturationPlot(pg.PlotWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.plot_item: pg.PlotItem = self.getPlotItem()
        p = self.plot_item
        p.setTitle("Saturated tanh outputs, |h| > 0.99 (white)")
        p.setLabel("bottom", "hidden neuron")
        p.setLabel("left", "example in batch")
        p.hideButtons()
        p.setMenuEnabled(False)
        p.setMouseEnabled(x=False, y=False)
        p.disableAutoRange()
        p.invertY(True)  # row 0 at the top, as imshow draws it
        self.image = pg.ImageItem(axisOrder="row-major")
        p.addItem(self.image)
        self.note = corner_text(p, anchor=(1, 0))
        self._shape: tuple[int, int] | None = None
        p.getViewBox().sigResized.connect(self._pin_note)
        self.setToolTip("Each row is one example of the last minibatch, each column one hidden neuron.\n"
                        "White: |h| > 0.99, where tanh is flat and passes almost no gradient back.\n"
                        "A column white from top to bottom is a dead neuron: it learns nothing from this batch.")
        self.clear_run()

    def clear_run(self) -> None:
        self.image.clear()
        self._shape = None
        self.note.setText("")

    def set_mask(self, mask: np.ndarray, dead_neurons: int) -> None:
        self.image.setImage(mask.view(np.uint8), levels=(0, 1), lut=_BLACK_WHITE, autoLevels=False)
        if mask.shape != self._shape:
            self._shape = mask.shape
            self.plot_item.setRange(xRange=(0, mask.shape[1]), yRange=(0, mask.shape[0]), padding=0)
        text = f"{dead_neurons} of {mask.shape[1]} neurons saturated for the whole batch"
        if text != self.note.textItem.toPlainText():
            self.note.setText(text)

    def _pin_note(self, *_) -> None:
        self.note.setPos(self.plot_item.getViewBox().width() - 6, 4)
