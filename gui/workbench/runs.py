"""The runs table (the notebook's "loss log", live) and the overlay of the selected runs' loss curves."""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QAbstractTableModel, QItemSelectionModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSplitter,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from core.config import Config
from core.runs.loss_curve import LossCurve
from core.runs.records import TABLE_FIELDS, RunLog, RunRecord
from core.runs.run_history import RunHistory
from gui.panels.model_panel import dataset_name
from gui.panels.widgets import number_text
from gui.workbench.plots import PALETTE, lean_plot
from gui.workbench.smoothing import SmoothingSlider

COLUMNS = ("run", "name", "status", "kind", "steps", "train", "val", *TABLE_FIELDS, "data")
HEADERS = {
    "run": ("#", "The run's number in the run store (given once it has taken a step)."),
    "name": ("name", "Double-click to rename. A run is named by what it is: the seed notebook, a preset, "
                     "or the settings that differ from the seed."),
    "status": ("status", "running, paused, finished, diverged, or interrupted (its process ended without "
                         "closing it: the steps up to its last write are kept)."),
    "kind": ("kind", "What made it: the window, a headless run, the loss-log experiment, a sweep trial, or a "
                     "reference row (the lectures' own numbers)."),
    "steps": ("steps", "Steps trained."),
    "train": ("train", "Loss over the whole training split, with BatchNorm's running statistics "
                       "(the notebook's split_loss).\nMeasured when a run is paused or reaches max steps; "
                       "blank while it trains on."),
    "val": ("val", "Loss over the whole validation split, measured with the train loss."),
    "batchnorm": ("BN", "BatchNorm layer."),
    "fix_w2": ("W2×.01", "W2 scaled by 0.01 at init."),
    "fix_b2": ("b2×0", "b2 zeroed at init."),
    "fix_w1": ("W1 fix", "W1 scaled at init (Kaiming, or by the W1 scale)."),
    "fix_b1": ("b1×.01", "b1 scaled by 0.01 at init."),
    "w1_scale": ("W1 scale", "A plain factor for W1 instead of Kaiming (blank: Kaiming)."),
    "n_embed": ("embed", "Embedding size."),
    "n_hidden": ("hidden", "Hidden layer size."),
    "block_size": ("context", "Context length (block size)."),
    "lr": ("lr", "The learning rate in effect at the run's last step (live changes and the decay included)."),
    "lr_decay_step": ("decay at", "Step of the learning-rate decay."),
    "lr_after": ("lr after", "Learning rate after the decay step."),
    "batch_size": ("batch", "Batch size."),
    "n_layers": ("layers", "Hidden layers Linear → (BatchNorm) → activation."),
    "w1_gain": ("gain", "Init gain of the hidden layers' weights (5/3 suits tanh)."),
    "activation": ("act", "The hidden layers' activation: tanh, or none (linear only)."),
    "layer_style": ("style", "seed: the seed notebook's layers; lecture: the lecture's Linear and BatchNorm1d; "
                    "wavenet: makemore part 5's."),
    "fuse": ("fuse", "Wavenet style: positions each hidden layer fuses (blank: the whole context at once)."),
    "bn_dims": ("BN dims", "Wavenet style: BatchNorm's statistics over dims 0,1 (every position) or 0 (the bug)."),
    "data": ("data", "The word list."),
}
MAX_OVERLAID = len(PALETTE)


