"""Workbench: what goes beyond the notebook, as small controllers wired into the window's
tabs, menus and status bar: the runs (table, overlays, calibration), the Layers tab (every
hidden layer, as the lecture's figures), the diagnostics tabs and Look back, files (setup,
checkpoints, exports) and the loss-log experiment.

Each controller is handed what it uses (the session, the run state, a Report, a panel),
never the window; they listen to the run state and talk to the worker only in commands.
"""
from __future__ import annotations

from collections.abc import Callable

import pyqtgraph as pg
from PySide6.QtCore import QObject, QSettings, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QTabWidget, QToolButton, QWidget

from core.config import Config
from gui.actions import make_action
from gui.bridge.run_state import RunState
from gui.bridge.session import TrainingSession
from gui.live_view import LiveView
from gui.panels import SetupPanel
from gui.report import Report
from gui.settings import stored_number
from gui.workbench.diagnostics_controller import DiagnosticsController
from gui.workbench.files import FilesController
from gui.workbench.layers_controller import LayersController
from gui.workbench.loss_log import LossLogController
from gui.workbench.runs_controller import RunsController
from gui.workbench.smoothing import SmoothingBar
from gui.workbench.sweeps import SweepsController

TAB_TIPS = {
    "Layers": "Every hidden layer at once, as the lecture's figures: activations, their gradients, the weights' "
              "gradients, update:data over time, and saturation per layer over time.",
    "Gradients": "Histograms of the gradient into h and of every parameter's gradient, with grad:data ratios "
                 "(lecture part 3).",
    "Update ratio": "log10 of update:data for every parameter over the steps, with the 1e-3 guide (lecture part 3).",
    "Distributions": "hpreact over time as percentile bands (as TensorBoard's distributions).",
    "Look back": "The histograms and saturation picture at an earlier step, and another run's for comparison.",
    "Runs": "Every run, across restarts (the run store), and the lectures' own numbers: the loss log as a "
            "table, overlays, the loss-log experiment, open, rename, delete, exports.",
    "Sweeps": "Many runs of one setup with some settings varied (grid, random or TPE search), on both cores or "
              "a Dask cluster: trials table, parallel coordinates, curves, importance.",
}


