"""SetupPanel: the left column. Training (applied live, what a learner tweaks while it runs)
comes first, so it is in view at 1280×800 without scrolling; Initialisation and Model apply
on Reset, and the banner between says so while a change is pending."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from core.config import ARCH_FIELDS, Config, ConfigError
from core.model.tree import context_tree
from core.presets import preset_config
from gui.panels.init_panel import FIXES, InitPanel
from gui.panels.model_panel import LABELS, ModelPanel, dataset_name
from gui.panels.training_panel import TrainingPanel
from gui.panels.tree_view import ContextTreeView
from gui.panels.widgets import number_text

# the label each setting has on screen: what the pending banner calls it
ON_SCREEN = {**LABELS, **{field: label for field, label, _ in FIXES}}


class SetupPanel(QWidget):
    preset_chosen = Signal(str)
    refused = Signal(str)       # a typed value a field threw away, and why

    def __init__(self, parent=None):
        super().__init__(parent)
        self.init = InitPanel()
        self.model = ModelPanel()
        self.training = TrainingPanel()
        self.pending = QLabel()
        self.pending.setWordWrap(True)
        self.pending.setStyleSheet("QLabel { background: #fff3cd; color: #664d03; border: 1px solid #e0c46c;"
                                   " border-radius: 3px; padding: 4px; }")
        self.pending.setToolTip("Model and initialisation changes build a new model: press Reset (Ctrl+R).")
        self.pending.hide()
        self.tree = ContextTreeView()     # part 5's tree, for the wavenet style
        self.tree.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        for w in (self.training, self.pending, self.init, self.model, self.tree):
            layout.addWidget(w)
        layout.addStretch(1)
        self._base = Config()
        self.applied: Config | None = None
        self.init.changed.connect(self._show_pending)
        self.model.changed.connect(self._show_pending)
        self.init.changed.connect(self._show_what_applies)
        self.model.changed.connect(self._show_what_applies)
        self.init.preset_chosen.connect(self.preset_chosen)
        self.training.refused.connect(self.refused)
        self.model.refused.connect(self.refused)

    def config(self) -> Config:
        """Everything the panels say now, whether applied or not."""
        return self._base.replace(**self.init.values(), **self.model.values(), **self.training.values())

    def set_config(self, cfg: Config) -> None:
        self._base = cfg
        self.init.set_values(cfg)
        self.model.set_values(cfg)
        self.training.set_values(cfg)
        self._show_pending()
        self._show_what_applies()

    def _show_what_applies(self) -> None:
        """Switches and fields that do nothing for the layers chosen are disabled, saying why; the
        Kaiming switch names the gain it applies."""
        style, gain = self.model.style.currentText(), self.model.gain
        self.init.follow_model(style, gain.textFromValue(gain.typed_value()))
        seed_without_kaiming = style == "seed" and not self.init.boxes["fix_w1"].isChecked()
        gain.setEnabled(not seed_without_kaiming and style != "wavenet")
        gain.setToolTip(self.model.gain_tip if gain.isEnabled() else
                        "Part 5's layers take no gain: each Linear starts at randn/√fan_in." if style == "wavenet" else
                        "The seed's layers take the gain only with 'W1 Kaiming' on (Initialisation); "
                        "without it W1 keeps randn's scale.")

    def apply_preset(self, name: str) -> Config:
        self.set_config(preset_config(name, self.config()))
        return self.config()

    def set_applied(self, cfg: Config) -> None:
        """The settings of the model now training; what differs is pending."""
        self.applied = cfg
        self._show_pending()

    def pending_changes(self) -> list[str]:
        if self.applied is None:
            return []
        now = self.config()
        return [f"{ON_SCREEN[f]} {_show(getattr(self.applied, f))} → {_show(getattr(now, f))}"
                for f in sorted(ARCH_FIELDS) if getattr(self.applied, f) != getattr(now, f)]

    def _show_tree(self) -> None:
        cfg = self.config()
        self.tree.setVisible(cfg.layer_style == "wavenet")
        if cfg.layer_style == "wavenet":
            try:
                cfg.validate()
                self.tree.set_tree(context_tree(cfg))
            except ConfigError as e:
                self.tree.set_tree((), str(e))

    def _show_pending(self) -> None:
        self._show_tree()
        changes = self.pending_changes()
        self.pending.setVisible(bool(changes))
        if changes:
            self.pending.setText("Pending until Reset (Ctrl+R): " + ", ".join(changes))


def _show(value) -> str:
    if value is None:
        return "none"
    if isinstance(value, str):
        return dataset_name(value)
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return number_text(value)      # the gain 5/3 as 5/3, not 1.6666666666666667
    return str(value)
