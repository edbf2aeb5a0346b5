"""MainWindow: setup on the left, live plots in the centre, samples on the right.

Training runs on the session's worker thread. This thread sends it commands and, on a
steady timer, takes the newest numbers it published into the run state (gui/bridge/run_state.py),
which the plots, panels, status bar and workbench follow.
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent
from PySide6.QtWidgets import (
    QLayout,
    QMainWindow,
    QMenu,
    QMenuBar,
    QScrollArea,
    QSplitter,
    QStatusBar,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from core.config import Config
from gui.actions import make_action
from gui.bridge.run_state import RunState
from gui.bridge.session import TrainingSession
from gui.live_view import LiveView
from gui.message_bar import MessageBar
from gui.panels import EvaluatePanel, SamplesPanel, SetupPanel
from gui.panels.model_panel import dataset_name
from gui.plots.style import configure_pyqtgraph
from gui.report import Report
from gui.run_control import RunControl
from gui.settings import load_config, open_settings, save_config
from gui.status_bar import TrainingStatusBar
from gui.workbench import Workbench
from gui.workbench.lecture_tools import LectureTools

FRAME_INTERVAL_MS = 40        # 25 frames a second, whatever the step rate (20-30 is smooth enough)


class MainWindow(QMainWindow):
    def __init__(self, config: Config | None = None, settings: QSettings | None = None):
        super().__init__()
        self.settings = settings if settings is not None else open_settings()
        self.run = RunState(self)
        configure_pyqtgraph()
        self._build_centre()
        self._build_sides()
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
        report = Report(self.show_error, lambda text: self.message_bar.show_message(text, "info"),
                        self.status_bar.showMessage, self.status_bar.clearMessage)
        self.control = RunControl(self.session, self.run, self.setup, self.samples, self.evaluation,
                                  self.status_bar, self.message_bar, self.settings, self, report)
        self.live.layer_chosen.connect(self.control.follow_layer)
        self.setup.refused.connect(self.show_error)
        self.samples.refused.connect(self.show_error)
        self.run.run_started.connect(lambda info: self.setWindowTitle(
            f"makemore playground — {dataset_name(info.source)}"))
        self.run.running_changed.connect(lambda running: self.start_action.setText("Pause" if running else "Start"))
        self._build_actions()

        self.timer = QTimer(self)
        self.timer.setInterval(FRAME_INTERVAL_MS)
        self.timer.timeout.connect(self.draw_frame)
        self.timer.start()
        # the tabs, menus and runs beyond the notebook (gui/workbench)
        self.workbench = Workbench(self.session, self.run, self.settings, self.tabs, self.live, self.chrome,
                                   report, self.setup, self.control.reset, self)
        # the Evaluate panel and the run's row show the same numbers, whichever measured them
        runs = self.workbench.runs
        self.control.evaluated.connect(runs.take_evaluation)
        self.control.sampled.connect(runs.take_samples)
        runs.measured.connect(self.evaluation.show_losses)
        self.tools = LectureTools(self.session, self.run, self.settings, self.tabs, self.chrome, self.setup,
                                  self.samples, self, self.workbench)   # gui/workbench/lecture_tools.py
        self.control.reset(first=True)

    # -- layout ----------------------------------------------------------------------------
    def _build_centre(self) -> None:
        self.live = LiveView(self.run)
        self.message_bar = MessageBar()
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.live, "Live")   # the first tab; the workbench adds the others
        self.centre = QWidget()
        layout = QVBoxLayout(self.centre)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.message_bar)
        layout.addWidget(self.tabs, 1)

    def _build_sides(self) -> None:
        self.setup = SetupPanel()
        self.samples = SamplesPanel()
        self.evaluation = EvaluatePanel()
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
        self.splitter.setSizes([265, 735, 280])   # the setup column fits beside its scroll bar
        self.setCentralWidget(self.splitter)

    def _build_actions(self) -> None:
        c = self.control
        A = lambda *args: make_action(self, *args)  # noqa: E731
        self.start_action = A("Start", "Space", "Start or pause training", c.toggle_training)
        self.step_action = A("Step", "S", "Take one training step", lambda: c.step(1))
        self.step100_action = A("Step ×100", "Shift+S", "Take 100 training steps", lambda: c.step(100))
        self.reset_action = A("Reset", "Ctrl+R", "Build a new model from the Model and Initialisation "
                              "settings and start again", c.reset)
        self.evaluate_action = A("Evaluate", "Ctrl+E", "Loss of the current weights on train, val and test",
                                 c.evaluate)
        self.sample_action = A("Sample", "Ctrl+G", "Draw names from the current weights", self.samples.request)
        self.open_action = A("Open word list…", "Ctrl+O", "Train on a word list, one name per line",
                             c.open_word_list)
        self.builtin_action = A("Use built-in names", "", "Train on the built-in US baby names of 2017",
                                lambda: c.use_dataset("builtin"))
        self.quit_action = A("Quit", "Ctrl+Q", "Close the window", self.close)

        toolbar = self.addToolBar("Training")
        toolbar.setObjectName("training-toolbar")
        toolbar.setMovable(False)
        for a in (self.start_action, self.step_action, self.step100_action, self.reset_action, None,
                  self.evaluate_action, self.sample_action):
            toolbar.addSeparator() if a is None else toolbar.addAction(a)
        menu = self.menuBar()
        self.file_menu = menu.addMenu("&File")
        self.file_menu.addActions([self.open_action, self.builtin_action])
        self.file_menu.addSeparator()
        self.file_menu.addAction(self.quit_action)
        self.train_menu = menu.addMenu("&Training")
        self.train_menu.addActions([self.start_action, self.step_action, self.step100_action, self.reset_action,
                                    self.evaluate_action, self.sample_action])
        self.chrome = WindowChrome(menu, self.file_menu, self.train_menu, self.quit_action, self.status_bar)

    # -- what the run control and the workbench ask of the window ---------------------------
    def show_error(self, message: str) -> None:
        self.message_bar.show_message(message, "error")
        self.status_bar.showMessage(message.split(". ")[0], 10_000)

    def draw_frame(self) -> None:
        """Take what the worker published into the run state: one frame, however many steps."""
        self.session.poll(lambda frame: self.run.take(frame, self.session.running))

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
        if self.timer.isActive():     # the first close; a later one only waits for the threads
            self.timer.stop()
            self.save_settings()
            self.tools.close()
        # Still inside a long piece of work (the loss-log job, loading a dataset, evaluating):
        # hide now and close when it ends.
        if not self.workbench.close(then=self.close):
            event.ignore()
            self.hide()
            return
        if self.session.is_stopped or self.session.shutdown(wait_ms=3000):
            self.workbench.runs.close_store()
            event.accept()
            return
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


@dataclass(frozen=True)
class WindowChrome:
    """What the workbench adds to: the menu bar, the File menu (before `quit_action`), the
    Training menu, and the status bar."""
    menu_bar: QMenuBar
    file_menu: QMenu
    train_menu: QMenu
    quit_action: QAction
    status_bar: QStatusBar