def _cell(column: str, value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "✓" if value else "–"
    if column in ("train", "val"):
        return f"{value:.4f}"
    if column == "data":
        return dataset_name(value)
    if isinstance(value, int):
        return f"{value:,}"
    if column == "w1_gain":
        return number_text(value)     # 5/3, as typed
    return f"{value:g}" if isinstance(value, float) else str(value)


REFERENCE_BACKGROUND = QColor(246, 241, 226)
REFERENCE_TEXT = QColor(110, 96, 60)


class RunsModel(QAbstractTableModel):
    """A table over a RunLog, newest run first, the reference rows last; every change to
    the log goes through here so views follow."""
    renamed = Signal(int)

    def __init__(self, log: RunLog, histories: dict[int, RunHistory], parent=None):
        super().__init__(parent)
        self.log = log
        self.histories = histories
        self.colours: dict[int, tuple] = {}     # run id -> overlay colour, for the selected runs
        self.load_curve = lambda record: None   # fills a past run's curve before it is drawn
        for record in log.runs + log.references:
            histories.setdefault(record.run_id, RunHistory(record))

    def rows(self) -> list[RunRecord]:
        return self.log.runs[::-1] + self.log.references

    # -- changes ---------------------------------------------------------------------------
    def add(self, cfg: Config, name: str = "", curve: LossCurve | None = None) -> RunHistory:
        """A new run (the first row); `curve`: its loss store when another feeds it (the run state)."""
        self.beginInsertRows(QModelIndex(), 0, 0)
        history = RunHistory(self.log.start(cfg, name, curve))
        self.histories[history.run_id] = history
        self.endInsertRows()
        return history

    def add_record(self, record: RunRecord) -> RunHistory:
        """A run recorded elsewhere (a sweep's trial), as the first row."""
        self.beginInsertRows(QModelIndex(), 0, 0)
        self.log.runs.append(record)
        history = self.histories[record.run_id] = RunHistory(record)
        self.endInsertRows()
        return history

    def history(self, run_id: int) -> RunHistory | None:
        """The run's history with its curve loaded (a past run's is read when first asked for)."""
        h = self.histories.get(run_id)
        if h is not None:
            self.load_curve(h.record)
        return h

    def delete(self, run_ids) -> None:
        for run_id in run_ids:
            row = self.row_of(run_id)
            if row is None:
                continue
            self.beginRemoveRows(QModelIndex(), row, row)
            self.log.delete(run_id)
            self.histories.pop(run_id, None)
            self.endRemoveRows()

    def refresh(self, run_id: int) -> None:
        row = self.row_of(run_id)
        if row is not None:
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    def row_of(self, run_id: int) -> int | None:
        return next((i for i, r in enumerate(self.rows()) if r.run_id == run_id), None)

    def run_id_at(self, row: int) -> int:
        return self.rows()[row].run_id

    def record_at(self, row: int) -> RunRecord:
        n = len(self.log.runs)
        return self.log.runs[n - 1 - row] if row < n else self.log.references[row - n]

    # -- Qt's model interface --------------------------------------------------------------
    def rowCount(self, parent=None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self.log.runs) + len(self.log.references)

    def columnCount(self, parent=None) -> int:
        return 0 if parent is not None and parent.isValid() else len(COLUMNS)

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        run = self.record_at(index.row())
        column = COLUMNS[index.column()]
        if run.kind == "reference" and role == Qt.ItemDataRole.BackgroundRole:
            return REFERENCE_BACKGROUND
        if run.kind == "reference" and role == Qt.ItemDataRole.ForegroundRole:
            return REFERENCE_TEXT
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            if role == Qt.ItemDataRole.EditRole and column == "name":
                return run.name
            return _cell(column, run.row()[column])
        if role == Qt.ItemDataRole.TextAlignmentRole and column not in ("name", "data"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.DecorationRole and column == "name" and run.run_id in self.colours:
            return QColor(*self.colours[run.run_id])
        if role == Qt.ItemDataRole.ToolTipRole:
            if column in ("train", "val"):
                h = self.histories.get(run.run_id)
                if run.train_loss is not None and h is not None and h.evaluated_at is not None:
                    return f"{column} loss {run.row()[column]!r}, after {h.evaluated_at:,} steps"
                return HEADERS[column][1]
            if column == "data":
                return run.row()["data"]
            if column == "name" and run.kind == "reference":
                return f"{run.name}: the lecture's own numbers, read-only."
            if column == "name":
                return f"{run.name}: the full setup is in the run's JSON export."
        return None

    def setData(self, index: QModelIndex, value, role=Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or COLUMNS[index.column()] != "name" or not str(value).strip():
            return False
        run = self.record_at(index.row())
        run.name = str(value).strip()
        self.dataChanged.emit(index, index)
        self.renamed.emit(run.run_id)
        return True

    def flags(self, index: QModelIndex):
        f = super().flags(index)
        editable = COLUMNS[index.column()] == "name" and self.record_at(index.row()).kind != "reference"
        return f | Qt.ItemFlag.ItemIsEditable if editable else f

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal:
            return None
        text, tip = HEADERS[COLUMNS[section]]
        if role == Qt.ItemDataRole.DisplayRole:
            return text
        if role == Qt.ItemDataRole.ToolTipRole:
            return tip
        return None


class RunsTab(QWidget):
    selection_changed = Signal()

    def __init__(self, model: RunsModel, parent=None):
        super().__init__(parent)
        self.model = model
        self.table = QTableView()
        self.table.setModel(model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setResizeContentsPrecision(0)    # fit the rows in view: a full store's every cell costs 10s of ms
        header.setSectionResizeMode(COLUMNS.index("name"), QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.table.setColumnWidth(COLUMNS.index("name"), 170)
        self.table.setToolTip("Every run, this session's and earlier ones' (the run store), newest first, and "
                              "the lectures' own numbers last: setup, steps and final losses (the notebook's "
                              "loss log).\nSelect runs (Ctrl/Shift-click) to overlay their loss curves below.")
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        model.rowsInserted.connect(self._on_rows_inserted)

        self.buttons = QHBoxLayout()
        self.buttons.setContentsMargins(0, 0, 0, 0)
        self.plot = lean_plot("Loss curves of the selected runs", "step", "log10 loss", mouse=True)
        self.plot_item = self.plot.plot_item
        self.legend = self.plot_item.addLegend(offset=(-10, 10), labelTextSize="9pt")
        self.curves = [pg.PlotCurveItem(pen=pg.mkPen(c, width=1)) for c in PALETTE]
        for curve in self.curves:
            self.plot_item.addItem(curve)
        self.plot.setToolTip("The selected runs' loss, smoothed as the slider says; drag or scroll to zoom, "
                             "double-click to fit all.")
        self.plot.scene().sigMouseClicked.connect(lambda e: self.fit() if e.double() else None)
        self.smoothing = SmoothingSlider(
            "smoothing", "Smoothing of the overlaid curves (TensorBoard's debiased exponential moving "
            "average):\n0.99 averages over about 100 steps, 0.999 over about 1,000.")
        self.smoothing.set_weight(0.99)
        self.smoothing.weight_changed.connect(lambda _: self.redraw_overlay(fit=False))
        self.note = QLabel("")
        self.note.setStyleSheet("QLabel { color: #444; }")
        plot_box = QWidget()
        plot_layout = QVBoxLayout(plot_box)
        plot_layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(self.smoothing)
        row.addWidget(self.note, 1)
        plot_layout.addLayout(row)
        plot_layout.addWidget(self.plot, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(plot_box)
        splitter.setSizes([260, 340])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(self.buttons)
        layout.addWidget(splitter, 1)
        self.overlaid: list[int] = []

    def add_button(self, action) -> QToolButton:
        button = QToolButton()
        button.setDefaultAction(action)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.buttons.addWidget(button)
        return button

    def finish_buttons(self) -> None:
        self.buttons.addStretch(1)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("filter: name, status, kind or data")
        self.filter.setClearButtonEnabled(True)
        for clear in self.filter.findChildren(QToolButton):     # Qt's clear button inside the field
            clear.setToolTip("Clear the filter: every run again")
        self.filter.setToolTip("Show only the runs whose name, status (finished, interrupted…), kind "
                               "(window, headless, loss-log, sweep-trial, reference) or word list holds this text.")
        self.filter.setMaximumWidth(260)
        self.filter.textChanged.connect(lambda _: self.apply_filter())
        for signal in (self.model.rowsInserted, self.model.rowsRemoved, self.model.modelReset):
            signal.connect(lambda *_: self.apply_filter())
        self.buttons.addWidget(self.filter)

    def apply_filter(self) -> None:
        needle = self.filter.text().strip().lower()
        for row in range(self.model.rowCount()):
            r = self.model.record_at(row)
            text = " ".join((r.name, r.status, r.kind, dataset_name(r.row()["data"] or ""))).lower()
            self.table.setRowHidden(row, bool(needle) and needle not in text)

    def shown_run_ids(self) -> list[int]:
        """The rows the filter lets through, top to bottom."""
        return [self.model.run_id_at(r) for r in range(self.model.rowCount()) if not self.table.isRowHidden(r)]

    # -- selection and overlay ------------------------------------------------------------
    def selected_run_ids(self) -> list[int]:
        rows = sorted(i.row() for i in self.table.selectionModel().selectedRows())
        return [self.model.run_id_at(r) for r in rows]

    def select(self, run_ids) -> None:
        sm = self.table.selectionModel()
        sm.clearSelection()
        for run_id in run_ids:
            row = self.model.row_of(run_id)
            if row is not None:
                sm.select(self.model.index(row, 0), QItemSelectionModel.SelectionFlag.Select
                          | QItemSelectionModel.SelectionFlag.Rows)

    def _on_rows_inserted(self, *_) -> None:
        self.table.scrollToTop()

    def _on_selection_changed(self, *_) -> None:
        self.redraw_overlay(fit=True)
        self.selection_changed.emit()

    def redraw_overlay(self, fit: bool = False) -> None:
        ids = [i for i in self.selected_run_ids() if self.model.histories[i].record.kind != "reference"]
        shown = ids[:MAX_OVERLAID]
        colours = {run_id: PALETTE[i] for i, run_id in enumerate(shown)}
        if colours != self.model.colours:
            self.model.colours = colours
            self.model.dataChanged.emit(self.model.index(0, 1), self.model.index(self.model.rowCount() - 1, 1))
        self.legend.clear()
        weight = self.smoothing.weight
        for i, curve in enumerate(self.curves):
            history = self.model.history(shown[i]) if i < len(shown) else None
            if history is None or history.smooth.n == 0:
                curve.setData([], [])
                continue
            curve.setData(*history.smooth.xy(weight))
            self.legend.addItem(curve, history.record.name)
        self.overlaid = [i for i in shown if i in self.model.histories]
        more = len(ids) - len(shown)
        self.note.setText(f"{more} more selected runs are not drawn (at most {MAX_OVERLAID})" if more > 0 else
                          "" if ids else "Select runs in the table to compare their loss curves.")
        if fit:
            self.fit()

    def fit(self) -> None:
        self.plot_item.autoRange(padding=0.02)

    def plot_items(self) -> dict[str, pg.PlotItem]:
        return {"Runs: overlaid loss curves": self.plot_item}
