"""TrainingPanel: the learning-rate schedule, batch size and max steps. Applied live, at
the next step; edits settle for a moment first so one change leaves one plot marker."""
from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel
from superqt.utils import qdebounced

from core.config import LIVE_FIELDS, Config
from gui.panels.widgets import field_box

SETTLE_MS = 400


class TrainingPanel(QGroupBox):
    live_changed = Signal(dict)   # every live field, after an edit has settled
    refused = Signal(str)         # a typed value that can never be valid was thrown away: why

    def __init__(self, parent=None):
        super().__init__("Training", parent)
        form = QFormLayout(self)
        self.lr = field_box("lr", "Learning rate of every step before the decay step (the notebook: 0.1).")
        self.lr_decay_step = field_box("lr_decay_step", "From this step on, the learning rate after decay is used "
                                       "(the notebook: 50,000 of 100,000).", step=1000)
        self.lr_after = field_box("lr_after", "Learning rate from the decay step on (the notebook: 0.01).")
        self.batch_size = field_box("batch_size", "Examples in each minibatch (the notebook: 32).\nAt most the "
                                    "number of training examples; at least 2 with BatchNorm.")
        self.max_steps = field_box("max_steps", "Training pauses when it has taken this many steps.\nNot below "
                                   "the steps already taken.", step=1000, what="number of max steps")
        self.fields = {"lr": self.lr, "lr_decay_step": self.lr_decay_step, "lr_after": self.lr_after,
                       "batch_size": self.batch_size, "max_steps": self.max_steps}
        labels = {"lr": "learning rate", "lr_decay_step": "decay step", "lr_after": "lr after decay",
                  "batch_size": "batch size", "max_steps": "max steps"}
        assert set(self.fields) == LIVE_FIELDS
        self._send_settled = qdebounced(self._send, SETTLE_MS, parent=self)
        self._unsent = False
        self.labels: dict[str, QLabel] = {}
        for name, box in self.fields.items():
            box.setToolTip(box.toolTip() + "\nApplied live at the next step; leaves a marker on the loss plot.")
            box.valueChanged.connect(self._on_value_changed)
            box.refused.connect(self.refused)
            self.labels[name] = QLabel(labels[name])
            form.addRow(self.labels[name], box)
        # which of the two rates the next step takes: after the decay step, editing `lr` changes nothing now
        self.rate_now = QLabel()
        self.rate_now.setWordWrap(True)
        self.rate_now.setToolTip("The learning rate of the next step, and the field (in bold) that sets it: "
                                 "'learning rate' before the decay step, 'lr after decay' from it on.")
        form.addRow("rate now", self.rate_now)
        self._rate_shown = None
        self.show_rate_in_effect(0, Config())

    def show_rate_in_effect(self, step: int, cfg: Config) -> None:
        """Say which rate the next step (`step`) takes, and embolden the field that sets it."""
        field, rate = cfg.lr_field_at(step), cfg.lr_at(step)
        if (field, rate, cfg.lr_decay_step) == self._rate_shown:
            return
        self._rate_shown = (field, rate, cfg.lr_decay_step)
        when = (f"lr after decay, since step {cfg.lr_decay_step:,}" if field == "lr_after"
                else f"learning rate, until step {cfg.lr_decay_step:,}")
        self.rate_now.setText(f"{rate:g} ({when})")
        for name in ("lr", "lr_after"):
            self.labels[name].setStyleSheet("font-weight: bold" if name == field else "")

    def values(self) -> dict:
        return {name: box.value() for name, box in self.fields.items()}

    def set_values(self, cfg: Config) -> None:
        for name, box in self.fields.items():
            with QSignalBlocker(box):     # puts signals back even when a value is refused
                box.setValue(getattr(cfg, name))

    def _on_value_changed(self, _value) -> None:
        self._unsent = True
        self._send_settled()

    def _send(self) -> None:
        self._unsent = False
        self.live_changed.emit(self.values())

    def editing(self) -> bool:
        """An edit not sent yet: settling, or still being typed."""
        return self._unsent or any(box.lineEdit().isModified() for box in self.fields.values())

    def flush(self) -> None:
        """Send a pending edit now rather than after it settles."""
        if self._unsent:
            self._send_settled.cancel()
            self._send()
