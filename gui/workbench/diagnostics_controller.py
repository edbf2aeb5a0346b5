"""DiagnosticsController: the part-3 tabs (gradients, update ratios, distributions) and Look
back, drawn from the current run's history; it asks the worker for the dearer detail
snapshots as often as they are seen."""
from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QTabWidget
from superqt.utils import qthrottled

from core.runs.run_history import RunHistory
from gui.bridge import commands
from gui.bridge.run_state import RunState
from gui.bridge.session import TrainingSession
from gui.workbench.diagnostics import DistributionsTab, GradientsTab, UpdateRatioTab
from gui.workbench.lookback import LookBackTab
from gui.workbench.runs_controller import RunsController

SHOWN_DETAIL_INTERVAL_MS = 83     # detail while a diagnostics tab shows: as often as they redraw
HIDDEN_DETAIL_INTERVAL_MS = 250   # ... and while none does (~0.4 ms each): for the bands
REDRAW_INTERVAL_MS = 83           # these tabs redraw at most this often while training runs
NOTE_INTERVAL_MS = 500            # ... and their numbers in words (text layout is dear)


class DiagnosticsController(QObject):
    def __init__(self, session: TrainingSession, run: RunState, runs: RunsController, tabs: QTabWidget,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.session, self.run, self.runs, self.tabs = session, run, runs, tabs
        self.gradients = GradientsTab()
        self.update_ratio = UpdateRatioTab()
        self.distributions = DistributionsTab()
        self.lookback = LookBackTab()
        self.diagnostic_tabs = (self.gradients, self.update_ratio, self.distributions)
        # (run, step) the worker had no detail of (a loaded checkpoint has no last step until it
        # trains): not asked again until a step is taken, or the window would ask every frame
        self._none_at: tuple[int, int] | None = None
        self._ask_shown = qthrottled(self._ask_for_detail, SHOWN_DETAIL_INTERVAL_MS, parent=self)
        self._ask_hidden = qthrottled(self._ask_for_detail, HIDDEN_DETAIL_INTERVAL_MS, parent=self)
        self._redraw = qthrottled(self._redraw_now, REDRAW_INTERVAL_MS, parent=self)
        self._write_notes = qthrottled(self._write_notes_now, NOTE_INTERVAL_MS, parent=self)
        runs.current_changed.connect(self._on_current_changed)
        runs.runs_changed.connect(self._refresh_comparisons)
        run.frame_taken.connect(self._on_frame_taken)
        tabs.currentChanged.connect(self._on_tab_changed)

    def _on_current_changed(self, _history: RunHistory | None) -> None:
        for tab in self.diagnostic_tabs:
            tab.clear_run()
        self._refresh_comparisons()

    def _refresh_comparisons(self) -> None:
        self.lookback.set_runs(self.runs.current, list(self.runs.histories.values()))

    def _on_frame_taken(self, _frame) -> None:
        if self.runs.current is None:
            return
        self.request_detail()
        self.redraw(force=not self.run.running)

    def _on_tab_changed(self, _index: int) -> None:
        self.request_detail()
        self.redraw(force=True)

    def diagnostics_visible(self) -> bool:
        return self.tabs.isVisible() and self.tabs.currentWidget() in self.diagnostic_tabs

    # -- detail snapshots --------------------------------------------------------------------
    def _detail_wanted(self) -> bool:
        """A step the history has no detail of, and no request for it on its way."""
        h, s = self.runs.current, self.run.status
        if h is None or s is None or s.run_id != self.runs.current_run_id or s.step == 0:
            return False
        if h.latest_detail is not None and h.latest_detail.step >= s.step - 1:
            return False
        if self._none_at == (s.run_id, s.step):
            return False
        return not self.session.waiting_for(commands.DetailSnapshot)

    def request_detail(self) -> None:
        """As often as frames allow while a diagnostics tab shows, a few times a second
        otherwise, never when nothing is new. Once the run is paused the last step is always
        measured at once, however soon after the previous one: the tabs then show where
        training stopped, on a fast machine too."""
        if not self._detail_wanted():
            return
        if not self.run.status.running:
            self._ask_for_detail()
        else:
            (self._ask_shown if self.diagnostics_visible() else self._ask_hidden)()

    def _ask_for_detail(self) -> None:
        if self._detail_wanted():
            asked_at = (self.run.status.run_id, self.run.status.step)
            self.session.command(commands.DetailSnapshot(), on_result=lambda r: self._on_detail(r, asked_at))

    def _on_detail(self, result, asked_at: tuple[int, int]) -> None:
        run_id, snapshot = result
        if snapshot is None:
            self._none_at = asked_at
        if snapshot is not None and run_id == self.runs.current_run_id and self.runs.current is not None:
            self.runs.current.add_snapshot(snapshot)

    # -- drawing -----------------------------------------------------------------------------
    def redraw(self, force: bool = False) -> None:
        """Redraw the tab shown from the current run's history (now, when forced)."""
        self._redraw()
        if self.tabs.currentWidget() is self.gradients:
            self._write_notes()
        if force:
            self._redraw.flush()
            self._write_notes.flush()

    def _redraw_now(self) -> None:
        h, tab = self.runs.current, self.tabs.currentWidget()
        if h is None:
            return
        max_steps = self.run.status.cfg.max_steps if self.run.status is not None else None
        if tab is self.gradients:
            self.gradients.show_snapshot(h.latest_detail, notes=False)
        elif tab is self.update_ratio:
            self.update_ratio.show_history(h, max_steps)
        elif tab is self.distributions:
            self.distributions.show_history(h, max_steps)
        elif tab is self.lookback:
            self.lookback.refresh()

    def _write_notes_now(self) -> None:
        if self.runs.current is not None and self.tabs.currentWidget() is self.gradients:
            self.gradients.show_snapshot(self.runs.current.latest_detail, notes=True)
