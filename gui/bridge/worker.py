"""TrainingWorker: drives a core Trainer on its own QThread.

Its Qt event loop is busy inside `run`, so nothing reaches it through queued slots. The
session hands it numbered commands (gui.bridge.commands) through a thread-safe queue, read
between steps, and one dispatcher (`apply`) handles them; start and pause are a flag the
session sets and clears, read once a step. Results go back through the Mailbox: a
command's reply with the status that follows it, which carries the command's number.
"""
from __future__ import annotations

import queue
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

import torch
from PySide6.QtCore import QObject, Signal, Slot

from core.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from core.config import MAX_LAYERS, Config, ConfigError
from core.data import Dataset
from core.diagnostics.calibration import calibrate
from core.model.sample import sample_names
from core.runs.recorder import dataset_identity
from core.training.trainer import Cancelled, Trainer
from gui.bridge import commands as c
from gui.bridge.inspection import view_of
from gui.bridge.mailbox import Mailbox, Reply, RunInfo, Status
from gui.bridge.pace import Pace
from gui.bridge.tools import ToolCommands
from gui.report import USER_ERRORS

PUBLISH_INTERVAL_S = 1 / 30   # a little faster than the GUI's 25 frames a second, so no frame goes empty
RATE_INTERVAL_S = 1.0         # steps/s is counted over this long
IDLE_WAIT_S = 0.1             # how long an idle worker sleeps on the queue before checking stop
PROGRESS_INTERVAL_S = 0.05    # a dataset load tells the window how far it has got this often
# Training runs in chunks of steps (one call of the fast engine's GIL-free kernel each), sized
# from the measured step rate to last about CHUNK_S: a frame is never late by more than that,
# and a pause or a command lands within it.
CHUNK_S = 0.008
MAX_CHUNK = 2_000
SWITCH_INTERVAL_S = 0.0005

SPLITS = ("train", "val", "test")

_WAKE = object()              # put on the queue to end an idle wait at once (a start, a stop)


class Stopped(Exception):
    """Raised inside a long command (a dataset load) when the window is closing."""


