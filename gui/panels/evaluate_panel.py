"""EvaluatePanel: the loss of the current weights on the whole train, val and test splits."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from gui.bridge.session import SPLITS


class EvaluatePanel(QGroupBox):
    evaluate_requested = Signal()

    def __init__(self, parent=None):
        super().__init__("Evaluate", parent)
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.button = QPushButton("Evaluate")
        self.button.setToolTip("Loss of the current weights on every split (Ctrl+E), as the notebook's "
                               "split_loss:\nBatchNorm uses its running mean and std, not the batch's.")
        self.button.clicked.connect(self.evaluate_requested)
        top.addWidget(self.button)
        self.when = QLabel("")
        top.addWidget(self.when, 1)
        layout.addLayout(top)
        # the three splits side by side: the column keeps its height for the 20 samples above
        row = QGridLayout()
        self.labels = {s: QLabel("–") for s in SPLITS}
        for column, (split, label) in enumerate(self.labels.items()):
            label.setToolTip(f"Mean cross-entropy (nats per character) over the whole {split} split.")
            name = QLabel(split)
            name.setToolTip(label.toolTip())
            row.addWidget(name, 0, column)
            row.addWidget(label, 1, column)
        layout.addLayout(row)

        self.run_id: int | None = None   # the run whose losses are shown

    def show_busy(self) -> None:
        self.when.setText("evaluating…")

    def show_failed(self) -> None:
        self.when.setText("")

    def show_losses(self, step: int, losses: dict[str, float], run_id: int | None = None) -> None:
        for split, label in self.labels.items():
            label.setText(f"{losses[split]:.4f}")
        self.when.setText(f"after {step:,} steps")
        self.run_id = run_id

    def clear(self, keep_run: int | None = None) -> None:
        """Forget the losses shown, unless they are already keep_run's."""
        if keep_run is not None and self.run_id == keep_run:
            return
        for label in self.labels.values():
            label.setText("–")
        self.when.setText("")
        self.run_id = None
