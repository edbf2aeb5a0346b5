"""TrainingSession: the GUI thread's handle on the training worker and its thread.

Every method returns at once. Commands queue up for the worker; `poll` (called by the
window's frame timer) takes what the worker published and calls back whoever asked.
"""
from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from core.config import Config
from core.sample import sample_names
from core.train import Trainer

from .mailbox import Frame, Mailbox
from .worker import Command, TrainingWorker

OnResult = Callable[[Any], None]
OnError = Callable[[str], None]

SPLITS = ("train", "val", "test")


class TrainingSession(QObject):
    error = Signal(str)       # a command failed and nobody asked to hear about it
    stopped = Signal()        # the worker thread has finished (after shutdown)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.mailbox = Mailbox()
        self.worker = TrainingWorker(self.mailbox)
        self.thread = QThread()
        self.thread.setObjectName("training")
        self.worker.moveToThread(self.thread)
        self.thread.started.connect(self.worker.run)
        self.thread.finished.connect(self._on_thread_finished)
        self._tokens = itertools.count(1)
        self._waiting: dict[int, tuple[OnResult | None, OnError | None]] = {}
        self.thread.start()

    # -- sending ---------------------------------------------------------------------------
    def command(self, command: Command, on_result: OnResult | None = None,
                on_error: OnError | None = None) -> int:
        token = next(self._tokens)
        self._waiting[token] = (on_result, on_error)
        self.worker.submit(command, token)
        return token

    def call(self, fn: Callable[[Trainer], Any], on_result: OnResult | None = None,
             on_error: OnError | None = None) -> int:
        """Run fn(trainer) on the worker between two steps; on_result(value) runs here later."""
        return self.command(lambda w: fn(w.require_trainer()), on_result, on_error)

    def start(self, on_result: OnResult | None = None, on_error: OnError | None = None) -> None:
        self.command(lambda w: w.do_start(), on_result, on_error)

    def pause(self, on_result: OnResult | None = None) -> None:
        self.command(lambda w: w.do_pause(), on_result)

    def step(self, n: int = 1, on_result: OnResult | None = None) -> None:
        self.command(lambda w: w.do_step(n), on_result)

    def reset(self, cfg: Config, on_result: OnResult | None = None, on_error: OnError | None = None) -> None:
        self.command(lambda w: w.do_reset(cfg), on_result, on_error)

    def set_live(self, changes: dict, on_result: OnResult | None = None, on_error: OnError | None = None) -> None:
        self.command(lambda w: w.do_set_live(dict(changes)), on_result, on_error)

    def sample(self, n: int, temperature: float, seed: int | None, on_result: OnResult,
               on_error: OnError | None = None) -> None:
        self.call(lambda t: sample_names(t.model, t.dataset.vocab, n, seed=seed, temperature=temperature),
                  on_result, on_error)

    def evaluate(self, on_result: OnResult, on_error: OnError | None = None) -> None:
        """on_result((step, {split: loss}, run_id))"""
        def evaluate(w):
            t = w.require_trainer()
            return t.step, {s: t.split_loss(s, cancelled=w.stop_requested) for s in SPLITS}, w.run_id
        self.command(evaluate, on_result, on_error)

    # -- receiving -------------------------------------------------------------------------
    def poll(self) -> Frame | None:
        """What the worker published since the last poll; replies are delivered first."""
        frame = self.mailbox.take()
        if frame is None:
            return None
        for reply in frame.replies:
            on_result, on_error = self._waiting.pop(reply.token, (None, None))
            if reply.error is None:
                if on_result is not None:
                    on_result(reply.value)
            elif on_error is not None:
                on_error(reply.error)
            else:
                self.error.emit(reply.error)
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
