"""The trials table: one row per trial (state with a failure's reason, each parameter, the metric,
steps, its run), in trial order, updated as trials start and end."""
from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QColor

from core.sweeps.sweep import TrialRow

STATE_COLOURS = {"running": QColor(31, 119, 180), "pruned": QColor(127, 127, 127), "failed": QColor(214, 39, 40),
                 "interrupted": QColor(148, 103, 189)}


def show(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


class TrialsModel(QAbstractTableModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list[TrialRow] = []
        self.params: list[str] = []
        self.metric = "val"

    def reset(self, params: list[str], metric: str, rows: list[TrialRow] = ()) -> None:
        self.beginResetModel()
        self.params, self.metric = list(params), metric
        self.rows = sorted(rows, key=lambda r: r.number)
        self.endResetModel()

    def columns(self) -> list[str]:
        return ["trial", "state", *self.params, self.metric, "steps", "run"]

    def put(self, row: TrialRow) -> None:
        """Add the trial, or replace the row of the same number."""
        for i, r in enumerate(self.rows):
            if r.number == row.number:
                self.rows[i] = row
                self.dataChanged.emit(self.index(i, 0), self.index(i, self.columnCount() - 1))
                return
        at = sum(1 for r in self.rows if r.number < row.number)
        self.beginInsertRows(QModelIndex(), at, at)
        self.rows.insert(at, row)
        self.endInsertRows()

    def row_at(self, i: int) -> TrialRow:
        return self.rows[i]

    def rowCount(self, parent=None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self.rows)

    def columnCount(self, parent=None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self.columns())

    def cell(self, row: TrialRow, column: str) -> str:
        if column == "trial":
            return str(row.number)
        if column == "state":
            return row.state + (f": {row.reason.split('. ')[0]}" if row.reason and row.state == "failed" else "")
        if column == self.metric:
            return f"{row.val:.4f}" if row.val is not None else ""
        if column == "steps":
            return f"{row.steps:,}" if row.steps else ""
        if column == "run":
            return show(row.run_id)
        return show(row.params.get(column))

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row, column = self.rows[index.row()], self.columns()[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cell(row, column)
        if role == Qt.ItemDataRole.ToolTipRole and column == "state" and row.reason:
            return row.reason
        if role == Qt.ItemDataRole.ForegroundRole and column == "state":
            return STATE_COLOURS.get(row.state)
        if role == Qt.ItemDataRole.TextAlignmentRole and column not in ("state",):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.columns()[section]
        return None
