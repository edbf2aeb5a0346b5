"""LossLogController: the notebook's loss-log experiment in the background (LossLogJob), its
progress in the status bar, its runs in the runs table."""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget

from core.presets import PRESETS

from ..run_state import RunState
from .loss_log_job import LossLogJob
from .report import Report
from .runs_controller import RunsController

JOB_POLL_MS = 100
JOB_CLOSE_WAIT_MS = 5000


class LossLogController(QObject):
    finished = Signal(bool)     # True when all four stages ran to the end

    def __init__(self, run: RunState, runs: RunsController, report: Report,
                 runs_tab_shown: Callable[[], bool], parent: QObject | None = None):
        super().__init__(parent)
        self.run, self.runs, self.report, self.runs_tab_shown = run, runs, report, runs_tab_shown
        self.job: LossLogJob | None = None
        self._record_ids: dict[int, int] = {}     # the job's keys -> run record ids
        self._error: str | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(JOB_POLL_MS)
        self.timer.timeout.connect(self._poll)
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
        return self.job is not None

    def toggle(self) -> None:
        self.cancel() if self.running else self.start()

    def start(self, max_steps: int | None = None) -> None:
        """Train the four stages on the current run's data, sizes and seed, in the background.
        `max_steps` shortens every stage (the decay moves to its middle), for quick checks."""
        if self.job is not None:
            return
        info = self.run.info
        if info is None:
            self.report.error("There is no model yet: press Reset first.")
            return
        self.job = LossLogJob(info.cfg, max_steps, parent=self)
        self._record_ids, self._error = {}, None
        self.action.setText("Cancel loss-log experiment")
        self.progress_label.setText("Loss log: loading…")
        self.progress_bar.setValue(0)
        self.progress.show()
        self.job.start()
        self.timer.start()

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.progress_label.setText("Loss log: cancelling…")

    def _poll(self) -> None:
        job = self.job
        if job is None:
            self.timer.stop()
            return
        finished = None
        touched = set()
        model, histories = self.runs.runs_model, self.runs.histories
        for event in job.take():
            kind = event[0]
            if kind == "start":
                _, key, cfg, name = event
                self._record_ids[key] = model.add(cfg, name).run_id
            elif kind in ("losses", "split"):
                history = histories.get(self._record_ids.get(event[1]))
                if history is None:
                    continue            # deleted meanwhile
                if kind == "losses":
                    history.add_losses(event[2])
                else:
                    history.set_split_losses(event[2], event[3], at_step=history.record.steps)
                touched.add(history.run_id)
            elif kind == "progress":
                _, stage, done, total = event
                i = list(PRESETS).index(stage)
                self.progress_bar.setValue(int(1000 * (i * total + done) / (len(PRESETS) * total)))
                self.progress_label.setText(f"Loss log {i + 1}/{len(PRESETS)}: {stage}, "
                                            f"{done:,} / {total:,} steps")
            elif kind == "error":
                self._error = event[1]
                self.report.error(event[1])
            elif kind == "finished":
                finished = event[1]
        for record_id in touched:
            model.refresh(record_id)
        if any(r in self.runs.runs_tab.overlaid for r in touched) and self.runs_tab_shown():
            self.runs.runs_tab.redraw_overlay()
        if finished is not None:
            self._done(cancelled=finished)

    def _done(self, cancelled: bool) -> None:
        self.job.wait()
        self.job = None
        self.timer.stop()
        self.progress.hide()
        self.action.setText("Loss-log experiment")
        histories = self.runs.histories
        runs = [histories[r] for r in self._record_ids.values() if r in histories]
        complete = (not cancelled and self._error is None and len(runs) == len(PRESETS)
                    and all(h.record.val_loss is not None for h in runs))
        if complete:
            self.runs.runs_tab.select([h.run_id for h in runs])
            table = ", ".join(f"{h.record.name.removeprefix('loss log: ')} {h.record.val_loss:.4f}" for h in runs)
            self.report.info(f"Loss-log experiment done; val loss: {table}. "
                             "The Runs tab (Ctrl+6) overlays their curves.")
        elif cancelled:
            self.report.status("Loss-log experiment cancelled; finished stages stay in the table.", 8000)
        self.finished.emit(complete)

    def close(self, then: Callable[[], object]) -> bool:
        """Cancel the job for a closing window; False (and `then` once it has ended) if it is
        still inside a long piece of work after a few seconds."""
        if self.job is not None and not self.job.isFinished():
            self.job.cancel()
            if not self.job.wait(JOB_CLOSE_WAIT_MS):
                self.job.finished.connect(then, Qt.ConnectionType.UniqueConnection)
                return False
        self.timer.stop()
        return True
