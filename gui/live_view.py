"""LiveView: the window's first tab, the loss, a tanh layer's histograms and its saturation
picture (the layer a selector chooses, once the net is deep), drawn from the run state as
frames come in."""
from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget
from superqt.utils import qthrottled

from core.diagnostics.stats import Snapshot, uniform_guess_loss
from gui.bridge.mailbox import Frame
from gui.bridge.run_state import RunState
from gui.panels.widgets import ChoiceBox
from gui.plots import HistogramPlot, LossPlot, SaturationPlot
from gui.plots.style import ORANGE
from gui.plots.words import SATURATED, SATURATED_PICTURE, THRESHOLDS_WHY, hidden_layer

TEXT_INTERVAL_MS = 200   # numbers in words (plot notes) change at most this often while running
HPREACT_TITLE, H_TITLE = "tanh input (hpreact)", "tanh output (h)"
# the linear-only experiment: no tanh, the output is its input, drawn over its whole range
LINEAR_TITLES = ("pre-activation (hpreact)", "output (h), no activation")
SATURATION_TITLE = f"Saturated tanh outputs, {SATURATED_PICTURE} (white; the % above counts {SATURATED})"
NO_SATURATION_TITLE = "No activation: nothing saturates (this picture is for tanh layers)"


class LiveView(QWidget):
    layer_chosen = Signal(int)     # the hidden layer (0 = the first) the histograms should follow

    def __init__(self, run: RunState, parent=None):
        super().__init__(parent)
        self.run = run
        self.frames_drawn = 0          # frames that put new data on the plots
        self.loss_plot = LossPlot()
        self.hpreact_plot = HistogramPlot(HPREACT_TITLE, "hpreact")
        self.hpreact_plot.setToolTip("Histogram of the hidden layer's pre-activations over the last batch "
                                     "(after BatchNorm when it is on).\nWide tails push tanh into its flat "
                                     "ends; BatchNorm keeps this roughly unit-gaussian.")
        self.h_plot = HistogramPlot(H_TITLE, "h = tanh(hpreact)", fixed_x=(-1.0, 1.0), colour=ORANGE)
        self.h_plot.setToolTip("Histogram of the tanh outputs over the last batch. Values near ±1 are "
                               "saturated:\ntanh's gradient 1 − h² is near 0 there.\n" + THRESHOLDS_WHY)
        self.saturation_plot = SaturationPlot()
        self.saturation_plot.plot_item.setTitle(SATURATION_TITLE)
        self.tanh = True                # whether the hidden layers have a tanh to saturate
        self.layer_box = ChoiceBox()
        self.layer_box.setToolTip("The hidden layer whose pre-activations, outputs and saturation the plots "
                                  "below show (Alt+L).\nThe Layers tab (Ctrl+2) shows every layer at once.")
        self.layer_box.currentIndexChanged.connect(self._on_layer_box_changed)
        self.layer_bar = QWidget()
        bar = QHBoxLayout(self.layer_bar)
        bar.setContentsMargins(4, 0, 4, 0)
        label = QLabel("Histograms and saturation of hidden &layer")
        label.setBuddy(self.layer_box)
        bar.addWidget(label)
        bar.addWidget(self.layer_box)
        bar.addStretch(1)
        self.layer_bar.hide()           # until the net has more than one hidden layer
        self.shown_layer = 0            # the layer the plots below show now
        self.n_layers = 1
        self.titles = (HPREACT_TITLE, H_TITLE)
        grid = QGridLayout()
        grid.setSpacing(2)
        grid.addWidget(self.loss_plot, 0, 0, 1, 2)
        grid.addWidget(self.layer_bar, 1, 0, 1, 2)
        grid.addWidget(self.hpreact_plot, 2, 0)
        grid.addWidget(self.h_plot, 2, 1)
        grid.addWidget(self.saturation_plot, 3, 0, 1, 2)
        for row, stretch in enumerate((5, 0, 4, 3)):
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

    def _on_run_started(self, info) -> None:
        self.loss_plot.clear_run(self.run.losses)
        self.loss_plot.set_uniform_guess(uniform_guess_loss(len(info.vocab)), len(info.vocab))
        self._clear_snapshot()
        n = self.n_layers = info.cfg.n_layers
        self.tanh = info.cfg.activation == "tanh"
        self.titles = (HPREACT_TITLE, H_TITLE) if self.tanh else LINEAR_TITLES
        self.h_plot.fixed_x = (-1.0, 1.0) if self.tanh else None     # a linear layer's output is not clipped
        self.h_plot.plot_item.setLabel("bottom", "h = tanh(hpreact)" if self.tanh else "h = hpreact (no activation)")
        self.saturation_plot.plot_item.setTitle(SATURATION_TITLE if self.tanh else NO_SATURATION_TITLE)
        with QSignalBlocker(self.layer_box):
            self.layer_box.clear()
            self.layer_box.addItems([f"{k + 1} of {n}" for k in range(n)])
        self.layer_bar.setVisible(n > 1)
        self._show_layer(min(self.shown_layer, n - 1), force=True)

    def choose_layer(self, layer: int) -> None:
        """Follow hidden layer `layer` (0 = the first): the plots switch with the next snapshot."""
        self.layer_box.setCurrentIndex(layer)

    def _on_layer_box_changed(self, index: int) -> None:
        if index >= 0:
            self.layer_chosen.emit(index)

    def _show_layer(self, layer: int, force: bool = False) -> None:
        """Titles and selector as of the snapshot's layer: the run state, not the selector, says."""
        if layer != self.layer_box.currentIndex():
            with QSignalBlocker(self.layer_box):
                self.layer_box.setCurrentIndex(layer)
        if layer == self.shown_layer and not force:
            return
        self.shown_layer = layer
        prefix = f"{hidden_layer(layer, self.n_layers)}: " if self.n_layers > 1 else ""
        # 10 pt: a deep net's layer name and the title fit half the plots' width at 1280×800
        self.hpreact_plot.plot_item.setTitle(prefix + self.titles[0], size="10pt")
        self.h_plot.plot_item.setTitle(prefix + self.titles[1], size="10pt")

    def _on_events_added(self, events: list) -> None:
        for step, text in events:
            self.loss_plot.add_event(step, text)

    def _on_snapshot_changed(self, s: Snapshot | None) -> None:
        if s is None:
            self._clear_snapshot()
            return
        self._show_layer(s.layer)
        self.hpreact_plot.set_histogram(s.hpreact_hist, s.hpreact_edges)
        self.h_plot.set_histogram(s.h_hist, s.h_edges)
        if self.tanh:
            self.saturation_plot.set_mask(s.saturation_mask)
        self._write_notes(s)
        if not self.run.running:
            self._write_notes.flush()
        self._drew = True

    def _write_notes_now(self, s: Snapshot) -> None:
        if self.run.snapshot is not s:
            return   # a later snapshot, or a new run, came before the throttle let this through
        if self.tanh:
            self.h_plot.set_note(f"saturated ({SATURATED}): {100 * s.saturated_fraction:.1f} %")
            self.saturation_plot.set_dead(s.dead_neurons, s.saturation_mask.shape[1])
        else:
            self.h_plot.set_note("")
            self.saturation_plot.set_dead(None, 0)

    def _clear_snapshot(self) -> None:
        for plot in (self.hpreact_plot, self.h_plot, self.saturation_plot):
            plot.clear_run()

    def _on_frame_taken(self, _frame: Frame) -> None:
        drew = self.loss_plot.redraw() or self._drew
        self._drew = False
        if drew:
            self.frames_drawn += 1
