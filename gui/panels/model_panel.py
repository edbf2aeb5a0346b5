"""ModelPanel: the model's shape, its seed and the dataset. Applied on Reset."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from core.config import Config
from core.devices import available_devices

from .widgets import BigIntSpinBox, int_spin


def dataset_name(source: str) -> str:
    if source == "builtin" or source.startswith("builtin:"):
        year = source.partition(":")[2] or "2017"
        return f"built-in US names ({year})"
    return Path(source).name


class ModelPanel(QGroupBox):
    changed = Signal()
    open_requested = Signal()
    builtin_requested = Signal()
    refused = Signal(str)

    def __init__(self, parent=None):
        super().__init__("Model", parent)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.n_embed = int_spin(1, 1024, "Size of each character's embedding vector (C is vocab × n_embed).",
                                what="embedding size (n_embed)")
        self.n_hidden = int_spin(1, 100_000, "Neurons in the hidden tanh layer.", step=10,
                                 what="hidden layer size (n_hidden)")
        self.block_size = int_spin(1, 64, "Context length: how many previous characters predict the next one.",
                                   what="context length (block_size)")
        self.seed = BigIntSpinBox(0, 2**63 - 1, "Seed of the generator that draws the initial weights and "
                                  "every minibatch.\nThe notebook's is 2147483647; the same seed gives the same run.")
        for label, box in (("n_embed", self.n_embed), ("n_hidden", self.n_hidden),
                           ("block_size", self.block_size), ("seed", self.seed)):
            box.setToolTip(box.toolTip() + "\nApplied on Reset.")
            box.valueChanged.connect(self.changed)
            box.refused.connect(self.refused)
            form.addRow(label, box)
        # CPU by default; the choice appears only where torch sees a CUDA GPU
        self.device = QComboBox()
        self.device.addItems(available_devices())
        self.device.setToolTip("Where to train: the CPU, or the CUDA GPU torch sees. Applied on Reset.")
        self.device.currentIndexChanged.connect(self.changed)
        if self.device.count() > 1:
            form.addRow("device", self.device)
        else:
            self.device.setParent(self)
            self.device.hide()
        layout.addLayout(form)
        self.data = "builtin"
        self.data_label = QLabel()
        self.data_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.data_label.setWordWrap(True)
        open_button = QPushButton("Open…")
        open_button.setToolTip("Open a word list, one name per line, such as names.txt (Ctrl+O). Resets the model.")
        open_button.clicked.connect(self.open_requested)
        builtin_button = QPushButton("Built-in")
        builtin_button.setToolTip("Use the built-in US baby names of 2017 (about 30,000 names). Resets the model.")
        builtin_button.clicked.connect(self.builtin_requested)
        row = QHBoxLayout()
        row.addWidget(open_button)
        row.addWidget(builtin_button)
        form2 = QFormLayout()
        form2.addRow("dataset", self.data_label)
        layout.addLayout(form2)
        layout.addLayout(row)

    def values(self) -> dict:
        return {"n_embed": self.n_embed.value(), "n_hidden": self.n_hidden.value(),
                "block_size": self.block_size.value(), "seed": self.seed.int_value(), "data": self.data,
                "device": self.device.currentText()}

    def set_values(self, cfg: Config) -> None:
        for box, value in ((self.n_embed, cfg.n_embed), (self.n_hidden, cfg.n_hidden),
                           (self.block_size, cfg.block_size), (self.seed, cfg.seed)):
            with QSignalBlocker(box):
                box.setValue(value)
        with QSignalBlocker(self.device):
            self.device.setCurrentIndex(max(0, self.device.findText(cfg.device)))
        self.set_data(cfg.data)

    def set_data(self, source: str) -> None:
        self.data = source
        self.data_label.setText(dataset_name(source))
        self.data_label.setToolTip(source)
