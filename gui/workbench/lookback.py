"""Look back in time: the histograms and the saturation picture as they were at an earlier
step (a step slider over the run's timeline), overlaid with the same histogram of another run."""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtGui import QPainterPath
from PySide6.QtWidgets import QComboBox, QGridLayout, QHBoxLayout, QLabel, QPushButton, QSlider, QVBoxLayout, QWidget

from core.diagnostics.stats import Snapshot
from core.runs.run_history import RunHistory
from gui.plots import HistogramPlot, SaturationPlot
from gui.plots.lean import step_outline
from gui.plots.style import ORANGE
from gui.plots.words import SATURATED

OTHER_PEN = pg.mkPen((20, 20, 20), width=0, style=Qt.PenStyle.DashLine)


def snapshot_near(history: RunHistory, step: int) -> Snapshot | None:
    """The history's snapshot at `step`: its newest if that is not later, else the
    timeline's last one at or before it."""
    if history.latest is not None and history.latest.step <= step:
        return history.latest
    return history.timeline.at(step)


class LookBackTab(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setToolTip("Drag to see the histograms and the saturation picture as they were at an "
                               "earlier step.\nThe window keeps a snapshot every few steps (at most 64 a run, "
                               "spread evenly over it);\nat the right end the plots follow training live. "
                               "Arrow keys step through the snapshots.")
        self.slider.setRange(0, 0)
        self.slider.valueChanged.connect(self._on_slider_moved)
        self.step_label = QLabel("no snapshots yet")
        self.step_label.setMinimumWidth(200)
        self.step_label.setToolTip("The step shown, and how often a snapshot is kept at this point of the run.")
        self.live_button = QPushButton("Live")
        self.live_button.setToolTip("Follow training again (the slider's right end).")
        self.live_button.clicked.connect(self.go_live)
        self.compare = QComboBox()
        self.compare.setMinimumContentsLength(14)
        self.compare.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.compare.setToolTip("Overlay (dashed) the same histograms from another run of this session, "
                                "at the same step\n(or its last step, if it stopped earlier).")
        self.compare.currentIndexChanged.connect(lambda _: self.refresh(force=True))
        row = QHBoxLayout()
        row.addWidget(QLabel("step"))
        row.addWidget(self.slider, 1)
        row.addWidget(self.step_label)
        row.addWidget(self.live_button)
        compare_label = QLabel("compare with")
        compare_label.setToolTip(self.compare.toolTip())
        row.addWidget(compare_label)
        row.addWidget(self.compare)

        self.hpreact = HistogramPlot("tanh input (hpreact)", "hpreact")
        self.h = HistogramPlot("tanh output (h)", "h = tanh(hpreact)", fixed_x=(-1.0, 1.0), colour=ORANGE)
        for plot, what in ((self.hpreact, "tanh's input"), (self.h, "tanh's output")):
            plot.setToolTip(f"Histogram of {what} over the batch of the step shown; dashed: the run chosen "
                            "under 'compare with', at the same step.")
            plot.other = plot.add_path_item(OTHER_PEN, z=2)
            plot.other_data = None
        self.saturation = SaturationPlot()
        self.saturation.setToolTip("The saturation picture of the step shown: a row per example of that "
                                   "step's batch, a column per hidden neuron; white where |h| > 0.99.")
        grid = QGridLayout()
        grid.setSpacing(2)
        grid.addWidget(self.hpreact, 0, 0)
        grid.addWidget(self.h, 0, 1)
        grid.addWidget(self.saturation, 1, 0, 1, 2)
        grid.setRowStretch(0, 4)
        grid.setRowStretch(1, 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(row)
        layout.addLayout(grid, 1)

        self.history: RunHistory | None = None
        self.others: dict[int, RunHistory] = {}
        self.live = True
        self.pinned_step = 0
        self._shown: tuple | None = None
        self._overlaid = False
        self.set_runs(None, [])

    # -- what to show ----------------------------------------------------------------------
    def set_runs(self, history: RunHistory | None, others: list[RunHistory]) -> None:
        """The run to look back over, and the runs it can be compared with."""
        if history is not self.history:
            self.history = history
            self.live = True
            for plot in (self.hpreact, self.h, self.saturation):
                plot.clear_run()
        chosen = self.compare.currentData()
        self.others = {o.run_id: o for o in others if o is not history and len(o.timeline)}
        with QSignalBlocker(self.compare):
            self.compare.clear()
            self.compare.addItem("no other run", None)
            for run_id, other in self.others.items():
                self.compare.addItem(other.record.name, run_id)
            self.compare.setCurrentIndex(max(0, self.compare.findData(chosen)) if chosen in self.others else 0)
        self.refresh(force=True)

    def compare_with(self, run_id: int | None) -> None:
        self.compare.setCurrentIndex(max(0, self.compare.findData(run_id)))

    def go_live(self) -> None:
        self.live = True
        self.refresh(force=True)

    def _on_slider_moved(self, value: int) -> None:
        tl = self.history.timeline if self.history is not None else None
        if tl is None or value >= len(tl):
            self.live = True
        else:
            self.live, self.pinned_step = False, tl.steps[value]
        self.refresh(force=True)

    # -- drawing ---------------------------------------------------------------------------
    def shown_snapshot(self) -> Snapshot | None:
        h = self.history
        if h is None:
            return None
        return h.latest if self.live else h.timeline.at(self.pinned_step)

    def refresh(self, force: bool = False) -> None:
        h = self.history
        tl = h.timeline if h is not None else None
        n = len(tl) if tl is not None else 0
        s = self.shown_snapshot()
        other_id = self.compare.currentData()
        key = (id(s), n, other_id, self.live)
        if not force and key == self._shown:
            return
        self._shown = key
        with QSignalBlocker(self.slider):
            self.slider.setRange(0, n)
            self.slider.setValue(n if self.live or tl is None else tl.index_at(self.pinned_step))
        self.live_button.setEnabled(not self.live)
        if s is None:
            self.step_label.setText("no snapshots yet")
            return
        where = "live" if self.live else f"snapshot {tl.index_at(self.pinned_step) + 1} of {n}"
        self.step_label.setText(f"step {s.step:,} ({where})")
        other = self.others.get(other_id)
        o = snapshot_near(other, s.step) if other is not None else None
        if self._overlaid and o is None:      # give the plots back their own ranges
            self.hpreact.clear_run()
            self.h.clear_run()
        self._overlaid = o is not None
        self.hpreact.set_histogram(s.hpreact_hist, s.hpreact_edges)
        self.h.set_histogram(s.h_hist, s.h_edges)
        self.h.set_note(f"saturated ({SATURATED}): {100 * s.saturated_fraction:.1f} %")
        self.saturation.set_mask(s.saturation_mask)
        self.saturation.set_dead(s.dead_neurons, s.saturation_mask.shape[1])
        if o is None:
            for plot in (self.hpreact, self.h):
                plot.other.setPath(QPainterPath())
                plot.other_data = None
            self.hpreact.set_note("")
            return
        for plot, counts, (o_counts, o_edges) in (
                (self.hpreact, s.hpreact_hist, (o.hpreact_hist, o.hpreact_edges)),
                (self.h, s.h_hist, (o.h_hist, o.h_edges))):
            plot.other.setPath(step_outline(o_edges, o_counts))
            plot.other_data = (o_edges, o_counts)
            plot.plot_item.setYRange(0, 1.1 * float(max(counts.max(), o_counts.max(), 1.0)), padding=0)
        r = float(max(-s.hpreact_edges[0], s.hpreact_edges[-1], -o.hpreact_edges[0], o.hpreact_edges[-1]))
        self.hpreact.plot_item.setXRange(-r, r, padding=0.02)
        self.hpreact.set_note(f"dashed: {other.record.name}, step {o.step:,}")

    def plot_items(self) -> dict[str, pg.PlotItem]:
        return {"Look back: tanh input": self.hpreact.plot_item, "Look back: tanh output": self.h.plot_item,
                "Look back: saturation": self.saturation.plot_item}
