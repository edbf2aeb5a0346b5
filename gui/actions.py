"""make_action: one QAction with its shortcut in the tooltip, for the window and the workbench."""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget


def make_action(owner: QWidget, text: str, shortcut: str, tip: str, slot: Callable[[], object]) -> QAction:
    """An action on `owner` (its shortcut works wherever owner has focus) that calls slot()."""
    a = QAction(text, owner)
    if shortcut:
        a.setShortcut(QKeySequence(shortcut))
    a.setToolTip(f"{tip} ({QKeySequence(shortcut).toString()})" if shortcut else tip)
    a.setStatusTip(tip)
    a.triggered.connect(lambda _=False: slot())
    owner.addAction(a)
    return a
