"""Sample novelty in the Samples panel: each name tagged as makemore tags it (in the training
words, in the val/test words, or new), drawn right-aligned in its row, and the shares below."""
from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QSizePolicy, QStyledItemDelegate

from core.model.novelty import IN_TRAIN, NEW, NoveltyIndex, short_summary, summary
from gui.bridge import commands
from gui.panels import SamplesPanel

TAG_ROLE = Qt.ItemDataRole.UserRole + 22
TAG_COLOURS = {IN_TRAIN: QColor(120, 120, 120), NEW: QColor(31, 119, 180)}
HELD_OUT_COLOUR = QColor(214, 39, 40)
EXPLAIN = ("makemore's three groups: a name from the training words, one from the held-out (val/test) words, "
           "or a new one. A model that only repeats its training words has memorised them.")


class TagDelegate(QStyledItemDelegate):
    """The item as usual, its tag (TAG_ROLE) right-aligned after it."""

    def paint(self, painter, option, index) -> None:
        super().paint(painter, option, index)
        tag = index.data(TAG_ROLE)
        if tag:
            painter.save()
            painter.setPen(TAG_COLOURS.get(tag, HELD_OUT_COLOUR))
            right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
            painter.drawText(option.rect.adjusted(0, 0, -6, 0), right, tag)
            painter.restore()


class NoveltyTags(QObject):
    """Asks for each run's words (commands.RunWords) and tags whatever names the panel shows."""

    def __init__(self, session, run, samples: SamplesPanel, parent=None):
        super().__init__(parent)
        self.session, self.samples = session, samples
        self.index: NoveltyIndex | None = None
        self.index_run: int | None = None
        self.summary = QLabel()
        self.summary.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.summary.setToolTip(EXPLAIN)
        layout = samples.layout()
        layout.insertWidget(layout.indexOf(samples.names) + 1, self.summary)
        samples.names.setItemDelegate(TagDelegate(samples.names))
        samples.samples_shown.connect(self.tag)
        run.run_started.connect(self._on_run_started)

    def _on_run_started(self, info) -> None:
        run_id = info.run_id
        self.session.command(commands.RunWords(), on_result=lambda words: self._on_words(run_id, words),
                             on_error=lambda _message: None)

    def _on_words(self, run_id: int, words: list[str]) -> None:
        self.index, self.index_run = NoveltyIndex.of(words), run_id
        self.tag()

    def tags(self) -> list[str]:
        """The tag of each name shown ([] when they are not known yet)."""
        names = self.samples.names
        return [names.item(i).data(TAG_ROLE) for i in range(names.count())] if self._known() else []

    def _known(self) -> bool:
        return self.index is not None and self.samples.run_id == self.index_run

    def tag(self) -> None:
        names, samples = self.samples.names, self.samples.samples
        if not self._known() or not samples:
            self.summary.setText("")
            return
        tags = self.index.tags([s.text for s in samples])
        for i, tag in enumerate(tags):
            names.item(i).setData(TAG_ROLE, tag)
        self.summary.setText(short_summary(tags))
        self.summary.setToolTip(f"{summary(tags)}.\n{EXPLAIN}")
