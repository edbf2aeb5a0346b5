"""Workbench: what goes beyond the notebook, wired into the MainWindow with a few lines.

Diagnostics tabs (gradients, update:data ratios, hpreact's distribution), looking back in
time, loss smoothing, BatchNorm calibration, the runs table with overlays, the loss-log
experiment on its own thread, setup files, checkpoints and exports.

It listens to the window (run_started, frame_taken, its tabs), talks to the training
worker only through the session's commands, and keeps every run's history in core
objects on the GUI thread.
"""
from __future__ import annotations

import time
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QMenu, QProgressBar, QToolButton, QWidget

from core.calibration import Calibration, calibrate
from core.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from core.config import ConfigError, load_config_file, save_config_file
from core.devices import available_devices
from core.presets import PRESETS
from core.run_history import RunHistory, stage_of
from core.runs import RunLog

from ..mailbox import Frame, RunInfo, Status
from .diagnostics import DistributionsTab, GradientsTab, UpdateRatioTab
from .export import PLOT_FILTERS, ExportError, export_plot, save_window_image
from .lookback import LookBackTab
from .loss_log_job import LossLogJob
from .runs import RunsModel, RunsTab
from .smoothing import SmoothingBar

HIDDEN_DETAIL_INTERVAL_S = 0.25   # part-3 detail (~0.4 ms) while no diagnostics tab shows: for the bands
REDRAW_INTERVAL_S = 1 / 12        # these tabs redraw at most this often while training runs
NOTE_INTERVAL_S = 0.5             # ... and their numbers in words (text layout is dear)
ROW_INTERVAL_S = 0.5              # the training run's row in the runs table
OVERLAY_INTERVAL_S = 1.0          # the overlay, while a selected run is still training
JOB_POLL_MS = 100
JOB_CLOSE_WAIT_MS = 5000


def _split_losses(worker):
    """On the worker: (run id, step, train loss, val loss) of the current trainer."""
    t = worker.require_trainer()
    return (worker.status().run_id, t.step, t.split_loss("train", cancelled=worker.stop_requested),
            t.split_loss("val", cancelled=worker.stop_requested))


def _calibrate(worker) -> Calibration:
    c = calibrate(worker.require_trainer())
    worker.publish(force=True)      # its marker reaches the loss plot now, not at the next step
    return c


def _detail_snapshot(worker):
    t = worker.require_trainer()
    return worker.status().run_id, t.snapshot(detail=True)


