"""RunsController: every run in the runs table (this session's, earlier sessions' from the run
store, the lectures' reference rows), the one training now followed from the run state and
recorded in the store; its losses measured whenever it stops (the Evaluate panel shows the
same numbers); BatchNorm calibration."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox
from superqt.utils import qthrottled

from core.diagnostics.calibration import Calibration
from core.diagnostics.stats import Snapshot
from core.runs.naming import run_name
from core.runs.records import RunLog, RunRecord
from core.runs.run_history import RunHistory
from gui.bridge import commands
from gui.bridge.mailbox import RunInfo, Status
from gui.bridge.run_state import RunState
from gui.bridge.session import TrainingSession
from gui.report import Report
from gui.workbench.export import ExportError
from gui.workbench.run_store_link import RunStoreLink
from gui.workbench.runs import RunsModel, RunsTab
from gui.workbench.smoothing import SmoothingBar

ROW_INTERVAL_MS = 500          # the training run's row in the runs table, while it trains
OVERLAY_INTERVAL_MS = 1000     # the overlay, while a selected run is still training


class RunsController(QObject):
    current_changed = Signal(object)     # RunHistory of the run now in the window
    runs_changed = Signal()              # runs were deleted or renamed
    evaluated = Signal(int)              # a run's train/val losses were measured (its record's id)
    measured = Signal(object, object, object)   # (step, {split: loss}, worker run id): for the Evaluate panel
    calibrated = Signal(object)          # core.diagnostics.calibration.Calibration

    def __init__(self, session: TrainingSession, run: RunState, smoothing: SmoothingBar, report: Report,
                 runs_tab_shown: Callable[[], bool], parent: QObject | None = None):
        super().__init__(parent)
        self.session, self.run, self.smoothing, self.report = session, run, smoothing, report
        self.runs_tab_shown = runs_tab_shown
        self.run_log = RunLog()
        self.store = RunStoreLink(self)
        self._held = list(self.store.opening_notes)    # what the store said before the window's first run
        self.store.problem.connect(self._on_store_problem)
        self.store.numbered.connect(self._on_numbered)
        self.store.load_past(self.run_log)
        self.histories: dict[int, RunHistory] = {}     # record id -> what the window keeps of that run
        self.runs_model = RunsModel(self.run_log, self.histories, self)
        self.runs_model.load_curve = self.store.load_curve
        self.runs_tab = RunsTab(self.runs_model)
        self.runs_model.renamed.connect(self._on_renamed)
        self.current: RunHistory | None = None         # the record of the run now training
        self.current_run_id: int | None = None         # ... and the worker's id of that run
        self.current_info: RunInfo | None = None
        self._status: Status | None = None              # the current run's last status seen
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
        if self.current is not None:
            if self.current.record.steps == 0:
                self.runs_model.delete([self.current.run_id])   # a Reset that never trained is no run
            else:
                self.store.finish(self.current.record)          # this window trains it no more
        origin = self.origins.pop(info.run_id, "")
        name = run_name(info.cfg) + (f" · {origin}" if origin else "")
        history = self.runs_model.add(info.cfg, name, curve=self.run.losses)   # the run state feeds it
        self.current, self.current_run_id, self.current_info = history, info.run_id, info
        held, self._held = self._held, []
        for text in held:                 # now that the run control has cleared the message bar
            self._on_store_problem(text)
        self._evaluated_step, self._was_running, self._status = None, False, None
        self.smoothing.show_curve(history.smooth)
        self.current_changed.emit(history)

    def _on_rewound(self, losses) -> None:
        if self.current is not None:
            self.current.losses_replaced()
            self.smoothing.redraw()
            self.store.record_rewind(self.current.record, losses)

    def _on_losses_added(self, losses) -> None:
        h = self.current
        if h is not None:
            h.losses_added()
            self.smoothing.redraw()
            self.store.record_losses(h.record, self.current_info, self.run.status, losses)

    def _on_snapshot_changed(self, s: Snapshot | None) -> None:
        if s is not None and self.current is not None:
            self.current.add_snapshot(s)

    def _on_status_changed(self, s: Status) -> None:
        if s.run_id != self.current_run_id:
            return
        if self.store.record_status(self.current.record, self._status, s):
            self.runs_model.refresh(self.current.run_id)
        self._status = s
        was_running, self._was_running = self._was_running, s.running
        stopped = not s.running and s.step > 0 and (s.done or was_running)
        if stopped and self._evaluated_step != s.step:
            self.evaluate_current()
            self.store.save_weights(self.current.record, self.session)

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
        """The training run's row, redrawn where it can be seen: the table sizes its columns to
        their contents, which asks every row for every cell (tens of ms with a full run store),
        so while another tab is in front the row waits for refresh_current_row."""
        if self.current is not None:
            self.store.sync_number(self.current.record)
            if self.runs_tab_shown():
                self.runs_model.refresh(self.current.run_id)

    def refresh_current_row(self) -> None:
        """The Runs tab came to the front: the training run's row as it is now."""
        self._refresh_row_now()

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
            step, losses, measured_run = result
            if measured_run == run_id:
                self.measured.emit(step, losses, measured_run)
                self.take_evaluation(step, losses, measured_run)

        self.session.command(commands.Evaluate(), on_result=done, on_error=self.report.error)

    def take_evaluation(self, step: int, losses: dict, worker_run_id: int) -> None:
        """Split losses measured for the worker's run `worker_run_id` (here, or by the Evaluate
        panel): into its row and the store."""
        h = self.current
        if worker_run_id != self.current_run_id or h is None or h.run_id not in self.histories:
            return
        h.set_split_losses(losses.get("train"), losses.get("val"), at_step=step)
        h.record.test_loss = losses.get("test")
        self.store.record_split_losses(h.record, losses, step)
        self.store.sync_number(h.record)
        self.runs_model.refresh(h.run_id)
        self.evaluated.emit(h.run_id)

    def take_samples(self, samples, worker_run_id: int) -> None:
        if worker_run_id == self.current_run_id and self.current is not None:
            self.store.record_samples(self.current.record, samples)

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
        """Delete the selected runs, from the table and the store (their weights too)."""
        ids = self.runs_tab.selected_run_ids()
        references = [i for i in ids if self.histories[i].record.kind == "reference"]
        ids = [i for i in ids if i not in references]
        if self.current is not None and self.current.run_id in ids:
            ids.remove(self.current.run_id)
            self.report.error("The run now in the window cannot be deleted; the others were. "
                              "Press Reset (Ctrl+R) to start a new run first.")
        elif references:
            self.report.error("The reference rows (the lectures' own numbers) cannot be deleted; "
                              "the other selected runs were.")
        for i in ids:
            self.store.forget(self.histories[i].record)
        self.runs_model.delete(ids)
        self.runs_changed.emit()
        self.runs_tab.redraw_overlay()

    def ask_delete_selected_runs(self) -> None:
        """Delete the selected runs once the user says yes (`confirm`, a question box)."""
        records = [self.histories[i].record for i in self.runs_tab.selected_run_ids()]
        gone = [r for r in records if r.kind != "reference" and (self.current is None or r is not self.current.record)]
        if gone and not self.confirm(
                f"Delete {len(gone)} run{'s' if len(gone) > 1 else ''} ({', '.join(r.name for r in gone[:3])}"
                f"{', …' if len(gone) > 3 else ''}) with {'their' if len(gone) > 1 else 'its'} losses and weights? "
                "This cannot be undone."):
            return
        self.delete_selected_runs()

    def confirm(self, question: str) -> bool:
        box = QMessageBox.question(self.runs_tab, "Delete runs", question,
                                   QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                                   QMessageBox.StandardButton.Cancel)
        return box == QMessageBox.StandardButton.Yes

    def selected_weights(self) -> tuple[RunRecord, object] | None:
        """The one selected run and its stored weights as a checkpoint file (None: says why)."""
        ids = self.runs_tab.selected_run_ids()
        if len(ids) != 1:
            self.report.error("Select one run to open.")
            return None
        record = self.histories[ids[0]].record
        path = self.store.weights(record)
        if path is None:
            self.report.error(f"{record.name} has no weights in the run store: only runs that stopped "
                              "(paused, finished or diverged) keep them, and the reference rows have none.")
            return None
        return record, path

    def show_stored_run(self, number: int) -> int | None:
        """The row of stored run `number` (read from the store if the table lacks it, as a
        sweep's trial that just ended): its record id, or None if the store has no such run."""
        for record in self.run_log.runs:
            if record.number == number:
                return record.run_id
        record = self.store.past_run(self.run_log, number)
        if record is None:
            return None
        self.runs_model.add_record(record)
        return record.run_id

    def _on_store_problem(self, text: str) -> None:
        if self.current is None:
            self._held.append(text)
        elif text.startswith("The run store works again"):
            self.report.info(text)
        else:
            self.report.error(text)

    def _on_numbered(self, run_id: int) -> None:
        h = self.histories.get(run_id)
        if h is not None:
            self.store.sync_number(h.record)
            self.runs_model.refresh(run_id)

    def _on_renamed(self, run_id: int) -> None:
        self.store.rename(self.histories[run_id].record)
        self.runs_changed.emit()

    def close_store(self) -> None:
        """The window closes: what is left is written, its runs released (a run still
        training shows as paused, not interrupted)."""
        self.store.close()

    def export_runs_csv(self, path) -> Path:
        return write_text(path, self.run_log.to_csv())

    def export_run_json(self, record_id: int, path) -> Path:
        record = self.run_log.get(record_id)
        if record is None:
            raise ExportError(f"There is no run {record_id}.")
        self.runs_model.history(record_id)      # a past run's curve, read from the store if not yet drawn
        return write_text(path, record.to_json())


def write_text(path, text: str) -> Path:
    path = Path(path)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as e:
        raise ExportError(f"Cannot write {path}: {e.strerror or e}.") from None
    return path
