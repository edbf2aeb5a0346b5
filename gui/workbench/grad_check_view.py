"""Part 4's gradient check in a window: one row per tensor and engine (exact, approximate,
maxdiff, as the lecture's cmp prints them), and the lecture's picture of dlogits."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLayout,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from core.diagnostics.grad_check import GradCheck

COLUMNS = ("engine", "tensor", "exact", "approximate", "maxdiff", "maxdiff / max|grad|")
HEALTHY = ("What good looks like: the exact engine's hand-written backward is exact: True, maxdiff 0.0; the fast "
           "kernel sums in another order, so its float32 results differ in the last bits: maxdiff / max|grad| "
           "about 1e-7 to 1e-6 (torch's own float32 is as far from float64). torch.allclose's defaults (atol "
           "1e-8) can call such a row not approximate (shaded); a wrong gradient is off by ~1.")
RED_ROW = QColor(255, 220, 220)
VANISHING = 1e-6    # a gradient no larger than this is 0 up to rounding (b1 before a BatchNorm)


class GradCheckDialog(QDialog):
    def __init__(self, request: Callable[[], None], parent=None):
        super().__init__(parent)
        self.setWindowTitle("Gradient check")
        self.checks: list[GradCheck] = []
        layout = QVBoxLayout(self)
        healthy = QLabel(HEALTHY)
        healthy.setWordWrap(True)
        layout.addWidget(healthy)
        self.caption = QLabel("Checking…")
        layout.addWidget(self.caption)
        body = QHBoxLayout()
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        body.addWidget(self.table, 3)
        self.image_plot = pg.PlotWidget()
        item = self.image_plot.getPlotItem()
        item.setTitle("dlogits, one row per example")
        item.setLabel("bottom", "character")
        item.setLabel("left", "example in the batch")
        item.invertY(True)
        self.image = pg.ImageItem()
        self.image.setColorMap(pg.colormap.get("CET-L1"))   # greys, as the lecture's cmap='gray'
        item.addItem(self.image)
        self.image_note = QLabel("Each row: the softmax probabilities, minus 1 at the right answer (dark), "
                                 "divided by the batch size; every row sums to 0.")
        self.image_note.setWordWrap(True)
        side = QVBoxLayout()
        side.addWidget(self.image_plot, 1)
        side.addWidget(self.image_note)
        body.addLayout(side, 2)
        layout.addLayout(body, 1)
        again = QPushButton("Check again")
        again.setToolTip("Check the gradients at the weights as they are now.")
        again.clicked.connect(request)
        layout.addWidget(again)
        # a fixed minimum, not the layout's: changing labels would re-send the size hints each time
        layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        self.resize(900, 560)

    def show_checks(self, step: int, checks: list[GradCheck]) -> None:
        self.checks = checks
        rows = [(c.engine, r) for c in checks for r in c.rows]
        self.table.setRowCount(len(rows))
        for i, (engine, r) in enumerate(rows):
            relative = f"{r.relative:.2g}" if r.scale >= VANISHING else "— (gradient ≈ 0)"
            cells = (engine, r.name, str(r.exact), str(r.approximate), f"{r.maxdiff:.3g}", relative)
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if not r.approximate:
                    item.setBackground(RED_ROW)
                if j >= 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.table.setItem(i, j, item)
        notes = "; ".join(f"{c.engine}: {c.note}" for c in checks)
        bad = sum(not r.approximate for _, r in rows)
        verdict = "all approximately equal" if not bad else f"{bad} row(s) not within torch.allclose's defaults"
        worst = max((r.relative for _, r in rows if r.scale >= VANISHING), default=0.0)
        self.caption.setText(f"At step {step:,}, one batch: {verdict}; the largest maxdiff / max|grad| is "
                             f"{worst:.2g}. ({notes})")
        self.caption.setWordWrap(True)
        if checks:
            self.image.setImage(np.asarray(checks[0].dlogits).T, autoLevels=True)

    def show_error(self, message: str) -> None:
        self.caption.setText(message)
