"""SweepsController: the Sweeps tab's logic. Start runs the form's spec as a SweepJob (its own
thread); a timer here drains the job's events into the table and the figures, so the window's
thread only ever draws. A trial chosen in the table can show its run, open its weights as the
window's run, or put its settings in the window."""
from __future__ import annotations

import queue
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QFileDialog

from core.config import Config, ConfigError
from core.runs.store import RunStore, StoreError
from core.sweeps.axes import metric_axis, param_axes
from core.sweeps.spec import SpecError, SweepSpec, load_spec
from core.sweeps.sweep import TrialRow
from gui.report import Report
from gui.workbench.sweeps.form import SweepForm
from gui.workbench.sweeps.job import SweepJob
from gui.workbench.sweeps.tab import SweepsTab

DRAIN_MS = 100
REDRAW_S = 0.5        # the figures at most twice a second (the table follows every event)
CLOSE_WAIT_S = 3.0


class SweepsController(QObject):
    finished = Signal(bool)        # the job ended: True when every trial of the spec has finished
    run_chosen = Signal(int)       # "Show run": the run store id of the chosen trial
    trial_stored = Signal(int)     # a trial ended: its run store id (the Runs table adds its row)

    def __init__(self, window_setup: Callable[[], Config], apply_config: Callable[[Config], None],
                 open_checkpoint: Callable[[Path], None], report: Report,
                 store_path: Callable[[], Path | None] = lambda: None, parent=None):
        """store_path(): the window's run store (None: the default one), where the trials go."""
        super().__init__(parent)
        self.apply_config, self.open_checkpoint, self.report = apply_config, open_checkpoint, report
        self.store_path = store_path
        self.form = SweepForm(window_setup)
        self.tab = SweepsTab(self.form)
        self.job: SweepJob | None = None
        self.spec: SweepSpec | None = None
        self.rows: dict[int, TrialRow] = {}
        self.axes = []
        self._then: Callable[[], object] | None = None
        self._dirty, self._drawn_at = False, 0.0
        self._points_of, self._points_axis = (), None
        self._folder: Path | None = None        # a trial's weights on their way to Open checkpoint
        self.timer = QTimer(self)
        self.timer.setInterval(DRAIN_MS)
        self.timer.timeout.connect(self.drain)
        t = self.tab
        t.start_button.clicked.connect(self.start)
        t.cancel_button.clicked.connect(self.cancel)
        t.open_button.clicked.connect(self.ask_open_spec)
        t.save_button.clicked.connect(self.ask_save_spec)
        t.table.selectionModel().selectionChanged.connect(self._on_selection)
        t.show_run_button.clicked.connect(self.show_run)
        t.open_weights_button.clicked.connect(self.open_weights)
        t.apply_button.clicked.connect(self.apply_settings)

    @property
    def running(self) -> bool:
        return self.job is not None and self.job.running

    # -- the job ---------------------------------------------------------------------------
    def start(self) -> None:
        if self.running:
            return
        try:
            spec = self.form.spec()
        except ConfigError as e:
            self.report.error(str(e))
            return
        self.spec, self.rows = spec, {}
        self._points_of, self._points_axis = (), None
        self.axes = param_axes(spec)
        self.tab.model.reset(list(spec.params), spec.metric)
        self.tab.curves.reset(spec.metric)
        self.tab.by_param.set_axes(self.axes, spec.metric)
        self.tab.importance.set_importance({}, list(spec.params))
        workers, cluster = self.form.where
        self.job = SweepJob(spec, workers, cluster, self.store_path())
        self.job.start()
        self._set_running(True)
        self.tab.status.setText(f"Starting {spec.name!r} on {cluster or f'{workers} worker(s) here'}…")
        self.timer.start()

    def cancel(self) -> None:
        if self.running:
            self.job.cancel()
            self.tab.status.setText("Stopping: the running trials end at their next report…")

    def _set_running(self, running: bool) -> None:
        self.tab.start_button.setEnabled(not running)
        self.tab.cancel_button.setEnabled(running)
        self.form.setEnabled(not running)

    def drain(self) -> None:
        """Take every event the job has posted; redraw the figures if it is time."""
        while self.job is not None:
            try:
                event = self.job.events.get_nowait()
            except queue.Empty:
                break
            self._dirty |= self._take(event)
        now = time.monotonic()
        if self._dirty and (now - self._drawn_at >= REDRAW_S or not self.running):
            self.redraw()
            self._dirty, self._drawn_at = False, now

    def _take(self, event: tuple) -> bool:
        kind = event[0]
        t = self.tab
        if kind == "begin":
            self.rows = {r.number: r for r in event[1]}
            t.model.reset(list(self.spec.params), self.spec.metric, list(self.rows.values()))
            t.progress.setMaximum(event[2])
        elif kind in ("started", "finished"):
            self.rows[event[1].number] = event[1]
            t.model.put(event[1])
            if kind == "finished" and event[1].run_id is not None:
                self.trial_stored.emit(event[1].run_id)
        elif kind == "report" and event[1] in self.rows:
            self.rows[event[1]].reports[event[2]] = event[3]
        elif kind == "importance":
            t.importance.set_importance(event[1], list(self.spec.params))
            return False
        elif kind == "error":
            self.report.error(event[1])
            return False
        elif kind == "ended":
            self._ended(event[1])
        done = sum(1 for r in self.rows.values() if r.state not in ("running", "waiting"))
        t.progress.setValue(min(done, t.progress.maximum()))
        if kind in ("begin", "started", "finished"):
            t.status.setText(f"{self.spec.name}: {done} of {t.progress.maximum()} trials finished")
        return True

    def _ended(self, completed: bool) -> None:
        self.timer.stop()
        self._set_running(False)
        if self.spec is not None:          # the figures show every trial before anyone hears it ended
            self.redraw()
            self._dirty = False
        if not completed and self.spec is not None:
            self.tab.status.setText(f"{self.spec.name}: stopped; Start goes on where it stopped")
        self.finished.emit(completed)
        if self._then is not None:
            then, self._then = self._then, None
            then()

    def redraw(self) -> None:
        rows = sorted(self.rows.values(), key=lambda r: r.number)
        vals = metric_axis(self.spec.metric, [r.val for r in rows])
        t = self.tab
        t.parallel.set_trials(rows, self.axes + [vals])
        finished = tuple(r.number for r in rows if r.val is not None)
        if finished != self._points_of or vals != self._points_axis:
            t.by_param.set_trials(rows, vals)
            self._points_of, self._points_axis = finished, vals
        t.curves.set_trials(rows, vals)

    # -- a chosen trial --------------------------------------------------------------------
    def _on_selection(self, *_) -> None:
        number = self.tab.selected_trial()
        row = self.rows.get(number) if number is not None else None
        has_run = row is not None and row.run_id is not None and row.state not in ("running", "waiting")
        self.tab.show_run_button.setEnabled(has_run)
        self.tab.open_weights_button.setEnabled(has_run and row.state != "failed")
        self.tab.apply_button.setEnabled(row is not None)

    def chosen(self) -> TrialRow | None:
        number = self.tab.selected_trial()
        return self.rows.get(number) if number is not None else None

    def show_run(self) -> None:
        if (row := self.chosen()) is not None and row.run_id is not None:
            self.run_chosen.emit(row.run_id)
            self.report.status(f"Trial {row.number} is run {row.run_id} in the run store", 8000)

    def open_weights(self) -> None:
        """The trial's weights become the window's run (as Open checkpoint does)."""
        row = self.chosen()
        if row is None or row.run_id is None:
            return
        try:
            store = RunStore.open_default(self.store_path())
            try:
                data = store.load_weights(row.run_id)
            finally:
                store.close()
        except StoreError as e:
            self.report.error(str(e))
            return
        if data is None:
            self.report.error(f"Trial {row.number} has no weights in the run store.")
            return
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="makemore-sweep-weights-"))
        path = self._folder / f"{self.spec.name} trial {row.number}.pt"
        path.write_bytes(data)
        self.open_checkpoint(path)

    def apply_settings(self) -> None:
        if (row := self.chosen()) is None or self.spec is None:
            return
        try:
            self.apply_config(self.spec.config_for(row.params))
        except ConfigError as e:
            self.report.error(str(e))
            return
        self.report.status(f"The window now has trial {row.number}'s settings", 8000)

    # -- spec files ------------------------------------------------------------------------
    def open_spec(self, path) -> None:
        path = Path(path)
        try:
            spec = load_spec(path)
        except SpecError as e:
            self.report.error(str(e))
            return
        self.form.set_spec(spec, path.name, path.resolve().parent)

    def save_spec(self, path) -> Path:
        path = Path(path)
        path = path if path.suffix.lower() == ".toml" else path.with_name(path.name + ".toml")
        path.write_text(self.form.spec().to_toml())
        return path

    def ask_open_spec(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.tab, "Open sweep spec", "", "Sweep spec (*.toml)")
        if path:
            self.open_spec(path)

    def ask_save_spec(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self.tab, "Save sweep spec", f"{self.form.name.text()}.toml",
                                              "Sweep spec (*.toml)")
        if path:
            try:
                self.save_spec(path)
            except (ConfigError, OSError) as e:
                self.report.error(str(e))

    def close(self, then: Callable[[], object]) -> bool:
        """The window is closing: stop the sweep (its finished trials are kept); False, and `then`
        later, while its trials still wind down."""
        if not self.running:
            return True
        self.job.cancel()
        if self.job.wait(CLOSE_WAIT_S):
            self.drain()
            return True
        self._then = then
        return False
