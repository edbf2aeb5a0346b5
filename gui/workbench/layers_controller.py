"""LayersController: the Layers tab, fed from the run state's snapshots (each carries every
hidden layer's statistics, taken when a frame was due). Every snapshot joins the tab's
history; the tab is drawn only while it shows, at most a dozen times a second."""
from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QTabWidget
from superqt.utils import qthrottled

from core.diagnostics.stats import Snapshot
from gui.bridge.run_state import RunState
from gui.workbench.layers_view import LayersView

REDRAW_INTERVAL_MS = 83     # as the diagnostics tabs
LEGEND_INTERVAL_MS = 500    # ... and their numbers in words


class LayersController(QObject):
    def __init__(self, run: RunState, tabs: QTabWidget, parent: QObject | None = None):
        super().__init__(parent)
        self.run, self.tabs = run, tabs
        self.view = LayersView()
        self._draw = qthrottled(lambda settle: self.view.draw(legends=False, settle=settle), REDRAW_INTERVAL_MS,
                                parent=self)
        self._write_legends = qthrottled(self.view.write_legends, LEGEND_INTERVAL_MS, parent=self)
        run.run_started.connect(lambda _info: self.view.clear_run())
        run.snapshot_changed.connect(self._on_snapshot_changed)
        tabs.currentChanged.connect(self._on_tab_changed)
        run.running_changed.connect(self._on_running_changed)

    def shown(self) -> bool:
        return self.tabs.isVisible() and self.tabs.currentWidget() is self.view

    def _on_snapshot_changed(self, s: Snapshot | None) -> None:
        if not self.view.add_snapshot(s) or not self.shown():
            return
        self._draw(not self.run.running)
        self._write_legends()
        if not self.run.running:     # a single step, or where training stopped: at once
            self._draw.flush()
            self._write_legends.flush()

    def _on_running_changed(self, running: bool) -> None:
        if not running and self.shown():
            self.view.draw(settle=True)     # paused: the axes fit where training stopped

    def _on_tab_changed(self, _index: int) -> None:
        if self.shown():
            self.view.draw(settle=not self.run.running)
