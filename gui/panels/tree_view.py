"""ContextTreeView: makemore part 5's tree, drawn. Each row is a layer, each box a unit (one per
position the layer runs on) labelled with the context characters it sees; lines join a unit to
the units it fuses. The tree itself comes from core.model.tree; this only paints it."""
from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from core.model.tree import TreeLayer, describe

ROW_HEIGHT = 34
BOX_HEIGHT = 20
LABEL_WIDTH = 52
FILL = {"context": QColor("#e8eef7"), "output": QColor("#f7e8e8")}
HIDDEN_FILL = QColor("#e9f5e9")


class ContextTreeView(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.tree: tuple[TreeLayer, ...] = ()
        self.problem = ""
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.setAccessibleName("context tree")

    def set_tree(self, tree: tuple[TreeLayer, ...], problem: str = "") -> None:
        """The layers to draw (context first), or a problem to say instead."""
        self.tree, self.problem = tree, problem
        self.setToolTip(problem or ("Which characters of the context each unit sees (1 = the oldest):\n"
                                    + "\n".join(describe(tree))))
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(260, max(2, len(self.tree)) * ROW_HEIGHT + 6)

    def minimumSizeHint(self) -> QSize:
        return QSize(200, self.sizeHint().height())

    def _boxes(self) -> list[list[QRectF]]:
        """One rect per unit per layer; the context at the bottom, the output on top."""
        width = self.width() - LABEL_WIDTH - 6
        rows = []
        for r, layer in enumerate(self.tree):
            y = self.height() - (r + 1) * ROW_HEIGHT + (ROW_HEIGHT - BOX_HEIGHT) / 2
            slot = width / max(1, layer.units)
            pad = min(4.0, slot * 0.15)
            rows.append([QRectF(LABEL_WIDTH + i * slot + pad, y, slot - 2 * pad, BOX_HEIGHT)
                         for i in range(layer.units)])
        return rows

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), self.palette().base())
        if self.problem or not self.tree:
            p.drawText(self.rect().adjusted(6, 0, -6, 0), Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextWordWrap,
                       self.problem)
            return
        boxes = self._boxes()
        p.setPen(QPen(QColor("#8a94a6"), 1))
        for r in range(1, len(self.tree)):
            below, layer = self.tree[r - 1], self.tree[r]
            for unit, (first, last) in zip(boxes[r], layer.spans, strict=True):
                for child, (a, b) in zip(boxes[r - 1], below.spans, strict=True):
                    if first <= a and b <= last:
                        p.drawLine(unit.center().x(), unit.bottom(), child.center().x(), child.top())
        for r, layer in enumerate(self.tree):
            fill = FILL.get(layer.name, HIDDEN_FILL)
            y = boxes[r][0].center().y() if boxes[r] else 0
            p.setPen(self.palette().text().color())
            p.drawText(QRectF(2, y - BOX_HEIGHT / 2, LABEL_WIDTH - 4, BOX_HEIGHT),
                       Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, layer.name)
            for rect, (a, b) in zip(boxes[r], layer.spans, strict=True):
                p.setPen(QPen(QColor("#5b6475"), 1))
                p.setBrush(fill)
                p.drawRoundedRect(rect, 3, 3)
                p.setPen(self.palette().text().color())
                text = str(a + 1) if a == b else f"{a + 1}–{b + 1}"
                p.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
        p.end()
