"""ModelPanel: the model's shape, its seed and the dataset. Applied on Reset."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
)

from core.config import ACTIVATIONS, BN_DIMS, ENGINES, LAYER_STYLES, Config, ConfigError
from core.devices import available_devices
from gui.panels.widgets import field_box

ACTIVATION_TIPS = {
    "tanh": "tanh squashes every value into (−1, 1): it bends the network, and at |x| ≳ 2 it saturates "
            "(its gradient 1 − t² vanishes).",
    "none": "No activation: a stack of Linear layers is one linear map (the lecture's linear-only "
            "experiment).\nWithout tanh squashing them, the activations keep their spread at gain 1 and "
            "grow at 5/3.",
}
STYLE_TIPS = {
    "seed": "The seed notebook's layers: every Linear has a bias (drawn, then scaled by the fixes), its "
            "BatchNorm divides by the batch std\n(no eps, momentum 0.001, running mean/std), the output has no "
            "BatchNorm. One layer of this style is the seed's net bit for bit.",
    "lecture": "The lecture's layers: Linear weights randn/√fan_in × gain, no bias before a BatchNorm, its "
               "BatchNorm1d\n(batch variance + 1e-5, running mean/var at the BN momentum) on every layer and "
               "on the output,\nwhose gamma starts at 0.1 (W2 × 0.01 on) so the first guesses are not confident.",
    "wavenet": "makemore part 5's layers: the embedding keeps the context's positions, each hidden layer first "
               "fuses\n'fuse' consecutive positions (FlattenConsecutive), then Linear (no bias), BatchNorm1d over "
               "'BN dims', tanh;\nthe output Linear has a bias and its weight starts × 0.1. The tree below shows "
               "which characters each unit sees.",
}
BN_DIMS_TIPS = {
    "0,1": "BatchNorm's mean and variance over every position of every example (dims 0 and 1 of "
           "(batch, positions, channels)): the lecture's fix.",
    "0": "Over the batch only, a mean and variance per position: the bug the lecture finds (its running "
         "buffers become (1, positions, channels)).",
}


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
        self.n_embed = field_box("n_embed", "Size of each character's embedding vector (C is vocab × n_embed).",
                                 what="embedding size (n_embed)")
        self.n_hidden = field_box("n_hidden", "Width: the neurons in each hidden layer.", step=10,
                                  what="hidden layer size (n_hidden)")
        self.block_size = field_box("block_size", "Context length: how many previous characters predict the "
                                    "next one.", what="context length (block_size)")
        self.seed = field_box("seed", "Seed of the generator that draws the initial weights and every "
                              "minibatch.\nThe notebook's is 2147483647; the same seed gives the same run.")
        self.n_layers = field_box("n_layers", "How many hidden layers, each Linear → (BatchNorm) → activation, "
                                  "between the embedding and the output.\nThe seed has 1; the lecture's deep net "
                                  "5. Deep without BatchNorm, a wrong gain shrinks or saturates\nthe activations "
                                  "layer after layer: the Layers tab (Ctrl+2) shows each one.")
        self.gain = field_box("w1_gain", "The gain each hidden Linear's weights get on top of "
                              "1/√fan_in (Kaiming): type 5/3, 1 or 3.\n5/3 makes up for what tanh squashes; "
                              "1 suits a linear stack. Too small and the activations shrink\nlayer after "
                              "layer, too large and tanh saturates. BatchNorm makes it almost irrelevant.\n"
                              "In the seed style it applies to W1 when 'W1 Kaiming' is on.", what="gain",
                              fractions=True)
        self.activation = QComboBox()
        self.style = QComboBox()
        self.bn_dims = QComboBox()
        for combo, items, tips, tip in (
                (self.activation, ACTIVATIONS, ACTIVATION_TIPS, "What each hidden layer applies after its "
                 "Linear (and BatchNorm)."),
                (self.style, LAYER_STYLES, STYLE_TIPS, "Whose layers: the seed notebook's, the lecture's "
                 "(part 3) or part 5's."),
                (self.bn_dims, BN_DIMS, BN_DIMS_TIPS, "Wavenet style: the dims BatchNorm1d takes its "
                 "statistics over on a layer that runs on several positions.")):
            for i, name in enumerate(items):
                combo.addItem(name)
                combo.setItemData(i, tips[name], Qt.ItemDataRole.ToolTipRole)
            combo.setToolTip(tip + "\n\n" + "\n\n".join(f"{n}: {tips[n]}" for n in items) + "\nApplied on Reset.")
            combo.currentIndexChanged.connect(self.changed)
        for label, box in (("n_layers", self.n_layers), ("n_hidden", self.n_hidden), ("gain", self.gain),
                           ("n_embed", self.n_embed), ("block_size", self.block_size), ("seed", self.seed)):
            box.setToolTip(box.toolTip() + "\nApplied on Reset.")
            box.valueChanged.connect(lambda _: self.changed.emit())
            box.refused.connect(self.refused)
            form.addRow(label, box)
        form.addRow("activation", self.activation)
        form.addRow("layer style", self.style)
        self.fuse = QLineEdit()
        self.fuse.setPlaceholderText("the whole context")
        self.fuse.setToolTip("Wavenet style: how many consecutive positions each hidden layer fuses, one "
                             "width per layer (2,2,2: makemore part 5's tree).\nThey must multiply to the "
                             "block size, and n_layers follows their count;\nempty: the first layer takes "
                             "the whole context (the flat net).\n"
                             "Applied on Reset.")
        self._fuse_shown = ""
        self.fuse.editingFinished.connect(self._fuse_entered)
        form.addRow("fuse", self.fuse)
        form.addRow("BN dims", self.bn_dims)
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
        self.engine = QComboBox()
        self.engine.addItems(ENGINES)
        self.engine.setToolTip("fast: a compiled kernel, about 7× the notebook's loop, with the notebook's numbers "
                               "to float32 rounding (CPU only).\nexact: torch autograd's arithmetic, bit for bit "
                               "the notebook. Applied on Reset.")
        self.engine.currentIndexChanged.connect(self.changed)
        form.addRow("engine", self.engine)
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
        # what each field shows: a valid number typed but not yet entered goes in with a Reset
        return {"n_embed": self.n_embed.typed_value(), "n_hidden": self.n_hidden.typed_value(),
                "block_size": self.block_size.typed_value(), "seed": self.seed.typed_value(), "data": self.data,
                "device": self.device.currentText(), "engine": self.engine.currentText(),
                "n_layers": self.n_layers.typed_value(), "w1_gain": self.gain.typed_value(),
                "activation": self.activation.currentText(), "layer_style": self.style.currentText(),
                "fuse": self._fuse_shown, "bn_dims": self.bn_dims.currentText()}

    def _fuse_entered(self) -> None:
        """Widths within LIMITS, else refused and the field goes back (whether they divide the
        block size is Reset's to say: the block size may change next)."""
        text = self.fuse.text().replace(" ", "")
        try:
            widths = Config(fuse=text).fuse_widths() if text else ()
        except ConfigError as e:
            self.refused.emit(str(e))
            self.fuse.setText(self._fuse_shown)
            return
        shown = ",".join(str(n) for n in widths)
        self.fuse.setText(shown)
        if widths and self.n_layers.value() != len(widths):
            with QSignalBlocker(self.n_layers):
                self.n_layers.setValue(len(widths))   # one hidden layer per width, as --fuse
        if shown != self._fuse_shown:
            self._fuse_shown = shown
            self.changed.emit()

    def set_values(self, cfg: Config) -> None:
        for box, value in ((self.n_embed, cfg.n_embed), (self.n_hidden, cfg.n_hidden),
                           (self.block_size, cfg.block_size), (self.seed, cfg.seed),
                           (self.n_layers, cfg.n_layers), (self.gain, cfg.w1_gain)):
            with QSignalBlocker(box):
                box.setValue(value)
        for combo, value in ((self.device, cfg.device), (self.engine, cfg.engine),
                             (self.activation, cfg.activation), (self.style, cfg.layer_style),
                             (self.bn_dims, cfg.bn_dims)):
            with QSignalBlocker(combo):
                combo.setCurrentIndex(max(0, combo.findText(value)))
        self._fuse_shown = cfg.fuse
        self.fuse.setText(cfg.fuse)
        self.set_data(cfg.data)

    def set_data(self, source: str) -> None:
        self.data = source
        self.data_label.setText(dataset_name(source))
        self.data_label.setToolTip(source)
