"""The Sweeps tab's widgets: the form with Open/Save/Start/Cancel above, the trials table, and the
four figures (parallel coordinates, the metric by parameter, the curves, importance) below."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from gui.workbench.sweeps.figures import Curves, Importance, MetricByParam
from gui.workbench.sweeps.form import SweepForm
from gui.workbench.sweeps.parallel import ParallelCoordinates
from gui.workbench.sweeps.trials_table import TrialsModel


class SweepsTab(QWidget):
    def __init__(self, form: SweepForm, parent=None):
        super().__init__(parent)
        self.form = form
        self.open_button, self.save_button = QPushButton("Open spec…"), QPushButton("Save spec…")
        self.start_button, self.cancel_button = QPushButton("Start"), QPushButton("Cancel")
        self.start_button.setToolTip("Run the sweep off the window's thread; a sweep of the same name goes on "
                                     "where it stopped (finished trials are never run again)")
        self.cancel_button.setEnabled(False)
        self.open_button.setToolTip("Open a sweep spec (TOML): its name, method, steps, [base] and [params]")
        self.save_button.setToolTip("Save the form as a sweep spec (TOML) that `main.py sweep FILE` runs too")
        self.cancel_button.setToolTip("Stop the sweep: finished trials are kept, and Start goes on where it stopped")
        self.progress = QProgressBar()
        self.progress.setFormat("%v / %m trials")
        self.progress.setMaximumWidth(220)
        self.status = QLabel("")
        self.show_run_button = QPushButton("Show run")
        self.open_weights_button = QPushButton("Open its weights")
        self.apply_button = QPushButton("Apply its settings")
        self.show_run_button.setToolTip("Select the chosen trial's run in the Runs tab (its curve, losses, setup)")
        self.open_weights_button.setToolTip("Load the chosen trial's weights and settings into the window, as a "
                                            "checkpoint: continue it, sample from it, evaluate it")
        self.apply_button.setToolTip("Put the chosen trial's settings into the side panels (a new run on Reset)")
        for b in self.trial_buttons:
            b.setEnabled(False)
        self.model = TrialsModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(False)
        self.parallel = ParallelCoordinates()
        self.by_param = MetricByParam()
        self.curves = Curves()
        self.importance = Importance()
        self._lay_out()

    @property
    def trial_buttons(self) -> tuple[QPushButton, ...]:
        return self.show_run_button, self.open_weights_button, self.apply_button

    def _lay_out(self) -> None:
        buttons = QHBoxLayout()
        for w in (self.open_button, self.save_button, self.start_button, self.cancel_button, self.progress):
            buttons.addWidget(w)
        buttons.addWidget(self.status, 1)
        trial = QHBoxLayout()
        trial.addWidget(QLabel("Selected trial:"))
        for b in self.trial_buttons:
            trial.addWidget(b)
        trial.addStretch(1)
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.table, 1)
        top_layout.addLayout(trial)
        figures = QWidget()
        grid = QGridLayout(figures)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(self.parallel, 0, 0)
        grid.addWidget(self.curves, 0, 1)
        grid.addWidget(self.by_param, 1, 0)
        grid.addWidget(self.importance, 1, 1)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 2)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(figures)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        split.setSizes([260, 420])
        self.split = split
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.form)
        layout.addLayout(buttons)
        layout.addWidget(split, 1)

    def selected_trial(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()).number if rows else None

    def select_trial(self, number: int) -> None:
        for i, row in enumerate(self.model.rows):
            if row.number == number:
                self.table.selectRow(i)
                return

    def plot_items(self) -> dict:
        return {"Sweep: parallel coordinates": self.parallel.getPlotItem(),
                "Sweep: curves": self.curves.getPlotItem(), "Sweep: importance": self.importance.getPlotItem()}
