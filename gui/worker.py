"""TrainingWorker: drives a core Trainer on its own QThread.

Its Qt event loop is busy inside `run`, so nothing reaches it through queued slots. The
GUI hands it commands through a thread-safe queue, read between steps; every command is
a callable taking the worker, so a new feature is one more callable (see
TrainingSession.call). Results go back through the Mailbox.
"""
from __future__ import annotations

import queue
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

import torch
from PySide6.QtCore import QObject, Signal, Slot

from core.checkpoint import CheckpointError
from core.config import Config, ConfigError
from core.data import DataError, Dataset
from core.train import Cancelled, Trainer

from .mailbox import Mailbox, Reply, RunInfo, Status

PUBLISH_INTERVAL_S = 1 / 30   # a little faster than the GUI's 25 frames a second, so no frame goes empty
RATE_INTERVAL_S = 1.0         # steps/s is counted over this long
IDLE_WAIT_S = 0.1             # how long an idle worker sleeps on the queue before checking stop
PROGRESS_INTERVAL_S = 0.05    # a dataset load tells the window how far it has got this often

# Errors that are the user's to fix: shown as their message, never as a traceback.
USER_ERRORS = (DataError, ConfigError, CheckpointError, ValueError)

Command = Callable[["TrainingWorker"], Any]


class Stopped(Exception):
    """Raised inside a long command (a dataset load) when the window is closing."""


