"""LossLogController: the notebook's loss-log experiment (core.runs.loss_log.loss_log_stages)
on superqt's GeneratorWorker, its progress in the status bar, its runs in the runs table.
It trains on the run's own words, asked of the training worker (never the file again: it
may have changed or gone since the run loaded it).

The generator runs on a pool thread; what it yields reaches `_on_yielded` on this thread
(a Slot of a QObject living here: PySide6 runs other callables in the sender's thread),
so every run record is only ever changed here. `quit()` cancels between two chunks.
"""
from __future__ import annotations

import sys
import threading
import traceback
from collections.abc import Callable
from typing import NamedTuple

import torch
from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget
from superqt.utils import GeneratorWorker

from core.config import Config
from core.presets import PRESETS
from core.runs.loss_log import loss_log_stages
from core.runs.recorder import dataset_identity
from gui.bridge import commands
from gui.bridge.run_state import RunState
from gui.bridge.session import TrainingSession
from gui.report import USER_ERRORS, Report
from gui.workbench.runs_controller import RunsController

JOB_CLOSE_WAIT_S = 5.0


class Words(NamedTuple):
    """What core.runs.recorder.dataset_identity reads of a dataset."""
    words: list[str]
    source: str


def _stages(base: Config, words: list[str], max_steps: int | None):
    torch.set_num_threads(1)   # one thread each for this, the training worker and the window
    yield from loss_log_stages(base, words, max_steps)


class LossLogWorker(GeneratorWorker):
    """The experiment's GeneratorWorker, which a closing window can wait for."""

    def __init__(self, base: Config, words: list[str], max_steps: int | None = None):
        super().__init__(_stages, base, words, max_steps)
        self.ended = threading.Event()

    def work(self):
        try:
            return super().work()
        finally:
            self._gen.close()       # a cancelled experiment lets go of its trainer at once
            self.ended.set()

    def isFinished(self) -> bool:
        return self.ended.is_set()

    @property
    def cancelled(self) -> bool:
        return self.abort_requested

    def wait(self, timeout_s: float) -> bool:
        return self.ended.wait(timeout_s)


