"""RunState: the run as the window knows it, on the GUI thread.

One object, written only by `take` (where the window's frame timer takes a Frame from the
session), with a signal per thing that changed. Plots, panels, the status bar and the
workbench connect to it, as napari's layer controls connect to `layer.events`, and keep
no copy of their own. Listeners run in the order they connected, the window's first.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from core.diagnostics.stats import Snapshot
from core.runs.loss_curve import LossCurve
from gui.bridge.mailbox import Frame, RunInfo, Status


class RunState(QObject):
    run_started = Signal(object)        # RunInfo: a new model was built (or a checkpoint loaded)
    loading = Signal(float, str)        # how far a dataset load has got, and what it does
    rewound = Signal(object)            # np.ndarray: the whole loss history `losses` holds now (steps were taken back)
    losses_added = Signal(object)       # np.ndarray: the minibatch losses of the steps just taken, now in `losses`
    events_added = Signal(list)         # [(step, text)]: live changes, calibrations (plot markers)
    snapshot_changed = Signal(object)   # Snapshot, or None when the shown one is gone
    status_changed = Signal(object)     # Status
    running_changed = Signal(bool)      # the start/pause flag
    diverged = Signal(str)              # the message saying why training paused
    frame_taken = Signal(object)        # Frame, once every signal above has been emitted for it

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.info: RunInfo | None = None
        self.status: Status | None = None
        self.snapshot: Snapshot | None = None
        self.losses = LossCurve()      # the run's loss history: the one loss store of the window
        self.running = False

    def take(self, frame: Frame, running: bool) -> None:
        """Apply what the worker published since the last frame; `running` is the flag now."""
        if frame.run is not None:
            self.info, self.losses = frame.run, LossCurve()   # the old run's record keeps its own
            self._set_snapshot(None)
            self.run_started.emit(frame.run)
        if frame.progress is not None:
            self.loading.emit(*frame.progress)
        if frame.rewind is not None:
            if self.snapshot is not None and self.snapshot.step >= len(frame.rewind):
                self._set_snapshot(None)   # it showed a step taken back, and none is left before it
            self.losses.replace(frame.rewind)
            self.rewound.emit(frame.rewind)
        if len(frame.losses):
            self.losses.extend(frame.losses)
            self.losses_added.emit(frame.losses)
        if frame.events:
            self.events_added.emit(frame.events)
        if frame.snapshot is not None:
            self._set_snapshot(frame.snapshot)
        if frame.status is not None:
            self.status = frame.status
            self.status_changed.emit(frame.status)
        self.set_running(running)
        if frame.divergence is not None:
            self.diverged.emit(frame.divergence)
        self.frame_taken.emit(frame)

    def set_running(self, running: bool) -> None:
        """The flag as the window set it (start, pause), or as a frame found it."""
        if running != self.running:
            self.running = running
            self.running_changed.emit(running)

    def _set_snapshot(self, s: Snapshot | None) -> None:
        if s is None and self.snapshot is None:
            return
        self.snapshot = s
        self.snapshot_changed.emit(s)
