"""SaturationPlot: the lecture's picture of |h| > 0.99, one row per example of the batch and
one column per hidden neuron; white means saturated (tanh's gradient 1 - h² is ~0 there)."""
from __future__ import annotations

import numpy as np

from gui.plots.lean import LeanPlotWidget, add_pixmap_item, mask_pixmap, set_note


class SaturationPlot(LeanPlotWidget):
    def __init__(self, parent=None):
        super().__init__("Saturated tanh outputs, |h| > 0.99 (white)", "hidden neuron", "example in batch",
                         parent)
        self.plot_item.setMouseEnabled(x=False, y=False)
        self.plot_item.invertY(True)  # row 0 at the top, as imshow draws it
        self.image = add_pixmap_item(self)
        self.note = self.add_note()
        self.view_box.sigResized.connect(self._pin_note)
        self.setToolTip("Each row is one example of the last minibatch, each column one hidden neuron.\n"
                        "White: |h| > 0.99, where tanh is flat and passes almost no gradient back.\n"
                        "A column white from top to bottom is a dead neuron: it learns nothing from this batch.")
        self.clear_run()

    def clear_run(self) -> None:
        self.shape: tuple[int, int] | None = None   # (batch, neurons) drawn now
        self.image.setPixmap(mask_pixmap(np.zeros((1, 1), dtype=bool)))
        self.image.hide()
        self.set_dead(None, 0)

    def set_mask(self, mask: np.ndarray) -> None:
        self.image.setPixmap(mask_pixmap(mask))
        self.image.show()
        if mask.shape != self.shape:
            self.shape = mask.shape
            self.plot_item.setRange(xRange=(0, mask.shape[1]), yRange=(0, mask.shape[0]), padding=0)

    def set_dead(self, dead_neurons: int | None, n_neurons: int) -> None:
        text = "" if dead_neurons is None else f"{dead_neurons} of {n_neurons} neurons saturated for the whole batch"
        if set_note(self.note, text):
            self._pin_note()

    def _pin_note(self, *_) -> None:
        self.note.setPos(self.view_box.width() - self.note.boundingRect().width() - 4, 2)
