"""FilesController: setup files, checkpoints and exports, each a method that does it and a
thin dialog over that method (the tests call the first, a person the second)."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtWidgets import QFileDialog, QWidget

from core.checkpoint import CheckpointError
from core.config import Config, ConfigError, load_config_file, save_config_file
from core.devices import available_devices
from gui.bridge import commands
from gui.bridge.run_state import RunState
from gui.bridge.session import TrainingSession
from gui.panels import SetupPanel
from gui.report import Report
from gui.workbench.export import PLOT_FILTERS, ExportError, export_plot, save_window_image
from gui.workbench.runs_controller import RunsController

USER_FILE_ERRORS = (ExportError, ConfigError, CheckpointError, ValueError, OSError)


class FilesController(QObject):
    checkpoint_saved = Signal(str)
    checkpoint_loaded = Signal(object)   # RunInfo of the run it started

    def __init__(self, session: TrainingSession, setup: SetupPanel, runs: RunsController,
                 run: RunState, plots: Callable[[], dict[str, pg.PlotItem]], reset: Callable[[Config], None],
                 settings: QSettings, report: Report, window: QWidget):
        super().__init__(window)
        self.session, self.setup, self.runs, self.run, self.plots = session, setup, runs, run, plots
        self.reset, self.settings, self.report = reset, settings, report
        self.window = window      # the dialogs' parent, and what "Window as PNG" pictures
        self.notice: str | None = None   # shown once the next run has started

    def show_notice(self) -> None:
        if self.notice:
            self.report.info(self.notice)
            self.notice = None

    # -- setup files ---------------------------------------------------------------------------
    def save_setup(self, path) -> Path:
        path = Path(path)
        if path.suffix.lower() not in (".toml", ".json"):
            path = path.with_name(path.name + ".toml")
        try:
            save_config_file(self.setup.config(), path)
        except OSError as e:
            raise ExportError(f"Cannot write {path}: {e.strerror or e}.") from None
        return path

    def load_setup(self, path) -> None:
        """Put a setup file's values in the panels and reset to them (the current run stays in the table)."""
        cfg = load_config_file(path, base=self.setup.config())
        self.notice = None
        if cfg.device not in available_devices():
            self.notice = f"{Path(path).name} asks for {cfg.device!r}, which torch does not see here: using the CPU."
            cfg = cfg.replace(device="cpu")
        self.setup.set_config(cfg)
        self.reset(cfg)

    def open_setup(self, path) -> None:
        """load_setup, with a refused file said in words."""
        self._reporting(self.load_setup, path)

    # -- checkpoints ---------------------------------------------------------------------------
    def save_checkpoint(self, path) -> None:
        path = Path(path)

        def saved(step):
            self.report.status(f"Saved the model at step {step:,} to {path}", 8000)
            self.checkpoint_saved.emit(str(path))

        self.session.command(commands.SaveCheckpoint(path), on_result=saved, on_error=self.report.error)

    def load_checkpoint(self, path, label: str | None = None) -> None:
        """Continue from a checkpoint; a file that cannot be loaded is refused with a message and the
        current run goes on untouched. `label`: what to call it (else the file's name)."""
        path = Path(path)
        label = label or path.name
        device = None if "cuda" in available_devices() else "cpu"

        def loaded(result):     # delivered before the frame that starts the run: it is named after the file
            info, step = result
            self.runs.origins[info.run_id] = f"from {label}"
            self.setup.set_config(info.cfg)
            self.report.status(f"Continuing from {label} at step {step:,}", 8000)
            self.checkpoint_loaded.emit(info)

        def refused(message: str):
            self.report.clear_status()
            self.report.error(f"{message} The current run is unchanged.")

        self.report.status(f"Loading {label}…")
        self.session.command(commands.LoadCheckpoint(path, device), on_result=loaded, on_error=refused)

    # -- exports ----------------------------------------------------------------------------------
    def export_plot(self, name: str, path) -> Path:
        return export_plot(self.plots()[name], path)

    def save_window_image(self, path) -> Path:
        return save_window_image(self.window, path)

    # -- dialogs ----------------------------------------------------------------------------------
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
        except USER_FILE_ERRORS as e:
            self.report.error(str(e))
        else:
            if done:
                self.report.status(done.format(out), 8000)

    def ask_save_setup(self) -> None:
        if path := self._ask_save("Save setup", "Setup (*.toml);;Setup as JSON (*.json)", "setup.toml"):
            self._reporting(self.save_setup, path, done="Saved the setup to {}")

    def ask_load_setup(self) -> None:
        if path := self._ask_open("Open setup", "Setups (*.toml *.json);;All files (*)"):
            self.open_setup(path)

    def ask_save_checkpoint(self) -> None:
        if path := self._ask_save("Save checkpoint", "Checkpoints (*.pt);;All files (*)",
                                  f"makemore-{self.run.status.step if self.run.status else 0}.pt"):
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
            self._reporting(self.runs.export_runs_csv, path, done="Saved the runs table to {}")

    def ask_export_json(self) -> None:
        ids = self.runs.runs_tab.selected_run_ids()
        if len(ids) != 1:
            self.report.error("Select one run in the Runs tab (Ctrl+7) to export it as JSON.")
            return
        if path := self._ask_save("Export run", "JSON (*.json)", f"run-{ids[0]}.json"):
            self._reporting(self.runs.export_run_json, ids[0], path, done="Saved the run to {}")
