"""SamplesPanel: names drawn from the model, and the probability it gave each character."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHeaderView,
    QLabel,
    QListWidget,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from core.model.sample import NOTEBOOK_SAMPLE_SEED, Sample
from gui.panels.widgets import field_box


class SamplesPanel(QGroupBox):
    sample_requested = Signal(int, float, object)   # count, temperature, seed or None for random
    refused = Signal(str)                           # a typed value a field threw away, and why
    samples_shown = Signal()                        # new names are in the list (or it was cleared)

    def __init__(self, parent=None):
        super().__init__("Samples", parent)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.count = field_box("samples", "How many names to draw.", what="number of names")
        self.count.setValue(20)
        self.temperature = field_box("temperature", "Divides the logits before softmax: below 1 the model plays "
                                     "safe (common names), above 1 it takes risks;\nnear 0 it always picks the "
                                     "likeliest character.")
        self.temperature.setValue(1.0)
        self.seed = field_box("sample_seed", "Seed of the sampling generator; the same seed and weights give "
                              f"the same names.\nThe notebook's is {NOTEBOOK_SAMPLE_SEED}.", what="seed")
        self.seed.setValue(NOTEBOOK_SAMPLE_SEED)
        for box in (self.count, self.temperature, self.seed):
            box.refused.connect(self.refused)
        self.random = QCheckBox("random seed")
        self.random.setToolTip("A fresh random seed every time, instead of the one above.")
        self.random.toggled.connect(lambda on: self.seed.setEnabled(not on))
        form.addRow("count", self.count)
        form.addRow("temperature", self.temperature)
        form.addRow("seed", self.seed)
        form.addRow("", self.random)
        layout.addLayout(form)
        self.button = QPushButton("Sample")
        self.button.setToolTip("Draw names from the current weights, between two training steps (Ctrl+G).")
        self.button.clicked.connect(self.request)
        layout.addWidget(self.button)
        self.names = QListWidget()
        self.names.setToolTip("Names drawn from the model. Select one to see how likely the model found "
                              "each of its characters.")
        self.names.currentRowChanged.connect(self._show_probabilities)
        self.names.setMinimumHeight(60)
        layout.addWidget(self.names, 2)
        self.caption = QLabel()
        # one line, cut to the panel's width: a wrapping label would make the side panel
        # ask for its full preferred height and scroll
        self.caption.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        layout.addWidget(self.caption)
        self.chars = QTableWidget(0, 2)
        self.chars.setHorizontalHeaderLabels(["character", "probability"])
        self.chars.verticalHeader().hide()
        self.chars.verticalHeader().setDefaultSectionSize(22)
        self.chars.setMinimumHeight(60)
        self.chars.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.chars.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.chars.setToolTip("The probability the model gave each character it drew, given the characters "
                              "before it.\n'.' marks the end of the name.")
        layout.addWidget(self.chars, 2)
        self.samples: list[Sample] = []
        self.run_id: int | None = None   # the run whose model drew the names shown

    def request(self) -> None:
        seed = None if self.random.isChecked() else self.seed.int_value()
        self.sample_requested.emit(self.count.value(), self.temperature.value(), seed)

    def show_samples(self, samples: list[Sample], run_id: int | None = None) -> None:
        self.samples, self.run_id = samples, run_id
        self.names.clear()
        self.names.addItems([s.notebook_line for s in samples])
        self._show_probabilities(-1)
        self.samples_shown.emit()

    def clear(self, keep_run: int | None = None) -> None:
        """Forget the names shown (a new run began), unless keep_run's model drew them."""
        if keep_run is not None and self.run_id == keep_run:
            return
        self.show_samples([])
        self.caption.setText("A new model: press Sample (Ctrl+G).")

    def _show_probabilities(self, row: int) -> None:
        self.chars.setRowCount(0)
        if not 0 <= row < len(self.samples):
            self.caption.setText("Select a name to see its probabilities.")
            return
        s = self.samples[row]
        self.caption.setText(f"Probabilities in “{s.text}”" + (" (cut at the length cap)" if s.truncated else ""))
        self.caption.setToolTip(self.caption.text())
        self.chars.setRowCount(len(s.chars))
        for i, (ch, p) in enumerate(zip(s.chars, s.probs, strict=True)):
            for j, text in enumerate((ch, f"{100 * p:.1f} %")):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.chars.setItem(i, j, item)