class LossLogController(QObject):
    finished = Signal(bool)     # True when all four stages ran to the end

    def __init__(self, session: TrainingSession, run: RunState, runs: RunsController, report: Report,
                 runs_tab_shown: Callable[[], bool], parent: QObject | None = None):
        super().__init__(parent)
        self.session, self.run, self.runs, self.report = session, run, runs, report
        self.runs_tab_shown = runs_tab_shown
        self.job: LossLogWorker | None = None
        self._asked: tuple[Config, int | None] | None = None   # started, the run's words on their way
        self._record_ids: list[int] = []          # the stages' run records, in order
        self._dataset: dict = {}                  # the words' identity, for the run store
        self._error: str | None = None
        self.action = None         # set by the workbench: its text says Cancel while the job runs
        self._build_progress()

    def _build_progress(self) -> None:
        self.progress = QWidget()
        layout = QHBoxLayout(self.progress)
        layout.setContentsMargins(0, 0, 0, 0)
        self.progress_label = QLabel()
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setMaximumWidth(120)
        self.progress_bar.setTextVisible(False)
        cancel = QToolButton()
        cancel.setText("Cancel")
        cancel.setToolTip("Stop the loss-log experiment; the stages done so far stay in the runs table.")
        cancel.clicked.connect(self.cancel)
        for widget in (self.progress_label, self.progress_bar):
            widget.setToolTip("The loss-log experiment, training in the background: stage, and steps of that stage.")
            layout.addWidget(widget)
        layout.addWidget(cancel)
        self.progress.hide()

    @property
    def running(self) -> bool:
        return self.job is not None or self._asked is not None

    def toggle(self) -> None:
        self.cancel() if self.running else self.start()

    def start(self, max_steps: int | None = None) -> None:
        """Train the four stages on the current run's data, sizes and seed, in the background.
        `max_steps` shortens every stage (the decay moves to its middle), for quick checks."""
        if self.running:
            return
        info = self.run.info
        if info is None:
            self.report.error("There is no model yet: press Reset first.")
            return
        self._record_ids, self._error = [], None
        self.action.setText("Cancel loss-log experiment")
        self.progress_label.setText("Loss log: loading…")
        self.progress_bar.setValue(0)
        self.progress.show()
        self._asked = (info.cfg, max_steps)
        self.session.command(commands.RunWords(), on_result=self._on_words, on_error=self._on_words_failed)

    def _on_words(self, words: list[str]) -> None:
        if self._asked is None:
            return                  # cancelled before they came
        (base, max_steps), self._asked = self._asked, None
        self._dataset = dataset_identity(Words(words, base.data))
        self.job = LossLogWorker(base, words, max_steps)
        self.job.yielded.connect(self._on_yielded)
        self.job.errored.connect(self._on_errored)
        self.job.finished.connect(self._on_finished)
        self.job.start()

    def _on_words_failed(self, message: str) -> None:
        if self._asked is not None:
            self._asked, self._error = None, message
            self.report.error(message)
            self._done(cancelled=False)

    def cancel(self) -> None:
        if self._asked is not None:
            self._asked = None
            self._done(cancelled=True)
        elif self.job is not None:
            self.job.quit()
            self.progress_label.setText("Loss log: cancelling…")

    @Slot(object)
    def _on_yielded(self, event: tuple) -> None:
        kind, model = event[0], self.runs.runs_model
        if kind == "start":
            history = model.add(event[1], event[2])
            history.record.kind, history.record.status = "loss-log", "running"
            self._record_ids.append(history.run_id)
            self.runs.store.begin(history.record, self._dataset, event[1].engine, event[1].device)
            return
        if kind == "progress":
            _, stage, done, total = event
            i = list(PRESETS).index(stage)
            self.progress_bar.setValue(int(1000 * (i * total + done) / (len(PRESETS) * total)))
            self.progress_label.setText(f"Loss log {i + 1}/{len(PRESETS)}: {stage}, {done:,} / {total:,} steps")
            return
        history = self.runs.histories.get(self._record_ids[-1])
        if history is None:
            return                  # deleted meanwhile
        stored, recorder = self.runs.store.handle(history.record), self.runs.store.recorder
        if kind == "losses":
            history.add_losses(event[1])
            if stored is not None:
                recorder.add_losses(stored, history.record.steps - len(event[1]), event[1])
        else:
            step = history.record.steps
            history.set_split_losses(event[1], event[2], at_step=step)
            history.record.status = "finished"
            if stored is not None:
                recorder.split_loss(stored, "train", event[1], step)
                recorder.split_loss(stored, "val", event[2], step)
                recorder.status(stored, "finished", step)
                recorder.finish(stored)
        self.runs.store.sync_number(history.record)
        model.refresh(history.run_id)
        if history.run_id in self.runs.runs_tab.overlaid and self.runs_tab_shown():
            self.runs.runs_tab.redraw_overlay()

    @Slot(object)
    def _on_errored(self, e: Exception) -> None:
        if isinstance(e, USER_ERRORS):
            self._error = str(e)
        else:   # a bug: say what happened rather than die silently
            traceback.print_exception(e, file=sys.stderr)
            self._error = f"Unexpected error in the loss-log experiment ({type(e).__name__}): {e}"
        self.report.error(self._error)

    @Slot()
    def _on_finished(self) -> None:
        if self.job is not None:
            self._done(cancelled=self.job.abort_requested)

    def _done(self, cancelled: bool) -> None:
        self.job = None
        self.progress.hide()
        self.action.setText("Loss-log experiment")
        histories = self.runs.histories
        runs = [histories[r] for r in self._record_ids if r in histories]
        for h in runs:                   # a cancelled stage stops where it was
            stored = self.runs.store.handle(h.record)
            if h.record.status == "running" and stored is not None:
                h.record.status = "paused"
                self.runs.store.recorder.status(stored, "paused", h.record.steps)
                self.runs.store.recorder.finish(stored)
        complete = (not cancelled and self._error is None and len(runs) == len(PRESETS)
                    and all(h.record.val_loss is not None for h in runs))
        if complete:
            self.runs.runs_tab.select([h.run_id for h in runs])
            table = ", ".join(f"{h.record.name.removeprefix('loss log: ')} {h.record.val_loss:.4f}" for h in runs)
            self.report.info(f"Loss-log experiment done; val loss: {table}. "
                             "The Runs tab (Ctrl+7) overlays their curves.")
        elif cancelled:
            self.report.status("Loss-log experiment cancelled; finished stages stay in the table.", 8000)
        self.finished.emit(complete)

    def close(self, then: Callable[[], object]) -> bool:
        """Cancel the job for a closing window; False (and `then` once it has ended) if it is
        still inside a long piece of work after a few seconds."""
        job = self.job
        if job is not None and not job.isFinished():
            job.quit()
            if not job.wait(JOB_CLOSE_WAIT_S):
                job.finished.connect(then)
                return False
        return True