class TrainingWorker(QObject):
    finished = Signal()

    def __init__(self, mailbox: Mailbox):
        super().__init__()
        self.mailbox = mailbox
        self.trainer: Trainer | None = None
        self.running = False
        self.detail = False          # snapshots with the dearer part-3 diagnostics (Snapshot.detail)
        self._commands: queue.SimpleQueue[tuple[Command, int] | None] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._run_id = 0
        self._dataset: Dataset | None = None
        self._published = 0          # losses handed to the mailbox so far (this run)
        self._events_sent = 0
        self._snapshot_step = -1     # step of the last snapshot published
        self._last_publish = 0.0
        self._rate = 0.0
        self._rate_mark = (0.0, 0)   # (time, step) where the current steps/s count began
        self._progress_at = 0.0

    # -- called from the GUI thread -------------------------------------------------------
    def submit(self, command: Command, token: int) -> None:
        self._commands.put((command, token))

    def stop_requested(self) -> bool:
        """For long commands to check between pieces of work (core's `cancelled`)."""
        return self._stop.is_set()

    def request_stop(self) -> None:
        self._stop.set()
        self._commands.put(None)  # wake the worker if it is waiting for a command

    # -- the worker thread ----------------------------------------------------------------
    @Slot()
    def run(self) -> None:
        torch.set_num_threads(1)  # two intra-op threads fight the GUI for 2 cores: ~10 steps/s
        try:
            while not self._stop.is_set():
                self._run_commands(block=not self._training())
                if self._training() and not self._stop.is_set():
                    self._train(1)
        finally:
            self.finished.emit()

    def _training(self) -> bool:
        return self.running and self.trainer is not None

    def _run_commands(self, block: bool) -> None:
        try:
            item = self._commands.get(timeout=IDLE_WAIT_S) if block else self._commands.get_nowait()
        except queue.Empty:
            return
        while item is not None:
            command, token = item
            self._execute(command, token)
            if self._stop.is_set():
                return
            try:
                item = self._commands.get_nowait()
            except queue.Empty:
                return

    @property
    def run_id(self) -> int:
        """Which run the trainer is on: bumped by every Reset or loaded checkpoint."""
        return self._run_id

    def _execute(self, command: Command, token: int) -> None:
        try:
            value = command(self)
        except (Stopped, Cancelled):
            self.mailbox.reply(Reply(token, error="Stopped: the window is closing."))
        except USER_ERRORS as e:
            self.mailbox.reply(Reply(token, error=str(e)))
        except Exception as e:  # a bug: keep the worker alive and say what happened
            traceback.print_exc(file=sys.stderr)
            self.mailbox.reply(Reply(token, error=f"Unexpected error ({type(e).__name__}): {e}"))
        else:
            self.mailbox.reply(Reply(token, value))

    def _train(self, n: int) -> int:
        """Up to n steps; stops (and pauses) at max_steps or on divergence."""
        t = self.trainer
        taken = 0
        for _ in range(n):
            if t.done:
                self.running = False
                self.publish(force=True)
                break
            if t.train_step() is None:
                self.running = False
                self.publish(force=True, divergence=t.divergence)
                break
            taken += 1
            if time.perf_counter() - self._last_publish >= PUBLISH_INTERVAL_S:
                self.publish()
        return taken

    def publish(self, force: bool = False, divergence: str | None = None) -> None:
        """Hand the mailbox the losses since the last call, the events, and a snapshot when
        there is a step it has not seen. Snapshots are taken only here, ~40 times a second."""
        t = self.trainer
        now = time.perf_counter()
        self._last_publish = now
        self._count_rate(now)
        if t is None:
            return
        rewind = None
        if t.step < self._published:  # a divergence took back steps already published
            rewind, self._published = t.losses.copy(), t.step
            self._snapshot_step = -1     # the steps taken again must be drawn, even at the same numbers
        losses = t.losses[self._published:].copy()
        self._published = t.step
        events = t.events[self._events_sent:]
        self._events_sent = len(t.events)
        snapshot = None
        if t.last is not None and t.last.step != self._snapshot_step:
            snapshot = t.snapshot(detail=self.detail)
            self._snapshot_step = snapshot.step
        self.mailbox.publish(losses, events, snapshot, self.status(), divergence, rewind)

    def _count_rate(self, now: float) -> None:
        step = self.trainer.step if self.trainer is not None else 0
        since, at_step = self._rate_mark
        if not self.running:
            self._rate, self._rate_mark = 0.0, (now, step)
        elif now - since >= RATE_INTERVAL_S:
            self._rate = (step - at_step) / (now - since) if step >= at_step else 0.0
            self._rate_mark = (now, step)

    def status(self) -> Status:
        t = self.trainer
        return Status(self._run_id, t.cfg, t.step, t.lr, t.last.loss if t.last else None,
                      self._rate, self.running, t.done, t.diverged_at)

    # -- commands (run on the worker thread, between steps) --------------------------------
    def require_trainer(self) -> Trainer:
        if self.trainer is None:
            raise ConfigError("There is no model yet: press Reset to build one.")
        return self.trainer

    def do_start(self) -> None:
        t = self.require_trainer()
        if t.done:
            raise ConfigError(f"Training has reached its max steps ({t.cfg.max_steps:,}). "
                              "Raise max steps to go on, or press Reset to start again.")
        self.running = True
        self._rate_mark = (time.perf_counter(), t.step)
        self.publish(force=True)

    def do_pause(self) -> None:
        self.running = False
        self.publish(force=True)

    def do_step(self, n: int) -> int:
        t = self.require_trainer()
        if t.done:
            raise ConfigError(f"Training has reached its max steps ({t.cfg.max_steps:,}).")
        was_running, self.running = self.running, False
        taken = self._train(n)
        self.running = was_running and not t.done and t.divergence is None
        self.publish(force=True)
        return taken

    def do_set_live(self, changes: dict) -> list[str]:
        t = self.require_trainer()
        described = t.set_live(**changes)
        if t.done and self.running:
            self.running = False
        self.publish(force=True)
        return described

    def do_reset(self, cfg: Config) -> RunInfo:
        """A new Trainer from cfg; if anything is wrong the current one is kept."""
        cfg = cfg.validate()
        dataset = self._load_dataset(cfg)
        return self.do_adopt(Trainer(cfg, dataset))

    def do_adopt(self, trainer: Trainer) -> RunInfo:
        """Train `trainer` from now on, as a new run: a fresh one, or one loaded from a
        checkpoint (its loss history is published from step 0, so the plots show it)."""
        cfg, dataset = trainer.cfg, trainer.dataset
        self.trainer, self._dataset, self.running = trainer, dataset, False
        self._run_id += 1
        self._published = self._events_sent = 0
        self._snapshot_step = -1
        info = RunInfo(self._run_id, cfg, dataset.source, len(dataset.words), dataset.vocab.itos,
                       dataset.n_train, trainer.model.n_parameters())
        self.mailbox.new_run(info)
        self.publish(force=True)
        return info

    def _load_dataset(self, cfg: Config) -> Dataset:
        d = self._dataset
        self._progress_at = 0.0
        if d is not None and d.source == cfg.data:
            if d.block_size == cfg.block_size:
                return d
            return Dataset.from_words(d.words, cfg.block_size, source=d.source, progress=self._load_progress)
        return Dataset.load(cfg.data, cfg.block_size, progress=self._load_progress)

    def _load_progress(self, fraction: float, what: str) -> None:
        """Tell the window how a load goes, now and then; abandon it if the window is closing."""
        if self._stop.is_set():
            raise Stopped
        now = time.perf_counter()
        if now - self._progress_at >= PROGRESS_INTERVAL_S:
            self._progress_at = now
            self.mailbox.progress(fraction, what)
