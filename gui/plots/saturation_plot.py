"""SaturationPlot: the lecture's picture of |h| > 0.99, one row per example of the batch and
one column per hidden neuron; white means saturated (tanh's gradient 1 - h² is ~0 there)."""
from __future__ import annotations

import numpy as np

from gui.plots.lean import LeanPlotWidget, add_pixmap_item, mask_pixmap


class SaturationPlot(LeanPlotWidget):
    def __init__(self, parent=None):
        super().__init__("Saturated tanh outputs, |h| > 0.99 (white)", "hidden neuron", "example in batch",
                         parent)
        self.plot_item.setMouseEnabled(x=False, y=False)
        self.plot_item.invertY(True)  # row 0 at the top, as imshow draws it
        self.image = add_pixmap_item(self)
        self._axis_text = "hidden neuron"
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
        """Say how many neurons are saturated for the whole batch, under the picture (on the
        axis, so it never covers the picture's top rows)."""
        text = ("hidden neuron" if dead_neurons is None
                else f"hidden neuron · {dead_neurons} of {n_neurons} saturated for the whole batch")
        if text != self._axis_text:
            self._axis_text = text
            self.plot_item.setLabel("bottom", text)
