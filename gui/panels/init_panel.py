"""InitPanel: the notebook's initialisation fixes and BatchNorm, each a checkbox, presets that
jump to each stage of its loss log, and the lecture's deep-net experiments, one click each."""
from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import QCheckBox, QGridLayout, QGroupBox, QLabel, QPushButton, QVBoxLayout

from core.config import Config
from core.presets import CATALOGUE, LECTURE_EXPERIMENTS, NOTEBOOK_LOSS_LOG, PRESETS, WAVENET_LADDER

FIXES = (
    ("fix_w2", "W2 × 0.01",
     "Scale the output weights W2 down by 0.01 so the logits start near zero.\n"
     "At full size softmax is confidently wrong at init: the first loss is ~27 instead of "
     "−log(1/27) ≈ 3.3,\nand the first thousands of steps only squash the logits (the hockey stick)."),
    ("fix_b2", "b2 × 0",
     "Start the output bias at zero, so no character is favoured before training has seen any data."),
    ("fix_w1", "W1 Kaiming (5/3)/√fan_in",
     "Scale W1 by the tanh gain 5/3 over √fan_in (fan_in = n_embed × block_size).\n"
     "Unscaled, hpreact is wide, tanh saturates at ±1 and its gradient 1 − t² vanishes:\n"
     "those neurons barely learn."),
    ("fix_b1", "b1 × 0.01",
     "Keep the hidden bias tiny so hpreact starts centred on zero, away from tanh's flat tails."),
    ("batchnorm", "BatchNorm",
     "Standardise hpreact over each batch so it stays roughly unit-gaussian whatever the init;\n"
     "the learned gain (bngain) and bias (bnbias) let the network scale and shift it where it needs.\n"
     "Running mean/std are kept for evaluation and sampling."),
)

PRESET_LABELS = {"original": "Original", "fix softmax": "Fix softmax", "fix tanh": "Fix tanh",
                 "add BN": "Add BN"}
# short enough for two buttons a row in the left column; the tooltip has the preset's own label
EXPERIMENT_LABELS = {"lecture-deep": "Deep net", "no-bn-gain-5-3": "No BN, 5/3", "no-bn-gain-1": "No BN, 1",
                     "no-bn-gain-3": "No BN, 3", "linear-gain-1": "Linear, 1", "linear-gain-5-3": "Linear, 5/3",
                     "wavenet-flat-3": "Flat, 3", "wavenet-flat-8": "Flat, 8", "wavenet-bn-bug": "Tree, BN bug",
                     "wavenet-22k": "Tree, 22K", "wavenet": "WaveNet 76K"}


class InitPanel(QGroupBox):
    changed = Signal()
    preset_chosen = Signal(str)

    def __init__(self, parent=None):
        super().__init__("Initialisation", parent)
        layout = QVBoxLayout(self)
        self.boxes: dict[str, QCheckBox] = {}
        for field, label, tip in FIXES:
            box = QCheckBox(label)
            box.setToolTip(tip + "\nApplied on Reset.")
            box.toggled.connect(self.changed)
            layout.addWidget(box)
            self.boxes[field] = box
        grid = QGridLayout()
        for i, name in enumerate(PRESETS):
            button = QPushButton(PRESET_LABELS.get(name, name))
            train, val = NOTEBOOK_LOSS_LOG[name]
            button.setToolTip(f"The notebook's '{name}' stage: {_describe(PRESETS[name])}.\n"
                              f"200,000 steps, learning rate decay at 100,000. The notebook got "
                              f"train {train:.4f}, val {val:.4f}.\nResets the model at once.")
            button.clicked.connect(lambda _=False, n=name: self.preset_chosen.emit(n))
            grid.addWidget(button, i // 2, i % 2)
        layout.addLayout(grid)
        heading = QLabel("The lecture's deep net, and without BatchNorm or tanh at a gain:")
        heading.setWordWrap(True)
        layout.addWidget(heading)
        self.experiment_buttons: dict[str, QPushButton] = {}
        layout.addLayout(self._buttons(LECTURE_EXPERIMENTS))
        heading = QLabel("makemore part 5: its performance log, from the flat net to the WaveNet-like tree:")
        heading.setWordWrap(True)
        layout.addWidget(heading)
        layout.addLayout(self._buttons(WAVENET_LADDER))

    def _buttons(self, names) -> QGridLayout:
        grid = QGridLayout()
        for i, name in enumerate(names):
            preset = CATALOGUE[name]
            button = QPushButton(EXPERIMENT_LABELS.get(name, preset.label))
            button.setToolTip(f"{preset.label}: {preset.about}\nWatch the Layers tab (Ctrl+2). "
                              f"Resets the model at once (main.py --preset {name}).")
            button.clicked.connect(lambda _=False, n=name: self.preset_chosen.emit(n))
            grid.addWidget(button, i // 2, i % 2)
            self.experiment_buttons[name] = button
        return grid

    def values(self) -> dict[str, bool]:
        return {field: box.isChecked() for field, box in self.boxes.items()}

    def set_values(self, cfg: Config) -> None:
        for field, box in self.boxes.items():
            with QSignalBlocker(box):
                box.setChecked(bool(getattr(cfg, field)))


def _describe(switches: dict) -> str:
    on = [label for field, label, _ in FIXES if switches.get(field)]
    return "all fixes off, no BatchNorm" if not on else ", ".join(on)
