"""The notebook's loss-log experiment (core.experiment.run_loss_log) on its own thread.

It never touches Qt or the window's RunLog: what run_loss_log records goes into a queue
(through a stand-in log), and the window's thread applies it to the real RunLog when it
polls, so every run record is only ever changed on one thread.
"""
from __future__ import annotations

import itertools
import queue
import sys
import threading
import traceback

import numpy as np
import torch
from PySide6.QtCore import QThread

from core.config import Config
from core.experiment import run_loss_log

from ..worker import USER_ERRORS


class _ForwardedRecord:
    """What run_loss_log writes to a run, sent to the GUI thread instead."""

    def __init__(self, events: queue.SimpleQueue, key: int):
        self._events, self.key = events, key

    def add_losses(self, losses) -> None:
        self._events.put(("losses", self.key, np.array(losses, dtype=np.float32)))

    def set_split_losses(self, train, val, test=None) -> None:
        self._events.put(("split", self.key, train, val))


class _ForwardingLog:
    def __init__(self, events: queue.SimpleQueue):
        self._events = events
        self._keys = itertools.count(1)

    def start(self, config: Config, name: str = "") -> _ForwardedRecord:
        key = next(self._keys)
        self._events.put(("start", key, config, name))
        return _ForwardedRecord(self._events, key)


class LossLogJob(QThread):
    """Events (tuples) for `take`: ("start", key, config, name), ("losses", key, array),
    ("split", key, train, val), ("progress", stage, steps_done, steps_total),
    ("error", message) and, last, ("finished", cancelled)."""

    def __init__(self, base: Config, max_steps: int | None = None, parent=None):
        super().__init__(parent)
        self.setObjectName("loss-log")
        self.base, self.max_steps = base, max_steps
        self.words: list[str] | None = None     # the run's own words, never the file again
        self._events: queue.SimpleQueue = queue.SimpleQueue()
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def start_with(self, words: list[str]) -> None:
        self.words = words
        self.start()

    def fail(self, message: str) -> None:
        """End a job that could not start (its words never came)."""
        self._events.put(("error", message))
        self._events.put(("finished", self._cancel.is_set()))

    def take(self) -> list[tuple]:
        out = []
        while True:
            try:
                out.append(self._events.get_nowait())
            except queue.Empty:
                return out

    def run(self) -> None:
        torch.set_num_threads(1)   # one thread each for this, the training worker and the window
        try:
            run_loss_log(self.base, self.words, _ForwardingLog(self._events),
                         progress=lambda stage, done, total: self._events.put(("progress", stage, done, total)),
                         cancelled=self._cancel.is_set, max_steps=self.max_steps)
        except USER_ERRORS as e:
            self._events.put(("error", str(e)))
        except Exception as e:  # a bug: say what happened rather than die silently
            traceback.print_exc(file=sys.stderr)
            self._events.put(("error", f"Unexpected error in the loss-log experiment ({type(e).__name__}): {e}"))
        finally:
            self._events.put(("finished", self._cancel.is_set()))
