"""LiveView: the window's first tab, the loss, the tanh layer's histograms and the
saturation picture, drawn from the run state as frames come in."""
from __future__ import annotations

from PySide6.QtWidgets import QGridLayout, QVBoxLayout, QWidget
from superqt.utils import qthrottled

from core.stats import SATURATION_THRESHOLD, Snapshot

from .mailbox import Frame
from .plots import HistogramPlot, LossPlot, SaturationPlot
from .plots.style import ORANGE
from .run_state import RunState

TEXT_INTERVAL_MS = 200   # numbers in words (plot notes) change at most this often while running


class LiveView(QWidget):
    def __init__(self, run: RunState, parent=None):
        super().__init__(parent)
        self.run = run
        self.frames_drawn = 0          # frames that put new data on the plots
        self.loss_plot = LossPlot()
        self.hpreact_plot = HistogramPlot("tanh input (hpreact)", "hpreact")
        self.hpreact_plot.setToolTip("Histogram of the hidden layer's pre-activations over the last batch "
                                     "(after BatchNorm when it is on).\nWide tails push tanh into its flat "
                                     "ends; BatchNorm keeps this roughly unit-gaussian.")
        self.h_plot = HistogramPlot("tanh output (h)", "h = tanh(hpreact)", fixed_x=(-1.0, 1.0), colour=ORANGE)
        self.h_plot.setToolTip(f"Histogram of the tanh outputs over the last batch. Values near ±1 are "
                               f"saturated:\ntanh's gradient 1 − h² is near 0 there. The note counts "
                               f"|h| > {SATURATION_THRESHOLD}.")
        self.saturation_plot = SaturationPlot()
        grid = QGridLayout()
        grid.setSpacing(2)
        grid.addWidget(self.loss_plot, 0, 0, 1, 2)
        grid.addWidget(self.hpreact_plot, 1, 0)
        grid.addWidget(self.h_plot, 1, 1)
        grid.addWidget(self.saturation_plot, 2, 0, 1, 2)
        for row, stretch in enumerate((5, 4, 3)):
            grid.setRowStretch(row, stretch)
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.layout_.addLayout(grid, 1)
        # text is dear to lay out and nobody reads it 25 times a second
        self._write_notes = qthrottled(self._write_notes_now, TEXT_INTERVAL_MS, parent=self)
        self._drew = False

        run.run_started.connect(self._on_run_started)
        run.events_added.connect(self._on_events_added)
        run.snapshot_changed.connect(self._on_snapshot_changed)
        run.status_changed.connect(lambda s: self.loss_plot.set_max_steps(s.cfg.max_steps))
        run.frame_taken.connect(self._on_frame_taken)

    def add_above_plots(self, widget: QWidget) -> None:
        self.layout_.insertWidget(0, widget)

    def _on_run_started(self, _info) -> None:
        self.loss_plot.clear_run(self.run.losses)
        self._clear_snapshot()

    def _on_events_added(self, events: list) -> None:
        for step, text in events:
            self.loss_plot.add_event(step, text)

    def _on_snapshot_changed(self, s: Snapshot | None) -> None:
        if s is None:
            self._clear_snapshot()
            return
        self.hpreact_plot.set_histogram(s.hpreact_hist, s.hpreact_edges)
        self.h_plot.set_histogram(s.h_hist, s.h_edges)
        self.saturation_plot.set_mask(s.saturation_mask)
        self._write_notes(s)
        if not self.run.running:
            self._write_notes.flush()
        self._drew = True

    def _write_notes_now(self, s: Snapshot) -> None:
        if self.run.snapshot is not s:
            return   # a later snapshot, or a new run, came before the throttle let this through
        self.h_plot.set_note(f"saturated (|h| > {SATURATION_THRESHOLD}): {100 * s.saturated_fraction:.1f} %")
        self.saturation_plot.set_dead(s.dead_neurons, s.saturation_mask.shape[1])

    def _clear_snapshot(self) -> None:
        for plot in (self.hpreact_plot, self.h_plot, self.saturation_plot):
            plot.clear_run()

    def _on_frame_taken(self, _frame: Frame) -> None:
        drew = self.loss_plot.redraw() or self._drew
        self._drew = False
        if drew:
            self.frames_drawn += 1