class TrainingWorker(QObject):
    finished = Signal()

    def __init__(self, mailbox: Mailbox):
        super().__init__()
        self.mailbox = mailbox
        self.trainer: Trainer | None = None
        self._commands: queue.SimpleQueue = queue.SimpleQueue()
        self._go = threading.Event()       # set: train whenever no command waits
        self._stop = threading.Event()
        self._applied = 0            # number of the last command applied
        self._run_id = 0
        self._dataset: Dataset | None = None
        self._publisher = RunPublisher(mailbox)
        self._progress_at = 0.0
        self._step_s = 0.0           # measured seconds per step of the current run (0: not yet)
        self.pace = Pace()           # slow motion (SetPace); the window says which step it drew
        self._tools = ToolCommands(self)

    # -- called from the GUI thread (by the session) --------------------------------------
    def submit(self, command: c.Command, number: int) -> None:
        self._commands.put((command, number))

    def set_running(self, running: bool) -> None:
        if running:
            self._go.set()
            self._commands.put(_WAKE)
        else:
            self._go.clear()

    @property
    def running(self) -> bool:
        """Whether it trains whenever no command waits (the start/pause flag)."""
        return self._go.is_set()

    def request_stop(self) -> None:
        self._stop.set()
        self._commands.put(None)  # wake the worker if it is waiting for a command

    @property
    def run_id(self) -> int:
        """Which run the trainer is on: bumped by every Reset or loaded checkpoint."""
        return self._run_id

    # -- the worker thread ----------------------------------------------------------------
    @Slot()
    def run(self) -> None:
        torch.set_num_threads(1)  # two intra-op threads fight the GUI for 2 cores: ~10 steps/s
        # The GIL changes hands more often: the GUI thread's painting waits less for a chunk's
        # Python around the kernel, and the kernel less for the GUI (process-wide; Qt's own
        # threads hold no GIL).
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        try:
            while not self._stop.is_set():
                going = self._go.is_set()
                if not going and self._publisher.running:
                    self.publish()                # a pause reaches the window at once
                self._run_commands(block=not going)
                # the flag first: a command sent before a start is applied before training on
                if self._go.is_set() and self._commands.empty() and not self._stop.is_set():
                    self._train_running()
        finally:
            self.finished.emit()

    def _train_running(self) -> None:
        t = self.trainer
        if t is None or t.done:
            self._go.clear()
            message = ("There is no model yet: press Reset to build one." if t is None else
                       f"Training has reached its max steps ({t.cfg.max_steps:,}). "
                       "Raise max steps to go on, or press Reset to start again.")
            self.publish(reply=Reply(0, error=message))
            return
        if not self._publisher.running:
            self.publish()                        # a start reaches the window at once
        if self.pace.holding():
            if not self.pace.ready(self._run_id, t.step):
                self.pace.wait()
                return
            if self.pace.active(t.step):
                self._train(1)
                self.pace.took_step()
                self.publish()                    # every step goes on screen
                return
            self.pace.finish()                    # a slow start's last step is on screen
        self._train(self._chunk_steps())

    def _chunk_steps(self) -> int:
        """Steps for about CHUNK_S at the measured rate (1 until there is one)."""
        if self._step_s <= 0:
            return 1
        return max(1, min(MAX_CHUNK, int(CHUNK_S / self._step_s)))

    def _run_commands(self, block: bool) -> None:
        try:
            item = self._commands.get(timeout=IDLE_WAIT_S) if block else self._commands.get_nowait()
        except queue.Empty:
            return
        while item is not None:
            if item is not _WAKE:
                command, number = item
                self._execute(command, number)
            if self._stop.is_set():
                return
            try:
                item = self._commands.get_nowait()
            except queue.Empty:
                return

    def _execute(self, command: c.Command, number: int) -> None:
        try:
            reply = Reply(number, self.apply(command))
        except (Stopped, Cancelled):
            reply = Reply(number, error="Stopped: the window is closing.")
        except USER_ERRORS as e:
            reply = Reply(number, error=str(e))
        except Exception as e:  # a bug: keep the worker alive and say what happened
            traceback.print_exc(file=sys.stderr)
            reply = Reply(number, error=f"Unexpected error ({type(e).__name__}): {e}")
        self._applied = number
        self.publish(reply=reply)

    def apply(self, command: c.Command) -> Any:
        """The one dispatcher: every command the window can send, on this thread."""
        match command:
            case c.Reset(cfg):
                return self._reset(cfg)
            case c.LoadCheckpoint(path, device):
                trainer = load_checkpoint(Path(path), device=device)   # raises CheckpointError: nothing changes
                self._go.clear()                                       # it starts paused
                return self._adopt(trainer), trainer.step
            case c.SaveCheckpoint(path):
                return self._save_checkpoint(Path(path))
            case c.SetLive(changes):
                return self._set_live(changes)
            case c.Step(n):
                return self._step(n)
            case c.Sample(n, temperature, seed):
                t = self._require_trainer()
                # the run that drew them comes back too, as for Evaluate: names drawn by the new
                # model (Reset, then Sample) stay when its run is drawn; the previous run's go
                return sample_names(t.model, t.dataset.vocab, n, seed=seed, temperature=temperature), self._run_id
            case c.Evaluate():
                # a long evaluation gives way to a closing window between chunks (core.training.trainer.Cancelled)
                t = self._require_trainer()
                return t.step, {s: t.split_loss(s, cancelled=self._stop.is_set) for s in SPLITS}, self._run_id
            case c.SplitLosses():
                t = self._require_trainer()
                return (self._run_id, t.step, t.split_loss("train", cancelled=self._stop.is_set),
                        t.split_loss("val", cancelled=self._stop.is_set))
            case c.RunWords():
                return self._require_trainer().dataset.words
            case c.Calibrate():
                return calibrate(self._require_trainer())
            case c.DetailSnapshot():
                return self._run_id, self._require_trainer().snapshot(detail=True)
            case c.FollowLayer(layer):
                if not 0 <= layer < MAX_LAYERS:
                    raise ConfigError(f"There is no hidden layer {layer + 1}: a net has at most {MAX_LAYERS}.")
                self._publisher.follow_layer(layer)
                return layer
            case c.Inspect(layer):
                t = self.trainer
                return None if t is None else view_of(t, self._run_id, self._go.is_set(), layer)
            case c.CopyTrainer() | c.CheckGradients() | c.Embedding() | c.SetPace():
                return self._tools.apply(command)
        raise TypeError(f"not a command: {command!r}")

    def _train(self, n: int) -> int:
        """Up to n steps, in chunks the engine takes at once (and publishing between them when
        a frame is due); stops (and clears the start flag) at max_steps or on divergence."""
        t = self.trainer
        if not t.engine_ready:
            self.publish(preparing=True)          # "Preparing the fast engine…", not a frozen window
            t.prepare_engine()
        taken = 0
        while taken < n:
            k = min(n - taken, self._chunk_steps())
            began = time.perf_counter()
            losses = t.train(k)
            taken += len(losses)
            if len(losses) == k:                  # a whole chunk: how long a step takes now
                per_step = (time.perf_counter() - began) / k
                self._step_s = per_step if self._step_s <= 0 else 0.7 * self._step_s + 0.3 * per_step
            if t.divergence is not None:
                self._go.clear()
                self.publish(divergence=t.divergence)
                break
            if t.done:
                self._go.clear()
                self.publish()
                break
            if self._publisher.due():
                self.publish()
        return taken

    def publish(self, divergence: str | None = None, reply: Reply | None = None, preparing: bool = False) -> None:
        self._publisher.publish(self.trainer, self._run_id, self._go.is_set(), self._applied, divergence, reply,
                                preparing)

    # -- commands (run on the worker thread, between steps) --------------------------------
    def _require_trainer(self) -> Trainer:
        if self.trainer is None:
            raise ConfigError("There is no model yet: press Reset to build one.")
        return self.trainer

    require_trainer = _require_trainer

    def _step(self, n: int) -> int:
        t = self._require_trainer()
        if t.done:
            raise ConfigError(f"Training has reached its max steps ({t.cfg.max_steps:,}).")
        return self._train(n)

    def _set_live(self, changes: dict) -> list[str]:
        t = self._require_trainer()
        described = t.set_live(**changes)
        if t.done:
            self._go.clear()
        return described

    def _reset(self, cfg: Config) -> RunInfo:
        """A new Trainer from cfg; if anything is wrong the current one is kept."""
        cfg = cfg.validate()
        dataset = self._load_dataset(cfg)
        return self._adopt(Trainer(cfg, dataset))

    def _adopt(self, trainer: Trainer) -> RunInfo:
        """Train `trainer` from now on, as a new run: a fresh one, or one loaded from a
        checkpoint (its loss history is published from step 0, so the plots show it)."""
        cfg, dataset = trainer.cfg, trainer.dataset
        self.trainer, self._dataset = trainer, dataset
        self._run_id += 1
        self._step_s = 0.0                        # another model, another engine: measure again
        info = RunInfo(self._run_id, cfg, dataset.source, len(dataset.words), dataset.vocab.itos,
                       dataset.n_train, trainer.model.n_parameters(), dataset_identity(dataset))
        self._publisher.new_run(info)   # sent with the command's reply
        return info

    def _save_checkpoint(self, path: Path) -> int:
        t = self._require_trainer()
        try:
            save_checkpoint(t, path)
        except OSError as e:
            raise CheckpointError(f"Cannot write {path}: {e.strerror or e}.") from None
        return t.step

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