class Workbench(QObject):
    calibrated = Signal(object)          # core.calibration.Calibration
    evaluated = Signal(int)              # a run's train/val losses were measured (its RunLog id)
    loss_log_finished = Signal(bool)     # True when all four stages ran to the end
    checkpoint_saved = Signal(str)
    checkpoint_loaded = Signal(object)   # RunInfo of the run it started

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.session = window.session
        self.settings = window.settings
        self.run_log = RunLog()
        self.histories: dict[int, RunHistory] = {}
        self.model = RunsModel(self.run_log, self.histories, self)
        self.current: RunHistory | None = None
        self.current_worker_run: int | None = None
        self._names: dict[int, str] = {}        # worker run id -> where a run about to start came from
        self._notice: str | None = None          # shown once the next run has started
        self._last_status: Status | None = None
        self._eval_step: int | None = None
        self._detail_pending = False
        self._detail_at = 0.0
        self._drawn_at = self._row_at = self._overlay_at = self._noted_at = 0.0
        self.job: LossLogJob | None = None
        self._job_runs: dict[int, int] = {}     # the job's record keys -> run ids
        self._job_error: str | None = None
        self.job_timer = QTimer(self)
        self.job_timer.setInterval(JOB_POLL_MS)
        self.job_timer.timeout.connect(self._poll_job)

        self._build_tabs()
        self._build_actions()
        self._build_menus()
        self._build_progress()
        self._restore()
        window.run_started.connect(self._run_started)
        window.frame_taken.connect(self._frame)
        window.tabs.currentChanged.connect(self._tab_changed)
        window.installEventFilter(self)

    # -- building ----------------------------------------------------------------------------
    def _build_tabs(self) -> None:
        w = self.window
        self.smoothing = SmoothingBar(w.loss_plot)
        w.tabs.widget(0).layout().insertWidget(0, self.smoothing)     # just above the loss plot
        self.gradients = GradientsTab()
        self.update_ratio = UpdateRatioTab()
        self.distributions = DistributionsTab()
        self.lookback = LookBackTab()
        self.runs_tab = RunsTab(self.model)
        w.tabs.setTabToolTip(0, "The loss, the tanh layer's histograms and the saturation picture, live.")
        for widget, title, tip in (
                (self.gradients, "Gradients", "Histograms of the gradient into h and of every parameter's "
                                              "gradient, with grad:data ratios (lecture part 3)."),
                (self.update_ratio, "Update ratio", "log10 of update:data for every parameter over the steps, "
                                                    "with the 1e-3 guide (lecture part 3)."),
                (self.distributions, "Distributions", "hpreact over time as percentile bands (as TensorBoard's "
                                                      "distributions)."),
                (self.lookback, "Look back", "The histograms and saturation picture at an earlier step, and "
                                            "another run's for comparison."),
                (self.runs_tab, "Runs", "Every run of this session: the loss log as a table, overlays, "
                                        "the loss-log experiment, exports.")):
            w.tabs.setTabToolTip(w.tabs.addTab(widget, title), tip)
        self.diagnostic_tabs = (self.gradients, self.update_ratio, self.distributions)
        for arrow in w.tabs.tabBar().findChildren(QToolButton):     # Qt's, shown when the tabs do not fit
            arrow.setToolTip("Scroll the tabs (or use Ctrl+1 … Ctrl+6).")
        self.model.renamed.connect(lambda _: self._refresh_comparisons())

    def _action(self, text: str, shortcut: str, tip: str, slot, widget: QWidget | None = None) -> QAction:
        a = QAction(text, self.window)
        if shortcut:
            a.setShortcut(QKeySequence(shortcut))
        a.setToolTip(f"{tip} ({QKeySequence(shortcut).toString()})" if shortcut else tip)
        a.setStatusTip(tip)
        a.triggered.connect(lambda _=False: slot())
        (widget or self.window).addAction(a)
        return a

    def _build_actions(self) -> None:
        A = self._action
        self.open_setup_action = A("Open setup…", "Ctrl+Shift+O", "Load a whole setup (model, initialisation, "
                                   "training) from a TOML or JSON file and reset to it", self.ask_load_setup)
        self.save_setup_action = A("Save setup…", "Ctrl+Shift+S", "Save the whole setup as a small TOML or JSON "
                                   "file, to share it or to pass to main.py --config", self.ask_save_setup)
        self.open_checkpoint_action = A("Open checkpoint…", "Ctrl+L", "Continue from a checkpoint saved by this "
                                        "app or by main.py --save", self.ask_load_checkpoint)
        self.save_checkpoint_action = A("Save checkpoint…", "Ctrl+S", "Save the model, its training state and "
                                        "word list, to continue later (here or with main.py --load)",
                                        self.ask_save_checkpoint)
        self.window_image_action = A("Window as PNG…", "Ctrl+Shift+P", "Save a picture of the whole window",
                                     self.ask_save_window_image)
        self.export_csv_action = A("Runs table as CSV…", "", "Save the runs table (every run's setup and "
                                   "losses) as CSV", self.ask_export_csv)
        self.export_json_action = A("Selected run as JSON…", "", "Save the selected run's setup, losses and "
                                    "loss curve as JSON", self.ask_export_json)
        self.delete_runs_action = A("Delete runs", "Del", "Remove the selected runs from the table",
                                    self.delete_selected_runs, widget=self.runs_tab.table)
        self.delete_runs_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.calibrate_action = A("Calibrate BatchNorm", "Ctrl+B", "Measure BatchNorm's mean and std over the "
                                  "whole training split (the lecture's calibration cell); shows the val loss "
                                  "before and after", self.calibrate)
        self.loss_log_action = A("Loss-log experiment", "Ctrl+Shift+L", "Train the notebook's four stages "
                                 "(original, fix softmax, fix tanh, add BN; 200,000 steps each) in the "
                                 "background and add them to the runs table", self.toggle_loss_log)
        self.tab_actions = []
        for i in range(self.window.tabs.count()):
            title = self.window.tabs.tabText(i)
            self.tab_actions.append(A(title, f"Ctrl+{i + 1}", f"Show the {title} tab",
                                      lambda i=i: self.window.tabs.setCurrentIndex(i)))
        self.plot_actions: dict[str, QAction] = {}
        for name, item in self.plots().items():
            a = A(f"{name}…", "", f"Save the plot '{name}' as PNG or SVG", lambda n=name: self.ask_export_plot(n))
            self.plot_actions[name] = a
            view = item.getViewWidget()
            if view is not None:       # right-click on the plot offers the same
                view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
                export_here = QAction("Export this plot as PNG or SVG…", view)
                export_here.triggered.connect(lambda _=False, n=name: self.ask_export_plot(n))
                view.addAction(export_here)
        for action in (self.loss_log_action, self.delete_runs_action, self.export_csv_action,
                       self.export_json_action):
            self.runs_tab.add_button(action)
        self.runs_tab.finish_buttons()

    def _build_menus(self) -> None:
        w = self.window
        before = w.quit_action
        w.file_menu.insertActions(before, [self.open_setup_action, self.save_setup_action])
        w.file_menu.insertSeparator(before)
        w.file_menu.insertActions(before, [self.open_checkpoint_action, self.save_checkpoint_action])
        w.file_menu.insertSeparator(before)
        export = QMenu("&Export", w)
        plots = export.addMenu("Plot")
        plots.setToolTipsVisible(True)
        plots.addActions(list(self.plot_actions.values()))
        export.addActions([self.window_image_action, self.export_csv_action, self.export_json_action])
        w.file_menu.insertMenu(before, export)
        w.file_menu.insertSeparator(before)
        w.train_menu.addSeparator()
        w.train_menu.addActions([self.calibrate_action, self.loss_log_action])
        view = w.menuBar().addMenu("&View")
        view.addActions(self.tab_actions)

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
        cancel.clicked.connect(self.cancel_loss_log)
        for widget in (self.progress_label, self.progress_bar):
            widget.setToolTip("The loss-log experiment, training in the background: stage, and steps of that stage.")
            layout.addWidget(widget)
        layout.addWidget(cancel)
        self.window.statusBar().addPermanentWidget(self.progress)
        self.progress.hide()

    def _restore(self) -> None:
        s = self.settings
        self.smoothing.slider.set_weight(float(s.value("workbench/smoothing", 0.0)))
        self.runs_tab.smoothing.set_weight(float(s.value("workbench/overlay_smoothing", 0.99)))

    def _save_settings(self) -> None:
        s = self.settings
        s.setValue("workbench/smoothing", self.smoothing.slider.weight)
        s.setValue("workbench/overlay_smoothing", self.runs_tab.smoothing.weight)

    def plots(self) -> dict[str, pg.PlotItem]:
        """Every plot of the window, by the name the Export menu gives it."""
        w = self.window
        out = {"Loss": w.loss_plot.plot_item, "tanh input (hpreact)": w.hpreact_plot.plot_item,
               "tanh output (h)": w.h_plot.plot_item, "Saturation": w.saturation_plot.plot_item}
        out.update(self.gradients.plot_items())
        out["Update ratio"] = self.update_ratio.plot_item
        out["hpreact distribution"] = self.distributions.plot_item
        out.update(self.lookback.plot_items())
        out.update(self.runs_tab.plot_items())
        return out

    # -- following the run -------------------------------------------------------------------
    def _run_started(self, info: RunInfo) -> None:
        if self.current is not None and self.current.record.steps == 0:
            self.model.delete([self.current.run_id])   # a Reset that never trained is no run
        history = self.model.add(info.cfg)
        stage = stage_of(info.cfg)
        origin = self._names.pop(info.run_id, "")
        extra = " · ".join(p for p in (stage, origin) if p)
        if extra:
            history.record.name = f"{history.record.name} · {extra}"
        self.current, self.current_worker_run = history, info.run_id
        self._last_status, self._eval_step = None, None
        for tab in self.diagnostic_tabs:
            tab.clear_run()
        self.smoothing.show_curve(history.smooth)
        self._refresh_comparisons()
        self.calibrate_action.setEnabled(info.cfg.batchnorm)
        if self._notice:
            self.window.message_bar.show_message(self._notice, "info")
            self._notice = None

    def _frame(self, frame: Frame) -> None:
        h = self.current
        if h is None:
            return
        if frame.rewind is not None:
            h.replace_losses(frame.rewind)
        if len(frame.losses):
            h.add_losses(frame.losses)
        if frame.rewind is not None or len(frame.losses):
            self.smoothing.redraw()
        if frame.snapshot is not None:
            h.add_snapshot(frame.snapshot)
        s = frame.status
        if s is not None and s.run_id == self.current_worker_run:
            self._follow_status(s)
        self._request_detail()
        running = self.window.running
        self._redraw(force=not running)
        now = time.perf_counter()
        if not running or now - self._row_at >= ROW_INTERVAL_S:
            self._row_at = now
            self.model.refresh(h.run_id)
        if h.run_id in self.runs_tab.overlaid and self.window.tabs.currentWidget() is self.runs_tab \
                and now - self._overlay_at >= OVERLAY_INTERVAL_S:
            self._overlay_at = now
            self.runs_tab.redraw_overlay()

    def _follow_status(self, s: Status) -> None:
        before, self._last_status = self._last_status, s
        stopped = not s.running and s.step > 0 and (s.done or (before is not None and before.running))
        if stopped and self._eval_step != s.step:
            self.evaluate_current()

    def evaluate_current(self) -> None:
        """Measure the current run's train and val loss (on the worker, between steps)."""
        h, run = self.current, self.current_worker_run
        if h is None:
            return
        self._eval_step = self._last_status.step if self._last_status else None

        def done(result):
            run_id, step, train, val = result
            if run_id == run and h.run_id in self.histories:
                h.set_split_losses(train, val, at_step=step)
                self.model.refresh(h.run_id)
                self.evaluated.emit(h.run_id)

        self.session.command(_split_losses, on_result=done, on_error=self.window.show_error)

    def diagnostics_visible(self) -> bool:
        return self.window.isVisible() and self.window.tabs.currentWidget() in self.diagnostic_tabs

    def _request_detail(self) -> None:
        """Ask the worker for the dearer part-3 statistics: as often as frames allow while a
        diagnostics tab shows, a few times a second otherwise, never when nothing is new.
        Once the run is paused the last step is always measured, however soon after the
        previous one: the tabs then show where training stopped, on a fast machine too."""
        h, st = self.current, self.window.status
        if self._detail_pending or h is None or st is None or st.run_id != self.current_worker_run or st.step == 0:
            return
        if h.latest_detail is not None and h.latest_detail.step >= st.step - 1:
            return
        now = time.perf_counter()
        wait = REDRAW_INTERVAL_S if self.diagnostics_visible() else HIDDEN_DETAIL_INTERVAL_S
        if st.running and now - self._detail_at < wait:
            return
        self._detail_pending, self._detail_at = True, now
        self.session.command(_detail_snapshot, on_result=self._detail_arrived, on_error=self._detail_failed)

    def _detail_arrived(self, result) -> None:
        self._detail_pending = False
        run_id, snapshot = result
        if snapshot is not None and run_id == self.current_worker_run and self.current is not None:
            self.current.add_snapshot(snapshot)

    def _detail_failed(self, _message: str) -> None:
        self._detail_pending = False

    def _tab_changed(self, _index: int) -> None:
        self._request_detail()
        self._redraw(force=True)
        if self.window.tabs.currentWidget() is self.runs_tab:
            self.runs_tab.redraw_overlay()

    def _redraw(self, force: bool = False) -> None:
        now = time.perf_counter()
        if not force and now - self._drawn_at < REDRAW_INTERVAL_S:
            return
        self._drawn_at = now
        h, tab = self.current, self.window.tabs.currentWidget()
        if h is None:
            return
        if tab is self.gradients:
            notes = force or now - self._noted_at >= NOTE_INTERVAL_S
            if notes:
                self._noted_at = now
            self.gradients.show_snapshot(h.latest_detail, notes=notes)
        max_steps = self.window.status.cfg.max_steps if self.window.status is not None else None
        if tab is self.update_ratio:
            self.update_ratio.show_history(h, max_steps)
        elif tab is self.distributions:
            self.distributions.show_history(h, max_steps)
        elif tab is self.lookback:
            self.lookback.refresh()

    def _refresh_comparisons(self) -> None:
        self.lookback.set_runs(self.current, list(self.histories.values()))

    # -- BatchNorm calibration ---------------------------------------------------------------
    def calibrate(self) -> None:
        info = self.window.run_info
        if info is None or not info.cfg.batchnorm:
            self.window.show_error("BatchNorm is off in this run: there are no statistics to calibrate.")
            return
        self.window.status_bar.showMessage("Calibrating BatchNorm over the whole training split…")
        self.session.command(_calibrate, on_result=self._calibrated, on_error=self.window.show_error)

    def _calibrated(self, c: Calibration) -> None:
        self.window.status_bar.clearMessage()
        better = "better" if c.val_after < c.val_before else "worse" if c.val_after > c.val_before else "the same"
        self.window.message_bar.show_message(
            f"BatchNorm calibrated at step {c.step:,} over all {c.examples:,} training examples: "
            f"val loss {c.val_before:.4f} → {c.val_after:.4f} ({better}). The running mean moved by up to "
            f"{c.mean_change:.3g} and the std by up to {c.std_change:.3g}.", "info")
        self.calibrated.emit(c)
        if self.current is not None and self.current.evaluated_at is not None:
            self.evaluate_current()     # the table's losses were for the old statistics

    # -- runs ----------------------------------------------------------------------------------
    def delete_selected_runs(self) -> None:
        ids = self.runs_tab.selected_run_ids()
        if self.current is not None and self.current.run_id in ids:
            ids.remove(self.current.run_id)
            self.window.show_error("The run now in the window cannot be deleted; the others were. "
                                   "Press Reset (Ctrl+R) to start a new run first.")
        self.model.delete(ids)
        self._refresh_comparisons()
        self.runs_tab.redraw_overlay()

    def export_runs_csv(self, path) -> Path:
        return _write(path, self.run_log.to_csv())

    def export_run_json(self, run_id: int, path) -> Path:
        record = self.run_log.get(run_id)
        if record is None:
            raise ExportError(f"There is no run {run_id}.")
        return _write(path, record.to_json())

    # -- the loss-log experiment -------------------------------------------------------------
    @property
    def loss_log_running(self) -> bool:
        return self.job is not None

    def toggle_loss_log(self) -> None:
        self.cancel_loss_log() if self.loss_log_running else self.start_loss_log()

    def start_loss_log(self, max_steps: int | None = None) -> None:
        """Train the four stages on the current run's data, sizes and seed, in the background.
        `max_steps` shortens every stage (the decay moves to its middle), for quick checks."""
        if self.job is not None:
            return
        info = self.window.run_info
        if info is None:
            self.window.show_error("There is no model yet: press Reset first.")
            return
        base = info.cfg
        self.job = job = LossLogJob(base, max_steps, parent=self)
        self._job_runs, self._job_error = {}, None
        self.loss_log_action.setText("Cancel loss-log experiment")
        self.progress_label.setText("Loss log: loading…")
        self.progress_bar.setValue(0)
        self.progress.show()
        # the run's own words, from the worker (not the file again): then the job starts
        self.session.call(lambda t: t.dataset.words, on_result=job.start_with, on_error=job.fail)
        self.job_timer.start()

    def cancel_loss_log(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.progress_label.setText("Loss log: cancelling…")

    def _poll_job(self) -> None:
        job = self.job
        if job is None:
            self.job_timer.stop()
            return
        finished = None
        touched = set()
        for event in job.take():
            kind = event[0]
            if kind == "start":
                _, key, cfg, name = event
                history = self.model.add(cfg, name)
                self._job_runs[key] = history.run_id
            elif kind in ("losses", "split"):
                history = self.histories.get(self._job_runs.get(event[1]))
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
                self._job_error = event[1]
                self.window.show_error(event[1])
            elif kind == "finished":
                finished = event[1]
        for run_id in touched:
            self.model.refresh(run_id)
        if any(r in self.runs_tab.overlaid for r in touched) and self.window.tabs.currentWidget() is self.runs_tab:
            self.runs_tab.redraw_overlay()
        if finished is not None:
            self._job_done(cancelled=finished)

    def _job_done(self, cancelled: bool) -> None:
        self.job.wait()
        self.job = None
        self.job_timer.stop()
        self.progress.hide()
        self.loss_log_action.setText("Loss-log experiment")
        runs = [self.histories[r] for r in self._job_runs.values() if r in self.histories]
        complete = (not cancelled and self._job_error is None and len(runs) == len(PRESETS)
                    and all(h.record.val_loss is not None for h in runs))
        if complete:
            self.runs_tab.select([h.run_id for h in runs])
            table = ", ".join(f"{h.record.name.removeprefix('loss log: ')} {h.record.val_loss:.4f}" for h in runs)
            self.window.message_bar.show_message(f"Loss-log experiment done; val loss: {table}. "
                                                 "The Runs tab (Ctrl+6) overlays their curves.", "info")
        elif cancelled:
            self.window.status_bar.showMessage("Loss-log experiment cancelled; finished stages stay in the table.",
                                               8000)
        self.loss_log_finished.emit(complete)

    # -- setup files ---------------------------------------------------------------------------
    def save_setup(self, path) -> Path:
        path = Path(path)
        if path.suffix.lower() not in (".toml", ".json"):
            path = path.with_name(path.name + ".toml")
        try:
            save_config_file(self.window.setup.config(), path)
        except OSError as e:
            raise ExportError(f"Cannot write {path}: {e.strerror or e}.") from None
        return path

    def load_setup(self, path) -> None:
        """Put a setup file's values in the panels and reset to them (the current run stays in the table)."""
        cfg = load_config_file(path, base=self.window.setup.config())
        self._notice = None
        if cfg.device not in available_devices():
            self._notice = f"{Path(path).name} asks for {cfg.device!r}, which torch does not see here: using the CPU."
            cfg = cfg.replace(device="cpu")
        self.window.setup.set_config(cfg)
        self.window.reset(cfg)

    # -- checkpoints ---------------------------------------------------------------------------
    def save_checkpoint(self, path) -> None:
        path = Path(path)

        def save(t):
            try:
                save_checkpoint(t, path)
            except OSError as e:
                raise CheckpointError(f"Cannot write {path}: {e.strerror or e}.") from None
            return t.step

        def saved(step):
            self.window.status_bar.showMessage(f"Saved the model at step {step:,} to {path}", 8000)
            self.checkpoint_saved.emit(str(path))

        self.session.call(save, on_result=saved, on_error=self.window.show_error)

    def load_checkpoint(self, path) -> None:
        """Continue from a checkpoint; a file that cannot be loaded is refused with a message and the
        current run goes on untouched."""
        path = Path(path)
        device = None if "cuda" in available_devices() else "cpu"

        def load(w):
            trainer = load_checkpoint(path, device=device)    # raises CheckpointError: nothing changes
            return w.do_adopt(trainer), trainer.step

        def loaded(result):
            info, step = result
            self._names[info.run_id] = f"from {path.name}"
            self.window.setup.set_config(info.cfg)
            self.window.status_bar.showMessage(f"Continuing from {path.name} at step {step:,}", 8000)
            self.checkpoint_loaded.emit(info)

        self.window.status_bar.showMessage(f"Loading {path.name}…")
        self.session.command(load, on_result=loaded, on_error=self._checkpoint_refused)

    def _checkpoint_refused(self, message: str) -> None:
        self.window.status_bar.clearMessage()
        self.window.show_error(f"{message} The current run is unchanged.")

    # -- exports ----------------------------------------------------------------------------------
    def export_plot(self, name: str, path) -> Path:
        return export_plot(self.plots()[name], path)

    def save_window_image(self, path) -> Path:
        return save_window_image(self.window, path)

    # -- dialogs (each a thin layer over the methods above) ---------------------------------------
    def _folder(self) -> str:
        return str(self.settings.value("workbench/folder", str(Path.home())))

    def _ask_save(self, title: str, filters: str, name: str) -> str | None:
        path, _ = QFileDialog.getSaveFileName(self.window, title, str(Path(self._folder()) / name), filters)
        if path:
            self.settings.setValue("workbench/folder", str(Path(path).parent))
        return path or None

    def _ask_open(self, title: str, filters: str) -> str | None:
        path, _ = QFileDialog.getOpenFileName(self.window, title, self._folder(), filters)
        if path:
            self.settings.setValue("workbench/folder", str(Path(path).parent))
        return path or None

    def _reporting(self, fn, *args, done: str | None = None) -> None:
        try:
            out = fn(*args)
        except (ExportError, ConfigError, CheckpointError, ValueError, OSError) as e:
            self.window.show_error(str(e))
        else:
            if done:
                self.window.status_bar.showMessage(done.format(out), 8000)

    def ask_save_setup(self) -> None:
        if path := self._ask_save("Save setup", "Setup (*.toml);;Setup as JSON (*.json)", "setup.toml"):
            self._reporting(self.save_setup, path, done="Saved the setup to {}")

    def ask_load_setup(self) -> None:
        if path := self._ask_open("Open setup", "Setups (*.toml *.json);;All files (*)"):
            self._reporting(self.load_setup, path)

    def ask_save_checkpoint(self) -> None:
        step = self.window.status.step if self.window.status else 0
        if path := self._ask_save("Save checkpoint", "Checkpoints (*.pt);;All files (*)", f"makemore-{step}.pt"):
            self.save_checkpoint(path)

    def ask_load_checkpoint(self) -> None:
        if path := self._ask_open("Open checkpoint", "Checkpoints (*.pt);;All files (*)"):
            self.load_checkpoint(path)

    def ask_export_plot(self, name: str) -> None:
        stem = name.lower().replace(":", "").replace(" ", "-").replace("(", "").replace(")", "")
        if path := self._ask_save(f"Export plot '{name}'", PLOT_FILTERS, f"{stem}.png"):
            self._reporting(self.export_plot, name, path, done="Saved the plot to {}")

    def ask_save_window_image(self) -> None:
        if path := self._ask_save("Save window as PNG", "PNG image (*.png)", "makemore-playground.png"):
            self._reporting(self.save_window_image, path, done="Saved the window to {}")

    def ask_export_csv(self) -> None:
        if path := self._ask_save("Export runs table", "CSV (*.csv)", "runs.csv"):
            self._reporting(self.export_runs_csv, path, done="Saved the runs table to {}")

    def ask_export_json(self) -> None:
        ids = self.runs_tab.selected_run_ids()
        if len(ids) != 1:
            self.window.show_error("Select one run in the Runs tab (Ctrl+6) to export it as JSON.")
            return
        if path := self._ask_save("Export run", "JSON (*.json)", f"run-{ids[0]}.json"):
            self._reporting(self.export_run_json, ids[0], path, done="Saved the run to {}")

    # -- closing -----------------------------------------------------------------------------------
    def eventFilter(self, obj, event) -> bool:
        if obj is self.window and event.type() == QEvent.Type.Close:
            self._save_settings()
            if self.job is not None and not self.job.isFinished():
                self.job.cancel()
                if not self.job.wait(JOB_CLOSE_WAIT_MS):
                    # still inside a long piece of work: close once it has ended
                    event.ignore()
                    self.window.hide()
                    self.job.finished.connect(self.window.close, Qt.ConnectionType.UniqueConnection)
                    return True
            self.job_timer.stop()
        return super().eventFilter(obj, event)


def _write(path, text: str) -> Path:
    path = Path(path)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as e:
        raise ExportError(f"Cannot write {path}: {e.strerror or e}.") from None
    return path
