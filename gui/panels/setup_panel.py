"""SetupPanel: the left column. Initialisation and Model apply on Reset (and say so while a
change is pending); Training applies live."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from core.config import ARCH_FIELDS, Config, ConfigError
from core.model.tree import context_tree
from core.presets import preset_config
from gui.panels.init_panel import InitPanel
from gui.panels.model_panel import ModelPanel, dataset_name
from gui.panels.training_panel import TrainingPanel
from gui.panels.tree_view import ContextTreeView
from gui.panels.widgets import number_text


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
        for w in (self.init, self.model, self.tree, self.pending, self.training):
            layout.addWidget(w)
        layout.addStretch(1)
        self._base = Config()
        self.applied: Config | None = None
        self.init.changed.connect(self._show_pending)
        self.model.changed.connect(self._show_pending)
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
        return [f"{f} {_show(getattr(self.applied, f))} → {_show(getattr(now, f))}"
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
    if isinstance(value, str):
        return dataset_name(value)
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return number_text(value)      # the gain 5/3 as 5/3, not 1.6666666666666667
    return str(value)