class RunPublisher:
    """The worker's side of the mailbox: what the window has been sent of the current run
    (losses, events, the step of the last snapshot), the steps/s count, and a new run's
    info, sent with the reply of the command that started it. Worker thread only."""

    def __init__(self, mailbox: Mailbox):
        self.mailbox = mailbox
        self.running = False             # the flag as the last status had it
        self._last_at = 0.0
        self._rate = 0.0
        self._rate_mark = (0.0, 0)       # (time, step) where the current steps/s count began
        self.layer = 0                   # the hidden layer the snapshots' single-layer fields describe
        self.new_run(None)

    def new_run(self, info: RunInfo | None) -> None:
        self._info = info
        self._losses_sent = self._events_sent = 0
        self._snapshot_step = -1         # step of the last snapshot published

    def follow_layer(self, layer: int) -> None:
        self.layer = layer
        self._snapshot_step = -1         # the step shown, measured again for this layer

    def layer_of(self, t: Trainer) -> int:
        """The hidden layer followed, or the trainer's last when it has fewer."""
        return min(self.layer, t.cfg.n_layers - 1)

    def due(self) -> bool:
        return time.perf_counter() - self._last_at >= PUBLISH_INTERVAL_S

    def publish(self, t: Trainer | None, run_id: int, running: bool, applied: int,
                divergence: str | None = None, reply: Reply | None = None, preparing: bool = False) -> None:
        """Hand the mailbox the losses since the last call, the events, and a snapshot when
        there is a step it has not seen (snapshots are taken only here, ~40 times a second),
        with the status and, after a command, its reply."""
        now = self._last_at = time.perf_counter()
        self._count_rate(now, t.step if t is not None else 0, running)
        if t is None:
            if reply is not None:
                self.mailbox.reply(reply)
            return
        rewind = None
        if t.step < self._losses_sent:    # a divergence took back steps already published
            rewind, self._losses_sent = t.losses.copy(), t.step
            self._snapshot_step = -1     # the steps taken again must be drawn, even at the same numbers
        losses = t.losses[self._losses_sent:].copy()
        self._losses_sent = t.step
        events = t.events[self._events_sent:]
        self._events_sent = len(t.events)
        snapshot = None
        if t.last is not None and t.last.step != self._snapshot_step:
            snapshot = t.snapshot(layer=self.layer_of(t))
            self._snapshot_step = snapshot.step
        self.running = running
        status = Status(run_id, t.cfg, t.step, t.lr, t.last.loss if t.last else None, self._rate, running,
                        t.done, t.diverged_at, applied, t.engine_name, t.engine_note, preparing)
        info, self._info = self._info, None
        self.mailbox.publish(losses, events, snapshot, status, divergence, rewind, reply, info)

    def _count_rate(self, now: float, step: int, running: bool) -> None:
        since, at_step = self._rate_mark
        if not running or not self.running:   # paused, or just started: count from here
            self._rate, self._rate_mark = 0.0, (now, step)
        elif now - since >= RATE_INTERVAL_S:
            self._rate = (step - at_step) / (now - since) if step >= at_step else 0.0
            self._rate_mark = (now, step)
