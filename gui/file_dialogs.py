"""File dialogs big enough to read: Qt's own dialog (used where the desktop offers none) opens
at about 520 px wide, where the Size, Type and Date columns are cut."""
from __future__ import annotations

from PySide6.QtWidgets import QFileDialog, QWidget

DIALOG_SIZE = (900, 560)


def file_dialog(parent: QWidget | None, title: str, start: str, filters: str, save: bool = False) -> QFileDialog:
    """A dialog to open (or save) one file, in the detail view, sized so every column shows."""
    dialog = QFileDialog(parent, title, start, filters)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave if save else QFileDialog.AcceptMode.AcceptOpen)
    dialog.setFileMode(QFileDialog.FileMode.AnyFile if save else QFileDialog.FileMode.ExistingFile)
    dialog.setViewMode(QFileDialog.ViewMode.Detail)
    dialog.resize(*DIALOG_SIZE)
    return dialog


def ask_file(parent: QWidget | None, title: str, start: str, filters: str, save: bool = False) -> str:
    """The path chosen, or "" when the dialog was cancelled."""
    dialog = file_dialog(parent, title, start, filters, save)
    if save:
        dialog.selectFile(start)
    if dialog.exec() != QFileDialog.DialogCode.Accepted or not dialog.selectedFiles():
        return ""
    return dialog.selectedFiles()[0]
