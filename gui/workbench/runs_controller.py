"""RunsController: every run of the session in the runs table, the one training now followed
from the run state; its train/val losses measured whenever it stops; BatchNorm calibration."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from superqt.utils import qthrottled

from core.diagnostics.calibration import Calibration
from core.diagnostics.stats import Snapshot
from core.presets import experiment_of
from core.runs.records import RunLog
from core.runs.run_history import RunHistory, stage_of
from gui.bridge import commands
from gui.bridge.mailbox import RunInfo, Status
from gui.bridge.run_state import RunState
from gui.bridge.session import TrainingSession
from gui.report import Report
from gui.workbench.export import ExportError
from gui.workbench.runs import RunsModel, RunsTab
from gui.workbench.smoothing import SmoothingBar

ROW_INTERVAL_MS = 500          # the training run's row in the runs table, while it trains
OVERLAY_INTERVAL_MS = 1000     # the overlay, while a selected run is still training


class RunsController(QObject):
    current_changed = Signal(object)     # RunHistory of the run now in the window
    runs_changed = Signal()              # runs were deleted or renamed
    evaluated = Signal(int)              # a run's train/val losses were measured (its record's id)
    calibrated = Signal(object)          # core.diagnostics.calibration.Calibration

    def __init__(self, session: TrainingSession, run: RunState, smoothing: SmoothingBar, report: Report,
                 runs_tab_shown: Callable[[], bool], parent: QObject | None = None):
        super().__init__(parent)
        self.session, self.run, self.smoothing, self.report = session, run, smoothing, report
        self.runs_tab_shown = runs_tab_shown
        self.run_log = RunLog()
        self.histories: dict[int, RunHistory] = {}     # record id -> what the window keeps of that run
        self.runs_model = RunsModel(self.run_log, self.histories, self)
        self.runs_tab = RunsTab(self.runs_model)
        self.runs_model.renamed.connect(lambda _: self.runs_changed.emit())
        self.current: RunHistory | None = None         # the record of the run now training
        self.current_run_id: int | None = None         # ... and the worker's id of that run
        self.origins: dict[int, str] = {}              # worker run id -> where a run about to start came from
        self._evaluated_step: int | None = None
        self._was_running = False
        self._refresh_row = qthrottled(self._refresh_row_now, ROW_INTERVAL_MS, parent=self)
        self._redraw_overlay = qthrottled(self._redraw_overlay_now, OVERLAY_INTERVAL_MS, parent=self)
        run.run_started.connect(self._on_run_started)
        run.rewound.connect(self._on_rewound)
        run.losses_added.connect(self._on_losses_added)
        run.snapshot_changed.connect(self._on_snapshot_changed)
        run.status_changed.connect(self._on_status_changed)
        run.frame_taken.connect(self._on_frame_taken)

    # -- following the run -------------------------------------------------------------------
    def _on_run_started(self, info: RunInfo) -> None:
        if self.current is not None and self.current.record.steps == 0:
            self.runs_model.delete([self.current.run_id])   # a Reset that never trained is no run
        history = self.runs_model.add(info.cfg, curve=self.run.losses)   # the run state feeds it
        named = stage_of(info.cfg) or experiment_of(info.cfg)
        extra = " · ".join(p for p in (named, self.origins.pop(info.run_id, "")) if p)
        if extra:
            history.record.name = f"{history.record.name} · {extra}"
        self.current, self.current_run_id = history, info.run_id
        self._evaluated_step, self._was_running = None, False
        self.smoothing.show_curve(history.smooth)
        self.current_changed.emit(history)

    def _on_rewound(self, _losses) -> None:
        if self.current is not None:
            self.current.losses_replaced()
            self.smoothing.redraw()

    def _on_losses_added(self, _losses) -> None:
        if self.current is not None:
            self.current.losses_added()
            self.smoothing.redraw()

    def _on_snapshot_changed(self, s: Snapshot | None) -> None:
        if s is not None and self.current is not None:
            self.current.add_snapshot(s)

    def _on_status_changed(self, s: Status) -> None:
        if s.run_id != self.current_run_id:
            return
        was_running, self._was_running = self._was_running, s.running
        stopped = not s.running and s.step > 0 and (s.done or was_running)
        if stopped and self._evaluated_step != s.step:
            self.evaluate_current()

    def _on_frame_taken(self, _frame) -> None:
        h = self.current
        if h is None:
            return
        self._refresh_row()
        if h.run_id in self.runs_tab.overlaid and self.runs_tab_shown():
            self._redraw_overlay()
        if not self.run.running:
            self._refresh_row.flush()

    def _refresh_row_now(self) -> None:
        if self.current is not None:
            self.runs_model.refresh(self.current.run_id)

    def _redraw_overlay_now(self) -> None:
        if self.runs_tab_shown():
            self.runs_tab.redraw_overlay()

    def evaluate_current(self) -> None:
        """Measure the current run's train and val loss (on the worker, between steps)."""
        h, run_id = self.current, self.current_run_id
        if h is None:
            return
        s = self.run.status
        self._evaluated_step = s.step if s is not None and s.run_id == run_id else None

        def done(result):
            measured_run, step, train, val = result
            if measured_run == run_id and h.run_id in self.histories:
                h.set_split_losses(train, val, at_step=step)
                self.runs_model.refresh(h.run_id)
                self.evaluated.emit(h.run_id)

        self.session.command(commands.SplitLosses(), on_result=done, on_error=self.report.error)

    # -- BatchNorm calibration ---------------------------------------------------------------
    def calibrate(self) -> None:
        info = self.run.info
        if info is None or not info.cfg.batchnorm:
            self.report.error("BatchNorm is off in this run: there are no statistics to calibrate.")
            return
        self.report.status("Calibrating BatchNorm over the whole training split…")
        self.session.command(commands.Calibrate(), on_result=self._on_calibrated, on_error=self.report.error)

    def _on_calibrated(self, c: Calibration) -> None:
        self.report.clear_status()
        better = "better" if c.val_after < c.val_before else "worse" if c.val_after > c.val_before else "the same"
        self.report.info(
            f"BatchNorm calibrated at step {c.step:,} over all {c.examples:,} training examples: "
            f"val loss {c.val_before:.4f} → {c.val_after:.4f} ({better}). The running mean moved by up to "
            f"{c.mean_change:.3g} and the std by up to {c.std_change:.3g}.")
        self.calibrated.emit(c)
        if self.current is not None and self.current.evaluated_at is not None:
            self.evaluate_current()     # the table's losses were for the old statistics

    # -- the table -----------------------------------------------------------------------------
    def delete_selected_runs(self) -> None:
        ids = self.runs_tab.selected_run_ids()
        if self.current is not None and self.current.run_id in ids:
            ids.remove(self.current.run_id)
            self.report.error("The run now in the window cannot be deleted; the others were. "
                              "Press Reset (Ctrl+R) to start a new run first.")
        self.runs_model.delete(ids)
        self.runs_changed.emit()
        self.runs_tab.redraw_overlay()

    def export_runs_csv(self, path) -> Path:
        return write_text(path, self.run_log.to_csv())

    def export_run_json(self, record_id: int, path) -> Path:
        record = self.run_log.get(record_id)
        if record is None:
            raise ExportError(f"There is no run {record_id}.")
        return write_text(path, record.to_json())


def write_text(path, text: str) -> Path:
    path = Path(path)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as e:
        raise ExportError(f"Cannot write {path}: {e.strerror or e}.") from None
    return path