class Workbench(QObject):
    def __init__(self, session: TrainingSession, run: RunState, settings: QSettings, tabs: QTabWidget,
                 live: LiveView, chrome, report: Report, setup: SetupPanel, reset: Callable[[Config], None],
                 window: QWidget):
        super().__init__(window)
        self.settings, self.tabs, self.live = settings, tabs, live
        self.smoothing = SmoothingBar(live.loss_plot)
        live.add_above_plots(self.smoothing)
        runs_shown = lambda: tabs.currentWidget() is self.runs.runs_tab  # noqa: E731
        self.runs = RunsController(session, run, self.smoothing, report, runs_shown, self)
        self.diagnostics = DiagnosticsController(session, run, self.runs, tabs, self)
        self.layers = LayersController(run, tabs, self)
        self.files = FilesController(session, setup, self.runs, run, self.plots, reset, settings, report, window)
        self.loss_log = LossLogController(session, run, self.runs, report, runs_shown, self)
        window_store = lambda: self.runs.store.store.path if self.runs.store.store is not None else None  # noqa: E731
        self.sweeps = SweepsController(setup.config, lambda cfg: (setup.set_config(cfg), reset(cfg)),
                                       self.files.load_checkpoint, report, window_store, self)
        self.sweeps.trial_stored.connect(self.runs.show_stored_run)
        self.sweeps.run_chosen.connect(self.show_stored_run)
        self._build_tabs()
        self._build_actions(window)
        self._build_menus(chrome)
        chrome.status_bar.addPermanentWidget(self.loss_log.progress)
        self._restore()
        run.run_started.connect(self._on_run_started)
        tabs.currentChanged.connect(self._on_tab_changed)

    # -- building ----------------------------------------------------------------------------
    def _build_tabs(self) -> None:
        tabs, d = self.tabs, self.diagnostics
        tabs.setTabToolTip(0, "The loss, a tanh layer's histograms and its saturation picture, live.")
        for widget, title in ((self.layers.view, "Layers"), (d.gradients, "Gradients"),
                              (d.update_ratio, "Update ratio"),
                              (d.distributions, "Distributions"), (d.lookback, "Look back"),
                              (self.runs.runs_tab, "Runs"), (self.sweeps.tab, "Sweeps")):
            tabs.setTabToolTip(tabs.addTab(widget, title), TAB_TIPS[title])
        for arrow in tabs.tabBar().findChildren(QToolButton):     # Qt's, shown when the tabs do not fit
            arrow.setToolTip(f"Scroll the tabs (or use Ctrl+1 … Ctrl+{tabs.count()}).")

    def _build_actions(self, owner: QWidget) -> None:
        def A(*args):
            return make_action(owner, *args)
        f, runs = self.files, self.runs
        self.open_setup_action = A("Open setup…", "Ctrl+Shift+O", "Load a whole setup (model, initialisation, "
                                   "training) from a TOML or JSON file and reset to it", f.ask_load_setup)
        self.save_setup_action = A("Save setup…", "Ctrl+Shift+S", "Save the whole setup as a small TOML or JSON "
                                   "file, to share it or to pass to main.py --config", f.ask_save_setup)
        self.open_checkpoint_action = A("Open checkpoint…", "Ctrl+L", "Continue from a checkpoint saved by this "
                                        "app or by main.py --save", f.ask_load_checkpoint)
        self.save_checkpoint_action = A("Save checkpoint…", "Ctrl+S", "Save the model, its training state and "
                                        "word list, to continue later (here or with main.py --load)",
                                        f.ask_save_checkpoint)
        self.window_image_action = A("Window as PNG…", "Ctrl+Shift+P", "Save a picture of the whole window",
                                     f.ask_save_window_image)
        self.export_csv_action = A("Runs table as CSV…", "", "Save the runs table (every run's setup and "
                                   "losses) as CSV", f.ask_export_csv)
        self.export_json_action = A("Selected run as JSON…", "", "Save the selected run's setup, losses and "
                                    "loss curve as JSON", f.ask_export_json)
        self.open_run_action = A("Open run", "", "Load the selected run's weights and settings, as a checkpoint: "
                                 "continue training it, sample or evaluate it", self.open_selected_run)
        self.delete_runs_action = make_action(runs.runs_tab.table, "Delete runs", "Del",
                                              "Delete the selected runs, with their losses and weights, from the "
                                              "table and the run store (asks first)", runs.ask_delete_selected_runs)
        self.delete_runs_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.calibrate_action = A("Calibrate BatchNorm", "Ctrl+B", "Measure BatchNorm's mean and std over the "
                                  "whole training split (the lecture's calibration cell); shows the val loss "
                                  "before and after", runs.calibrate)
        self.loss_log_action = self.loss_log.action = A(
            "Loss-log experiment", "Ctrl+Shift+L", "Train the notebook's four stages (original, fix softmax, "
            "fix tanh, add BN; 200,000 steps each) in the background and add them to the runs table",
            self.loss_log.toggle)
        self.tab_actions = []
        for i in range(self.tabs.count()):
            title = self.tabs.tabText(i)
            self.tab_actions.append(A(title, f"Ctrl+{i + 1}", f"Show the {title} tab",
                                      lambda i=i: self.tabs.setCurrentIndex(i)))
        self.plot_actions: dict[str, QAction] = {}
        for name, item in self.plots().items():
            self.plot_actions[name] = A(f"{name}…", "", f"Save the plot '{name}' as PNG or SVG",
                                        lambda n=name: f.ask_export_plot(n))
            view = item.getViewWidget()
            if view is not None:       # right-click on the plot offers the same
                view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
                make_action(view, "Export this plot as PNG or SVG…", "", "", lambda n=name: f.ask_export_plot(n))
        for action in (self.loss_log_action, self.open_run_action, self.delete_runs_action, self.export_csv_action,
                       self.export_json_action):
            runs.runs_tab.add_button(action)
        runs.runs_tab.finish_buttons()

    def _build_menus(self, chrome) -> None:
        file_menu, before = chrome.file_menu, chrome.quit_action
        file_menu.insertActions(before, [self.open_setup_action, self.save_setup_action])
        file_menu.insertSeparator(before)
        file_menu.insertActions(before, [self.open_checkpoint_action, self.save_checkpoint_action])
        file_menu.insertSeparator(before)
        export = QMenu("&Export", file_menu)
        plots = export.addMenu("Plot")
        plots.setToolTipsVisible(True)
        plots.addActions(list(self.plot_actions.values()))
        export.addActions([self.window_image_action, self.export_csv_action, self.export_json_action])
        file_menu.insertMenu(before, export)
        file_menu.insertSeparator(before)
        chrome.train_menu.addSeparator()
        chrome.train_menu.addActions([self.calibrate_action, self.loss_log_action])
        chrome.menu_bar.addMenu("&View").addActions(self.tab_actions)

    def _restore(self) -> None:
        s = self.settings
        self.smoothing.slider.set_weight(stored_number(s, "workbench/smoothing", "smoothing", 0.0))
        self.runs.runs_tab.smoothing.set_weight(stored_number(s, "workbench/overlay_smoothing", "smoothing", 0.99))

    def _save_settings(self) -> None:
        s = self.settings
        s.setValue("workbench/smoothing", self.smoothing.slider.weight)
        s.setValue("workbench/overlay_smoothing", self.runs.runs_tab.smoothing.weight)

    def plots(self) -> dict[str, pg.PlotItem]:
        """Every plot of the window, by the name the Export menu gives it."""
        live, d = self.live, self.diagnostics
        out = {"Loss": live.loss_plot.plot_item, "tanh input (hpreact)": live.hpreact_plot.plot_item,
               "tanh output (h)": live.h_plot.plot_item, "Saturation": live.saturation_plot.plot_item}
        out.update(self.layers.view.plot_items())
        out.update(d.gradients.plot_items())
        out["Update ratio"] = d.update_ratio.plot_item
        out["hpreact distribution"] = d.distributions.plot_item
        out.update(d.lookback.plot_items())
        out.update(self.runs.runs_tab.plot_items())
        out.update(self.sweeps.tab.plot_items())
        return out

    def open_selected_run(self) -> None:
        chosen = self.runs.selected_weights()
        if chosen is not None:
            record, path = chosen
            self.files.load_checkpoint(path, label=f"run {record.number}")

    def show_stored_run(self, number: int) -> None:
        """The Runs tab, with the stored run `number` (a sweep's trial) selected."""
        record_id = self.runs.show_stored_run(number)
        if record_id is not None:
            self.tabs.setCurrentWidget(self.runs.runs_tab)
            self.runs.runs_tab.select([record_id])

    # -- following the window ----------------------------------------------------------------
    def _on_run_started(self, info) -> None:
        self.calibrate_action.setEnabled(info.cfg.batchnorm)
        self.files.show_notice()

    def _on_tab_changed(self, _index: int) -> None:
        if self.tabs.currentWidget() is self.runs.runs_tab:
            self.runs.refresh_current_row()
            self.runs.runs_tab.redraw_overlay()

    def close(self, then: Callable[[], object]) -> bool:
        """The window is closing: False (and `then` later) while the loss-log job still runs."""
        self._save_settings()
        return self.loss_log.close(then) and self.sweeps.close(then)
