"""MainWindow: setup on the left, live plots in the centre, samples on the right.

Training runs on the session's worker thread. This thread only sends commands and, on a
steady timer, draws the newest numbers the worker published.
"""
from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QGridLayout,
    QLayout,
    QMainWindow,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from core.config import Config
from core.sample import sample_names
from core.stats import SATURATION_THRESHOLD, Snapshot

from .mailbox import RunInfo, Status
from .message_bar import MessageBar
from .panels import EvaluatePanel, SamplesPanel, SetupPanel
from .panels.model_panel import dataset_name
from .plots import HistogramPlot, LossPlot, SaturationPlot
from .plots.style import ORANGE, configure_pyqtgraph
from .session import TrainingSession
from .settings import load_config, open_settings, save_config
from .status_bar import TrainingStatusBar
from .workbench import Workbench

FRAME_INTERVAL_MS = 40        # 25 frames a second, whatever the step rate (20-30 is smooth enough)
TEXT_INTERVAL_S = 0.2         # numbers in words (status bar, plot notes) change at most this often while running


class MainWindow(QMainWindow):
    frame_drawn = Signal()        # after a frame put new data on the plots
    run_started = Signal(object)  # RunInfo: a new model was built
    frame_taken = Signal(object)  # every Frame taken from the worker, once drawn (the workbench's feed)

    def __init__(self, config: Config | None = None, settings: QSettings | None = None):
        super().__init__()
        self.settings = settings if settings is not None else open_settings()
        self.run_info: RunInfo | None = None
        self.status: Status | None = None
        self.snapshot: Snapshot | None = None
        self.frames_drawn = 0
        self.running = False          # what this window last asked for or heard
        self._toggles_in_flight = 0
        self._text_shown_at: dict[str, float] = {}
        self._closing = False
        self._notice: str | None = None   # shown once the next run has started
        self._loading: list[str] = []     # datasets of the Resets the worker has not answered yet
        self._live_in_flight = 0          # Resets and live changes sent and not yet answered

        configure_pyqtgraph()
        self._build_centre()
        self._build_sides()
        self._build_actions()
        self.status_bar = TrainingStatusBar()
        self.setStatusBar(self.status_bar)
        self.setWindowTitle("makemore playground")
        # A fixed minimum instead of the layout's: otherwise every label that changes width
        # re-sends the window's size hints to the platform (and offscreen Qt warns each time).
        self.layout().setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        self.setMinimumSize(960, 640)
        self._restore(config)

        self.session = TrainingSession(self)   # starts the training thread
        self.session.error.connect(self.show_error)

        self.timer = QTimer(self)
        self.timer.setInterval(FRAME_INTERVAL_MS)
        self.timer.timeout.connect(self.draw_frame)
        self.timer.start()
        self.workbench = Workbench(self)   # the tabs, menus and runs beyond the notebook (gui/workbench)
        self.reset(first=True)

    # -- layout ----------------------------------------------------------------------------
    def _build_centre(self) -> None:
        self.loss_plot = LossPlot()
        self.hpreact_plot = HistogramPlot("tanh input (hpreact)", "hpreact")
        self.hpreact_plot.setToolTip("Histogram of the hidden layer's pre-activations over the last batch "
                                     "(after BatchNorm when it is on).\nWide tails push tanh into its flat "
                                     "ends; BatchNorm keeps this roughly unit-gaussian.")
        self.h_plot = HistogramPlot("tanh output (h)", "h = tanh(hpreact)", fixed_x=(-1.0, 1.0), color=ORANGE)
        self.h_plot.setToolTip(f"Histogram of the tanh outputs over the last batch. Values near ±1 are "
                               f"saturated:\ntanh's gradient 1 − h² is near 0 there. The note counts "
                               f"|h| > {SATURATION_THRESHOLD}.")
        self.saturation_plot = SaturationPlot()
        self.message_bar = MessageBar()
        grid = QGridLayout()
        grid.setSpacing(2)
        grid.addWidget(self.loss_plot, 0, 0, 1, 2)
        grid.addWidget(self.hpreact_plot, 1, 0)
        grid.addWidget(self.h_plot, 1, 1)
        grid.addWidget(self.saturation_plot, 2, 0, 1, 2)
        for row, stretch in enumerate((5, 4, 3)):
            grid.setRowStretch(row, stretch)
        centre = QWidget()
        layout = QVBoxLayout(centre)
        layout.setContentsMargins(0, 0, 0, 0)
        live = QWidget()                   # the first tab; the workbench adds the others
        live_layout = QVBoxLayout(live)
        live_layout.setContentsMargins(0, 0, 0, 0)
        live_layout.addLayout(grid, 1)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(live, "Live")
        layout.addWidget(self.message_bar)
        layout.addWidget(self.tabs, 1)
        self.centre = centre

    def _build_sides(self) -> None:
        self.setup = SetupPanel()
        self.setup.live_changed.connect(self.apply_live)
        self.setup.preset_chosen.connect(self.apply_preset)
        self.setup.refused.connect(self.show_error)
        self.setup.model.open_requested.connect(self.open_word_list)
        self.setup.model.builtin_requested.connect(lambda: self.use_dataset("builtin"))
        self.samples = SamplesPanel()
        self.samples.sample_requested.connect(self.sample)
        self.samples.refused.connect(self.show_error)
        self.evaluation = EvaluatePanel()
        self.evaluation.evaluate_requested.connect(self.evaluate)
        right = QWidget()
        layout = QVBoxLayout(right)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.samples, 1)
        layout.addWidget(self.evaluation)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(_scrolling(self.setup))
        self.splitter.addWidget(self.centre)
        self.splitter.addWidget(_scrolling(right))
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([250, 750, 280])
        self.setCentralWidget(self.splitter)

    def _build_actions(self) -> None:
        def action(text, shortcut, tip, slot):
            a = QAction(text, self)
            if shortcut:
                a.setShortcut(QKeySequence(shortcut))
            a.setToolTip(f"{tip} ({QKeySequence(shortcut).toString()})" if shortcut else tip)
            a.setStatusTip(tip)
            a.triggered.connect(slot)
            self.addAction(a)
            return a

        self.start_action = action("Start", "Space", "Start or pause training", self.toggle_training)
        self.step_action = action("Step", "S", "Take one training step", lambda: self.step(1))
        self.step100_action = action("Step ×100", "Shift+S", "Take 100 training steps", lambda: self.step(100))
        self.reset_action = action("Reset", "Ctrl+R", "Build a new model from the Model and Initialisation "
                                   "settings and start again", lambda: self.reset())
        self.evaluate_action = action("Evaluate", "Ctrl+E", "Loss of the current weights on train, val and test",
                                      self.evaluate)
        self.sample_action = action("Sample", "Ctrl+G", "Draw names from the current weights",
                                    self.samples.request)
        self.open_action = action("Open word list…", "Ctrl+O", "Train on a word list, one name per line",
                                  self.open_word_list)
        self.builtin_action = action("Use built-in names", "", "Train on the built-in US baby names of 2017",
                                     lambda: self.use_dataset("builtin"))
        quit_action = self.quit_action = action("Quit", "Ctrl+Q", "Close the window", self.close)

        toolbar = self.addToolBar("Training")
        toolbar.setObjectName("training-toolbar")
        toolbar.setMovable(False)
        for a in (self.start_action, self.step_action, self.step100_action, self.reset_action, None,
                  self.evaluate_action, self.sample_action):
            toolbar.addSeparator() if a is None else toolbar.addAction(a)
        menu = self.menuBar()
        file_menu = self.file_menu = menu.addMenu("&File")
        file_menu.addActions([self.open_action, self.builtin_action])
        file_menu.addSeparator()
        file_menu.addAction(quit_action)
        train_menu = self.train_menu = menu.addMenu("&Training")
        train_menu.addActions([self.start_action, self.step_action, self.step100_action, self.reset_action,
                               self.evaluate_action, self.sample_action])

    # -- commands --------------------------------------------------------------------------
    def toggle_training(self) -> None:
        if self.running:
            self.pause()
        else:
            self.start()

    def start(self) -> None:
        self.setup.training.flush()  # an edit still settling applies before the first step
        self._expect_running(True)
        self.session.start(on_result=self._toggle_done, on_error=self._start_failed)

    def pause(self) -> None:
        self._expect_running(False)
        self.session.pause(on_result=self._toggle_done)

    def _expect_running(self, running: bool) -> None:
        # Until the worker has answered, statuses it published earlier must not undo this.
        self._toggles_in_flight += 1
        self.running = running
        self._show_running()

    def _toggle_done(self, _=None) -> None:
        self._toggles_in_flight -= 1

    def _start_failed(self, message: str) -> None:
        self._toggle_done()
        self.running = False
        self._show_running()
        self.show_error(message)

    def step(self, n: int) -> None:
        self.setup.training.flush()
        self.session.step(n)

    def reset(self, cfg: Config | None = None, first: bool = False) -> None:
        """Build a new model from the panels (or cfg); on failure the current one stays."""
        cfg = cfg or self.setup.config()
        self._expect_running(False)   # a new model starts paused
        self._loading.append(dataset_name(cfg.data))
        self._live_in_flight += 1
        self.status_bar.showMessage(f"Loading {dataset_name(cfg.data)} and building the model…")
        self.session.reset(cfg, on_result=self._reset_done, on_error=lambda e: self._reset_failed(e, cfg, first))

    def _reset_done(self, _info: RunInfo) -> None:
        # the new run's summary (shown by _start_run) replaces the loading message
        self._toggle_done()
        self._loading.pop(0)
        self._live_in_flight -= 1

    def _reset_failed(self, message: str, cfg: Config, first: bool) -> None:
        self._toggle_done()
        self._loading.pop(0)
        self._live_in_flight -= 1
        self.status_bar.clearMessage()
        self.show_error(message)
        if self.run_info is not None:
            if not self._loading:   # else a later Reset decides which dataset the panel shows
                self.setup.model.set_data(self.run_info.cfg.data)  # keep showing the dataset in use
            self.setup.set_applied(self.run_info.cfg)
        elif first and cfg.data != "builtin":
            self._notice = f"{message} The built-in names were opened instead."
            self.setup.model.set_data("builtin")
            self.reset(first=False)

    def apply_preset(self, name: str) -> None:
        self.reset(self.setup.apply_preset(name))

    def apply_live(self, changes: dict) -> None:
        if self.run_info is None:
            return  # no model yet: the values go in with the next Reset
        self._live_in_flight += 1
        self.session.set_live(changes, on_result=self._live_done, on_error=self._live_failed)

    def _live_done(self, _=None) -> None:
        self._live_in_flight -= 1

    def _live_failed(self, message: str) -> None:
        self._live_in_flight -= 1
        self.show_error(message)   # the fields go back to the run's values with the next frame

    def _show_live_in_use(self) -> None:
        """The training fields show the live settings the trainer uses, whenever no change of
        them is on its way: after a refused change or a failed Reset (a preset sets them
        first) they go back to the run's. Called once the frame's status is in: replies come
        before it, and a status is published before the reply of the command that caused it."""
        training = self.setup.training
        if self.status is None or self._live_in_flight or training.editing():
            return
        if training.values() != {k: getattr(self.status.cfg, k) for k in training.fields}:
            training.set_values(self.status.cfg)

    def open_word_list(self) -> None:
        start = self.settings.value("data/last_folder", str(Path.home()))
        path, _ = QFileDialog.getOpenFileName(self, "Open word list", start, "Word lists (*.txt);;All files (*)")
        if path:
            self.settings.setValue("data/last_folder", str(Path(path).parent))
            self.use_dataset(path)

    def use_dataset(self, source: str) -> None:
        self.setup.model.set_data(source)
        self.reset()

    def sample(self, n: int, temperature: float, seed) -> None:
        # the run that drew them comes back too, as for Evaluate: names drawn by the new model
        # (Reset, then Sample) stay when its run is drawn; the previous run's are cleared with it
        def draw(w):
            t = w.require_trainer()
            return sample_names(t.model, t.dataset.vocab, n, seed=seed, temperature=temperature), w.run_id
        self.session.command(draw, on_result=lambda r: self.samples.show_samples(*r), on_error=self.show_error)

    def evaluate(self) -> None:
        self.evaluation.show_busy()
        # the run it measured comes back too: a result that arrives just after a Reset was
        # for the new model (Reset, then Evaluate), and clearing the panel must not hide it
        self.session.evaluate(on_result=lambda r: self.evaluation.show_losses(*r),
                              on_error=self._evaluate_failed)

    def _evaluate_failed(self, message: str) -> None:
        self.evaluation.show_failed()
        self.show_error(message)

    def show_error(self, message: str) -> None:
        self.message_bar.show_message(message, "error")
        self.status_bar.showMessage(message.split(". ")[0], 10_000)

    # -- drawing ---------------------------------------------------------------------------
    def draw_frame(self) -> None:
        """Take what the worker published and draw it: one frame, however many steps."""
        frame = self.session.poll()
        if frame is None:
            return
        if frame.run is not None:
            self._start_run(frame.run)
        if frame.progress is not None and self._loading:
            fraction, what = frame.progress
            self.status_bar.showMessage(f"Loading {self._loading[-1]}: {what}… {100 * fraction:.0f} %")
        if frame.rewind is not None:
            self.loss_plot.rewind(frame.rewind)
            if self.snapshot is not None and self.snapshot.step >= len(frame.rewind):
                self._clear_snapshot()   # it showed a step taken back, and none is left before it
        self.loss_plot.append(frame.losses)
        for step, text in frame.events:
            self.loss_plot.add_event(step, text)
        drew = self.loss_plot.redraw()
        if frame.snapshot is not None:
            self._draw_snapshot(frame.snapshot)
            drew = True
        if frame.status is not None:
            self._show_status(frame.status)
        self._show_live_in_use()
        if frame.divergence is not None:
            self._diverged(frame.divergence)
        if drew:
            self.frames_drawn += 1
            self.frame_drawn.emit()
        self.frame_taken.emit(frame)

    def _start_run(self, info: RunInfo) -> None:
        self.run_info = info
        self.loss_plot.clear_run()
        self._clear_snapshot()
        self.evaluation.clear(keep_run=info.run_id)
        self.samples.clear(keep_run=info.run_id)
        if not self._loading:   # no later Reset on its way: show the dataset now in use
            self.setup.model.set_data(info.cfg.data)
        self.setup.set_applied(info.cfg)
        save_config(self.settings, self.setup.config())  # the dataset that worked is remembered at once
        if self._notice:
            self.message_bar.show_message(self._notice)
            self._notice = None
        else:
            self.message_bar.hide()
        self.setWindowTitle(f"makemore playground — {dataset_name(info.source)}")
        self.status_bar.showMessage(f"{info.n_words:,} words, {len(info.vocab)} characters, "
                                    f"{info.n_train:,} training examples, {info.n_parameters:,} parameters",
                                    8000)
        self.run_started.emit(info)

    def _clear_snapshot(self) -> None:
        self.snapshot = None
        for plot in (self.hpreact_plot, self.h_plot, self.saturation_plot):
            plot.clear_run()

    def _draw_snapshot(self, s: Snapshot) -> None:
        self.snapshot = s
        self.hpreact_plot.set_histogram(s.hpreact_hist, s.hpreact_edges)
        self.h_plot.set_histogram(s.h_hist, s.h_edges)
        self.saturation_plot.set_mask(s.saturation_mask)
        if self._text_due("notes"):
            self.h_plot.set_note(f"saturated (|h| > {SATURATION_THRESHOLD}): {100 * s.saturated_fraction:.1f} %")
            self.saturation_plot.set_dead(s.dead_neurons, s.saturation_mask.shape[1])

    def _show_status(self, s: Status) -> None:
        self.status = s
        self.loss_plot.set_max_steps(s.cfg.max_steps)
        if self._toggles_in_flight == 0 and self.running != s.running:
            self.running = s.running
            self._show_running()
        if self._text_due("status"):
            self.status_bar.show_status(s)

    def _text_due(self, what: str) -> bool:
        """Text is dear to lay out and nobody reads it 30 times a second: while training
        runs, refresh it a few times a second; otherwise at once."""
        now = time.perf_counter()
        if not self.running or now - self._text_shown_at.get(what, 0.0) >= TEXT_INTERVAL_S:
            self._text_shown_at[what] = now
            return True
        return False

    def _show_running(self) -> None:
        self.start_action.setText("Pause" if self.running else "Start")

    def _diverged(self, message: str) -> None:
        self.running = False
        self._show_running()
        self.message_bar.show_message(message, "error")
        s = self.status
        if s is not None and s.diverged_at is not None:
            back = (f"the weights are back at step {s.step:,}" if s.step < s.diverged_at
                    else "the weights are unchanged")
            self.status_bar.showMessage(f"Training diverged at step {s.diverged_at:,} and was paused; {back}. "
                                        "The message above says why.")
        else:
            self.status_bar.showMessage("Training diverged and was paused; the message above says why.")

    # -- settings and closing --------------------------------------------------------------
    def _restore(self, config: Config | None) -> None:
        s = self.settings
        self.setup.set_config(config or load_config(s))
        if geometry := s.value("window/geometry"):
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)
        if splitter := s.value("window/splitter"):
            self.splitter.restoreState(splitter)
        self.samples.count.setValue(int(s.value("samples/count", 20)))
        self.samples.temperature.setValue(float(s.value("samples/temperature", 1.0)))
        self.samples.seed.setValue(int(s.value("samples/seed", self.samples.seed.value())))
        self.samples.random.setChecked(s.value("samples/random", "false") in (True, "true"))

    def save_settings(self) -> None:
        s = self.settings
        save_config(s, self.setup.config())
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/splitter", self.splitter.saveState())
        s.setValue("samples/count", self.samples.count.value())
        s.setValue("samples/temperature", self.samples.temperature.value())
        s.setValue("samples/seed", self.samples.seed.int_value())
        s.setValue("samples/random", self.samples.random.isChecked())
        s.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._closing:
            self._closing = True
            self.timer.stop()
            self.save_settings()
        if self.session.is_stopped or self.session.shutdown(wait_ms=3000):
            event.accept()
            return
        # Still inside a long command (loading a dataset, evaluating): close when it ends.
        event.ignore()
        self.hide()
        self.session.stopped.connect(self.close, Qt.ConnectionType.UniqueConnection)


def _scrolling(widget: QWidget) -> QScrollArea:
    area = QScrollArea()
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return area
