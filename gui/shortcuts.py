"""Help ▸ Keyboard shortcuts: every shortcut the window's actions have, read from the actions
themselves (so the list cannot go stale), in a dialog that does not stop the window."""
from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHeaderView,
    QLayout,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

# keys that are not an action's: a label's buddy and a table's own key
OTHER_KEYS = (("Alt+L", "The hidden layer the Live tab's histograms follow (a deep net)"),
              ("Del", "Delete the selected runs (in the Runs table)"))


def shortcut_rows(window) -> list[tuple[str, str]]:
    """(keys, what they do) for each of the window's actions with a shortcut, then OTHER_KEYS."""
    rows, seen = [], set()
    for action in window.findChildren(QAction):
        keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        what = action.statusTip() or action.text().replace("&", "")
        if keys and (keys, what) not in seen:
            seen.add((keys, what))
            rows.append((keys, what))
    return rows + list(OTHER_KEYS)


class ShortcutsDialog(QDialog):
    def __init__(self, window):
        super().__init__(window)
        self.setWindowTitle("Keyboard shortcuts")
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["keys", "what they do"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)   # a fixed size: no size-hint traffic
        self.resize(620, 560)
        self.window_ = window

    def refresh(self) -> None:
        rows = shortcut_rows(self.window_)
        self.table.setRowCount(len(rows))
        for i, (keys, what) in enumerate(rows):
            self.table.setItem(i, 0, QTableWidgetItem(keys))
            self.table.setItem(i, 1, QTableWidgetItem(what))

    def show_now(self) -> None:
        self.refresh()
        self.show()
        self.activateWindow()
