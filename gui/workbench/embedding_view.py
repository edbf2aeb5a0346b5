"""The Embedding tab: part 2's plot of the character embeddings, live.

Each row of C is a labelled point: C itself when n_embed is 2 (the lecture's picture), else
its first two principal components (core.diagnostics.embedding, signs kept steady). Vowels,
consonants and '.' in three colours; hovering a point lists its nearest neighbours in the
full embedding. While the tab is shown it asks the worker for C once a frame (at most one
question in flight).
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from core.diagnostics.embedding import Projection, group, nearest, project
from gui.plots.style import BLUE, GREY, ORANGE, html_title

COLOURS = {"vowel": ORANGE, "consonant": BLUE, "boundary": GREY}
HEALTHY = ("What good looks like: after training, characters that behave alike sit together — the vowels "
           "cluster, '.' stands apart, rare letters (q, x, z) drift off; at init the points are random.")


class EmbeddingView(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        healthy = QLabel(HEALTHY)
        healthy.setWordWrap(True)
        layout.addWidget(healthy)
        self.plot = pg.PlotWidget()
        item = self.plot.getPlotItem()
        item.showGrid(x=True, y=True, alpha=0.2)
        item.setTitle(html_title(("vowels", ORANGE), ("consonants", BLUE), ("and '.'", GREY)))
        self.scatter = pg.ScatterPlotItem(size=22, pen=pg.mkPen(None), hoverable=True,
                                          hoverSize=26, hoverPen=pg.mkPen("k", width=1.5))
        self.scatter.sigHovered.connect(self._on_hovered)
        item.addItem(self.scatter)
        self.labels: list[pg.TextItem] = []
        layout.addWidget(self.plot, 1)
        self.neighbours = QLabel("Hover over a character to see its nearest neighbours.")
        layout.addWidget(self.neighbours)
        self.projection: Projection | None = None
        self.C: np.ndarray | None = None
        self.itos: tuple[str, ...] = ()
        self.step: int | None = None
        self.run_id: int | None = None

    def clear(self) -> None:
        self.scatter.clear()
        for label in self.labels:
            self.plot.removeItem(label)
        self.labels, self.projection, self.C, self.step, self.run_id = [], None, None, None, None

    def show_embedding(self, run_id: int, step: int, C: np.ndarray, itos: tuple[str, ...]) -> None:
        """Draw C (of run run_id after `step` steps): its points, or its principal components."""
        if run_id != self.run_id or len(itos) != len(self.itos) or (self.C is not None and C.shape != self.C.shape):
            self.clear()
        self.run_id, self.step, self.C, self.itos = run_id, step, C, tuple(itos)
        self.projection = project(C, previous=self.projection)
        points = self.projection.points
        brushes = [pg.mkBrush(*COLOURS[group(ch)], 200) for ch in self.itos]
        self.scatter.setData(pos=points, brush=brushes, data=list(range(len(self.itos))))
        if not self.labels:
            for ch in self.itos:
                label = pg.TextItem(ch, color="w", anchor=(0.5, 0.5))
                self.plot.addItem(label)
                self.labels.append(label)
        for label, (x, y) in zip(self.labels, points, strict=True):
            label.setPos(float(x), float(y))
        item = self.plot.getPlotItem()
        item.setLabel("bottom", self.projection.labels[0])
        item.setLabel("left", self.projection.labels[1])
        how = ("C itself (n_embed = 2)" if self.projection.raw
               else f"first two principal components of C ({C.shape[1]}-D)")
        item.setTitle(html_title(("vowels", ORANGE), ("consonants", BLUE), ("and '.'", GREY),
                                 (f"— step {step:,}: {how}", None)))

    def neighbours_of(self, i: int, k: int = 4) -> str:
        """'a: e 0.41, i 0.52, …' for row i of C."""
        near = nearest(self.C, i, k)
        return f"'{self.itos[i]}' is nearest " + ", ".join(f"'{self.itos[j]}' ({d:.2f})" for j, d in near)

    def _on_hovered(self, _item, points, _event) -> None:
        if len(points) and self.C is not None:
            self.neighbours.setText(self.neighbours_of(int(points[0].data())) + " (distances in the full embedding)")
