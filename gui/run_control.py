"""RunControl: what the window's buttons, shortcuts and side panels ask of the training run,
as commands (gui.bridge.commands) and the start/pause flag, and how the panels and the status bar
follow the run state in return. It is handed what it uses, never the window."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtWidgets import QFileDialog, QWidget
from superqt.utils import qthrottled

from core.config import Config
from gui.bridge import commands
from gui.bridge.mailbox import RunInfo, Status
from gui.bridge.run_state import RunState
from gui.bridge.session import TrainingSession
from gui.message_bar import MessageBar
from gui.panels import EvaluatePanel, SamplesPanel, SetupPanel
from gui.panels.model_panel import dataset_name
from gui.report import Report
from gui.settings import save_config
from gui.status_bar import TrainingStatusBar

STATUS_INTERVAL_MS = 200   # the status bar's numbers change at most this often while running


class RunControl(QObject):
    evaluated = Signal(object, object, object)   # the Evaluate panel's losses: (step, {split: loss}, worker run id)
    sampled = Signal(object, object)     # the names drawn: ([Sample], worker run id)

    def __init__(self, session: TrainingSession, run: RunState, setup: SetupPanel, samples: SamplesPanel,
                 evaluation: EvaluatePanel, status_bar: TrainingStatusBar, message_bar: MessageBar,
                 settings: QSettings, dialog_parent: QWidget, report: Report):
        super().__init__(dialog_parent)
        self.session, self.run = session, run
        self.setup, self.samples, self.evaluation = setup, samples, evaluation
        self.status_bar, self.message_bar = status_bar, message_bar
        self.settings, self.dialog_parent, self.report = settings, dialog_parent, report
        self.notice: str | None = None    # shown once the next run has started
        self._show_status_text = qthrottled(status_bar.show_status, STATUS_INTERVAL_MS, parent=self)

        setup.training.live_changed.connect(self.apply_live)
        setup.preset_chosen.connect(self.apply_preset)
        setup.model.open_requested.connect(self.open_word_list)
        setup.model.builtin_requested.connect(lambda: self.use_dataset("builtin"))
        samples.sample_requested.connect(self.sample)
        evaluation.evaluate_requested.connect(self.evaluate)
        run.run_started.connect(self._on_run_started)
        run.loading.connect(self._on_loading)
        run.status_changed.connect(self._on_status_changed)
        run.diverged.connect(self._on_diverged)
        run.frame_taken.connect(lambda _: self._show_live_in_use())

    # -- start, pause, step ----------------------------------------------------------------
    def toggle_training(self) -> None:
        self.pause() if self.session.running else self.start()

    def start(self) -> None:
        self.setup.training.flush()  # an edit still settling applies before the first step
        self.session.start()
        self.run.set_running(True)

    def pause(self) -> None:
        self.session.pause()
        self.run.set_running(False)

    def step(self, n: int) -> None:
        self.setup.training.flush()
        self.session.command(commands.Step(n))

    def follow_layer(self, layer: int) -> None:
        """The Live plots follow hidden layer `layer` from the next snapshot (the step shown is
        measured again, so a paused run switches at once)."""
        self.session.command(commands.FollowLayer(layer), on_error=self.report.error)

    # -- a new model -----------------------------------------------------------------------
    def reset(self, cfg: Config | None = None, first: bool = False) -> None:
        """Build a new model from the panels (or cfg); on failure the current one stays."""
        cfg = cfg or self.setup.config()
        self.pause()   # a new model starts paused
        self.status_bar.showMessage(f"Loading {dataset_name(cfg.data)} and building the model…")
        self.session.command(commands.Reset(cfg), on_error=lambda e: self._reset_failed(e, cfg, first))

    def _reset_failed(self, message: str, cfg: Config, first: bool) -> None:
        self.report.clear_status()
        self.report.error(message)
        info = self.run.info
        if info is not None:
            if not self.session.waiting_for(commands.Reset):   # else a later Reset decides the dataset shown
                self.setup.model.set_data(info.cfg.data)       # keep showing the dataset in use
            self.setup.set_applied(info.cfg)
        elif first and cfg.data != "builtin":
            self.notice = f"{message} The built-in names were opened instead."
            self.setup.model.set_data("builtin")
            self.reset(first=False)

    def apply_preset(self, name: str) -> None:
        self.reset(self.setup.apply_preset(name))

    def open_word_list(self) -> None:
        start = self.settings.value("data/last_folder", str(Path.home()))
        path, _ = QFileDialog.getOpenFileName(self.dialog_parent, "Open word list", start,
                                              "Word lists (*.txt);;All files (*)")
        if path:
            self.settings.setValue("data/last_folder", str(Path(path).parent))
            self.use_dataset(path)

    def use_dataset(self, source: str) -> None:
        self.setup.model.set_data(source)
        self.reset()

    # -- live settings ---------------------------------------------------------------------
    def apply_live(self, changes: dict) -> None:
        if self.run.info is None:
            return  # no model yet: the values go in with the next Reset
        # a refused change is undone by _show_live_in_use: the fields go back to the run's values
        self.session.command(commands.SetLive(dict(changes)), on_error=self.report.error)

    def _show_live_in_use(self) -> None:
        """The training fields show the live settings the trainer uses whenever the status is
        as of the last command sent and no edit is on its way: after a refused change or a
        failed Reset (a preset sets them first) they go back to the run's."""
        training, s = self.setup.training, self.run.status
        if s is None or s.applied < self.session.sent or training.editing():
            return
        if training.values() != {k: getattr(s.cfg, k) for k in training.fields}:
            training.set_values(s.cfg)

    # -- questions between two steps -------------------------------------------------------
    def sample(self, n: int, temperature: float, seed) -> None:
        # the run that drew them comes back too, as for Evaluate: names drawn by the new model
        # (Reset, then Sample) stay when its run is drawn; the previous run's are cleared with it
        self.session.command(commands.Sample(n, temperature, seed),
                             on_result=self._on_sampled, on_error=self.report.error)

    def _on_sampled(self, result) -> None:
        self.samples.show_samples(*result)
        self.sampled.emit(*result)

    def evaluate(self) -> None:
        self.evaluation.show_busy()
        # the run it measured comes back too: a result that arrives just after a Reset was
        # for the new model (Reset, then Evaluate), and clearing the panel must not hide it
        self.session.command(commands.Evaluate(), on_result=self._on_evaluated, on_error=self._evaluate_failed)

    def _on_evaluated(self, result) -> None:
        self.evaluation.show_losses(*result)
        self.evaluated.emit(*result)

    def _evaluate_failed(self, message: str) -> None:
        self.evaluation.show_failed()
        self.report.error(message)

    # -- following the run -----------------------------------------------------------------
    def _on_run_started(self, info: RunInfo) -> None:
        self.evaluation.clear(keep_run=info.run_id)
        self.samples.clear(keep_run=info.run_id)
        if not self.session.waiting_for(commands.Reset):   # no later Reset on its way: show the dataset in use
            self.setup.model.set_data(info.cfg.data)
        self.setup.set_applied(info.cfg)
        save_config(self.settings, self.setup.config())   # the dataset that worked is remembered at once
        if self.notice:
            self.message_bar.show_message(self.notice)
            self.notice = None
        else:
            self.message_bar.hide()
        self.status_bar.showMessage(f"{info.n_words:,} words, {len(info.vocab)} characters, "
                                    f"{info.n_train:,} training examples, {info.n_parameters:,} parameters",
                                    8000)

    def _on_loading(self, fraction: float, what: str) -> None:
        loading = self.session.waiting_for(commands.Reset)
        if loading:
            self.status_bar.showMessage(f"Loading {dataset_name(loading[-1].cfg.data)}: {what}… "
                                        f"{100 * fraction:.0f} %")

    def _on_status_changed(self, s: Status) -> None:
        self._show_status_text(s)
        if not s.running:
            self._show_status_text.flush()

    def _on_diverged(self, message: str) -> None:
        self.message_bar.show_message(message, "error")
        s = self.run.status
        if s is not None and s.diverged_at is not None:
            back = (f"the weights are back at step {s.step:,}" if s.step < s.diverged_at
                    else "the weights are unchanged")
            self.status_bar.showMessage(f"Training diverged at step {s.diverged_at:,} and was paused; {back}. "
                                        "The message above says why.")
        else:
            self.status_bar.showMessage("Training diverged and was paused; the message above says why.")
