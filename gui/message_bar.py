"""MessageBar: a dismissable line above the plots for errors and divergence. Unlike a modal
dialog it never stops the window (or a test) waiting for a click."""
from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

_STYLES = {
    "error": "background: #f8d7da; color: #58151c; border: 1px solid #f1aeb5;",
    "info": "background: #cfe2ff; color: #052c65; border: 1px solid #9ec5fe;",
}


class MessageBar(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.label = QLabel()
        self.label.setWordWrap(True)
        close = QToolButton()
        close.setText("✕")
        close.setToolTip("Dismiss this message.")
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addWidget(self.label, 1)
        layout.addWidget(close)
        self.hide()

    def show_message(self, text: str, kind: str = "error") -> None:
        self.label.setText(text)
        self.label.setStyleSheet(f"QLabel {{ {_STYLES[kind]} border-radius: 3px; padding: 4px; }}")
        self.show()

    @property
    def text(self) -> str:
        return self.label.text() if self.isVisible() else ""
