"""TrainingSession: the GUI thread's handle on the training worker and its thread.

Every method returns at once. `command` numbers a command (gui.bridge.commands) and queues it for
the worker; `start` / `pause` set the worker's flag. `poll` (called by the window's frame
timer) takes what the worker published and calls back whoever asked. Something is pending
while a command sent has not been applied, or the flag differs from the last status; `idle`
fires once a frame brings that to nothing.
"""
from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from gui.bridge import commands
from gui.bridge.mailbox import Frame, Mailbox
from gui.bridge.worker import SPLITS, TrainingWorker

OnResult = Callable[[Any], None]
OnError = Callable[[str], None]

__all__ = ["SPLITS", "TrainingSession"]


class TrainingSession(QObject):
    error = Signal(str)       # a command failed and nobody asked to hear about it
    idle = Signal()           # a frame brought the last answer the window was waiting for
    stopped = Signal()        # the worker thread has finished (after shutdown)
    inspected = Signal(int, object)   # (an Inspect's number, gui.bridge.inspection.TrainerView or None)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.mailbox = Mailbox()
        self.worker = TrainingWorker(self.mailbox)
        self.thread = QThread()
        self.thread.setObjectName("training")
        self.worker.moveToThread(self.thread)
        self.thread.started.connect(self.worker.run)
        self.thread.finished.connect(self._on_thread_finished)
        self._numbers = itertools.count(1)
        self.sent = 0             # number of the last command sent
        self.applied = 0          # ... and of the last one the worker answered
        self._waiting: dict[int, tuple[commands.Command, OnResult | None, OnError | None]] = {}
        self._status_running: bool | None = None   # the flag as the last status had it
        self._idle_owed = False
        self.thread.start()

    # -- sending ---------------------------------------------------------------------------
    def command(self, command: commands.Command, on_result: OnResult | None = None,
                on_error: OnError | None = None) -> int:
        """Queue `command` for the worker; on_result(value) or on_error(message) runs here
        later, from `poll`. Returns its number."""
        number = self.sent = next(self._numbers)
        self._idle_owed = True
        self._waiting[number] = (command, on_result, on_error)
        self.worker.submit(command, number)
        return number

    def inspect(self, layer: int | None = None) -> int:
        """Ask for a frozen copy of the trainer (commands.Inspect), taken on the worker thread
        between two steps; `inspected` brings it with this number. Returns the number."""
        number = self.command(commands.Inspect(layer), lambda view: self.inspected.emit(number, view))
        return number

    def start(self) -> None:
        """Train whenever no command waits (the worker refuses it, through `error`, when
        there is no model or it has reached max steps)."""
        self.worker.set_running(True)
        self._idle_owed = True

    def pause(self) -> None:
        self.worker.set_running(False)
        self._idle_owed = True

    def frame_drawn(self, run_id: int, step: int) -> None:
        """The window has drawn run run_id after `step` steps: slow motion may take the next."""
        self.worker.pace.drawn(run_id, step)

    @property
    def running(self) -> bool:
        """The start/pause flag: set here, cleared by the worker at max steps or divergence."""
        return self.worker.running

    @property
    def pending(self) -> bool:
        """A command sent and not answered, or the flag not yet in a status."""
        return self.sent > self.applied or (self._status_running is not None
                                            and self._status_running != self.running)

    def waiting_for(self, kind: type) -> list:
        """The commands of that kind sent and not answered yet, oldest first."""
        return [c for c, _, _ in self._waiting.values() if isinstance(c, kind)]

    # -- receiving -------------------------------------------------------------------------
    def poll(self, apply: Callable[[Frame], None] | None = None) -> Frame | None:
        """What the worker published since the last poll: replies are delivered first, then
        `apply(frame)` runs. `idle` comes last, so whatever those sent in return (a stopped
        run's evaluation) is waited for too. Called at every frame."""
        # pending now and not at the end: idle is due (the worker clears the flag itself at
        # max steps or on divergence, and the status saying so is in this frame or a later one)
        self._idle_owed = self._idle_owed or self.pending
        frame = self.mailbox.take()
        if frame is not None:
            for reply in frame.replies:
                _, on_result, on_error = self._waiting.pop(reply.number, (None, None, None))
                self.applied = max(self.applied, reply.number)
                if reply.error is None:
                    if on_result is not None:
                        on_result(reply.value)
                elif on_error is not None:
                    on_error(reply.error)
                else:
                    self.error.emit(reply.error)
            if frame.status is not None:
                self._status_running = frame.status.running
            if apply is not None:
                apply(frame)
        if self._idle_owed and not self.pending:
            self._idle_owed = False
            self.idle.emit()
        return frame

    # -- closing ---------------------------------------------------------------------------
    def shutdown(self, wait_ms: int = 3000) -> bool:
        """Stop the worker; True once its thread has ended. If it is still busy after
        wait_ms (inside a long command), `stopped` fires when it does end."""
        self.worker.request_stop()
        self.thread.quit()
        return self.thread.wait(wait_ms)

    @property
    def is_stopped(self) -> bool:
        return self.thread.isFinished()

    @Slot()
    def _on_thread_finished(self) -> None:
        self.stopped.emit()
