"""Recording runs into the run store without ever slowing or stopping training.

    recorder = RunRecorder.open(path=None, data_dir=None, on_problem=print_line)
    run = recorder.start("headless", name, cfg.to_dict(), dataset_identity(ds), engine, device)
    recorder.add_losses(run, first_step, plain_losses)   # cheap: a copy into memory
    recorder.split_loss(run, "val", 2.1244, step); recorder.status(run, "finished", steps)
    recorder.close()                                      # writes what is left, releases the runs

The training thread only copies losses into memory; a thread of the recorder's own writes
them every `flush_every` seconds (2 s: a killed run keeps all but its last seconds), with
everything else in the order it was asked for. When the store cannot be written (locked
for long, read-only, a full disk) `on_problem` hears one line, the runs stay in memory and
are written when the store works again; nothing raises into training. A store that cannot be
opened at all leaves a recorder that keeps nothing and says so once.
"""
from __future__ import annotations

import hashlib
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.runs.history import log10_losses
from core.runs.store import RunStore, StoreError, StoreRefusal

HEARTBEAT_EVERY = 30.0


def print_line(message: str) -> None:
    print(f"main.py: {message}", file=sys.stderr, flush=True)


def dataset_identity(dataset) -> dict:
    """What identifies a word list: where it came from, its size and a hash of its words."""
    digest = hashlib.sha256("\n".join(dataset.words).encode("utf-8")).hexdigest()
    return {"path": dataset.source, "words": len(dataset.words), "sha256": digest}


@dataclass
class RecordedRun:
    """A run being recorded; `id` is its store id once written (None while it cannot be)."""
    kind: str
    name: str
    start_args: tuple
    id: int | None = None
    pending: list = field(default_factory=list)    # [(first_step, plain losses)] not yet written
    lr: float | None = None                        # the learning rate in effect at the last step
    on_id: Callable[[int], None] | None = None     # told the id once the recorder's thread has it
    closed: bool = False


class RunRecorder:
    def __init__(self, store: RunStore | None, on_problem: Callable[[str], None] = print_line,
                 flush_every: float = 2.0):
        self.store, self.on_problem, self.flush_every = store, on_problem, flush_every
        self._ops: list[tuple[RecordedRun, Callable[[RunStore, int], None]]] = []
        self._runs: list[RecordedRun] = []
        self._cond = threading.Condition()
        self._failing = False
        self._flushed_at = 0      # count of flushes done, for flush() to wait on
        self._wanted = 0
        self._stopping = False
        self._thread = None
        if store is not None:
            self._thread = threading.Thread(target=self._loop, name="run recorder", daemon=True)
            self._thread.start()

    @classmethod
    def open(cls, path=None, data_dir=None, on_problem: Callable[[str], None] = print_line,
             flush_every: float = 2.0) -> RunRecorder:
        try:
            store = RunStore.open_default(path, data_dir)
        except StoreError as e:
            on_problem(f"{e} Runs are not recorded.")
            return cls(None, on_problem, flush_every)
        if store.notice:
            on_problem(store.notice)
        return cls(store, on_problem, flush_every)

    # -- asked for by training (any thread; never blocks on the store) -------------------------
    def start(self, kind: str, name: str, config: dict, dataset: dict, engine: str | None,
              device: str | None, sweep_id: str | None = None, sweep_name: str | None = None,
              wait: bool = True, on_id: Callable[[int], None] | None = None) -> RecordedRun:
        """A new run in the store. `wait=False` (the GUI thread): the recorder's thread writes
        it at once and calls `on_id(id)` there."""
        run = RecordedRun(kind, name, (kind, name, config, dataset, engine, device, sweep_id, sweep_name))
        run.on_id = on_id
        with self._cond:
            self._runs.append(run)
            if not wait:
                self._wanted += 1
                self._cond.notify_all()
        if self.store is not None and wait:
            try:
                run.id = self.store.start_run(*run.start_args)   # one insert: its id at once
            except StoreError as e:
                self._report(e)
        return run

    def add_losses(self, run: RecordedRun, first_step: int, losses, lr: float | None = None) -> None:
        """Plain minibatch losses of steps first_step, ...; `lr`: the rate in effect after them."""
        chunk = np.array(losses, dtype=np.float32)
        with self._cond:
            run.pending.append((first_step, chunk))
            run.lr = lr if lr is not None else run.lr

    def replace_losses(self, run: RecordedRun, losses) -> None:
        """The run took steps back: its whole history is `losses`."""
        chunk = np.array(losses, dtype=np.float32)
        with self._cond:
            run.pending = [(0, chunk)]       # written from step 0, it replaces every later step

    def status(self, run: RecordedRun, status: str, steps: int | None = None) -> None:
        self._later(run, lambda s, i: s.set_status(i, status, steps))

    def split_loss(self, run: RecordedRun, split: str, loss: float, step: int) -> None:
        self._later(run, lambda s, i: s.record_split_loss(i, split, loss, step))

    def live_change(self, run: RecordedRun, step: int, setting: str, old, new) -> None:
        self._later(run, lambda s, i: s.record_live_change(i, step, setting, old, new))

    def samples(self, run: RecordedRun, names, step: int | None = None) -> None:
        names = list(names)
        self._later(run, lambda s, i: s.record_samples(i, names, step))

    def weights(self, run: RecordedRun, checkpoint: bytes, step: int | None = None) -> None:
        self._later(run, lambda s, i: s.save_weights(i, checkpoint, step))

    @staticmethod
    def existing(run_id: int, kind: str = "", name: str = "") -> RecordedRun:
        """A handle on a run already in the store (to rename or delete it through the recorder)."""
        return RecordedRun(kind, name, (), id=run_id, closed=True)

    def weights_file(self, run: RecordedRun, path, step: int | None = None) -> None:
        """The checkpoint file at `path` as the run's weights; the file is removed once read."""
        def write(store: RunStore, run_id: int) -> None:
            try:
                data = Path(path).read_bytes()
            except OSError:
                return                      # gone: nothing to keep
            store.save_weights(run_id, data, step)
            Path(path).unlink(missing_ok=True)
        self._later(run, write)

    def delete(self, run: RecordedRun) -> None:
        with self._cond:
            run.pending = []
        run.closed = True
        self._later(run, lambda s, i: s.delete_run(i))

    def rename(self, run: RecordedRun, name: str) -> None:
        run.name = name
        self._later(run, lambda s, i: s.rename_run(i, name))

    def finish(self, run: RecordedRun) -> None:
        """No more records for this run from this process (its status stays as set)."""
        self._later(run, lambda s, i: s.release(i))
        run.closed = True

    def flush(self, timeout: float = 10.0) -> bool:
        """Write everything asked for so far; False if the store could not take it in time."""
        if self._thread is None:
            return False
        with self._cond:
            self._wanted += 1
            target = self._wanted
            self._cond.notify_all()
            return self._cond.wait_for(lambda: self._flushed_at >= target or self._stopped(), timeout) \
                and not self._failing

    @property
    def closed(self) -> bool:
        return self._stopping

    def close(self, timeout: float = 10.0) -> None:
        """Write what is left (waiting at most `timeout` s), release this process's runs."""
        for run in list(self._runs):
            if not run.closed:
                self.finish(run)
        self.flush(timeout)
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
            if not self._thread.is_alive():
                self.store.close()

    # -- the recorder's thread -------------------------------------------------------------------
    def _later(self, run: RecordedRun, op) -> None:
        with self._cond:
            self._ops.append((run, op))

    def _stopped(self) -> bool:
        return self._stopping and not (self._thread and self._thread.is_alive())

    def _loop(self) -> None:
        beat = time.monotonic()
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._wanted > self._flushed_at or self._stopping, self.flush_every)
                target, stopping = self._wanted, self._stopping
            ok = self._write_all()
            if ok and time.monotonic() - beat > HEARTBEAT_EVERY:
                beat = time.monotonic()
                ok = self._attempt(lambda: [self.store.heartbeat(r.id) for r in self._runs
                                            if r.id is not None and not r.closed])
            with self._cond:
                self._flushed_at = max(self._flushed_at, target)
                self._cond.notify_all()
            if stopping:
                return

    def _write_all(self) -> bool:
        """Every run's pending losses, then the queued records in order; stops at the first
        failure, keeping what is left for the next try."""
        for run in list(self._runs):
            if run.id is None and not self._attempt(self._start_later, run):
                return False
            if not self._write_losses(run):
                return False
        while True:
            with self._cond:
                if not self._ops:
                    break
                run, op = self._ops[0]
            if run.id is None or not self._attempt(op, self.store, run.id):
                return False
            with self._cond:
                self._ops.pop(0)
        with self._cond:
            self._runs = [r for r in self._runs if not (r.closed and not r.pending
                                                         and all(r is not q for q, _ in self._ops))]
        return True

    def _write_losses(self, run: RecordedRun) -> bool:
        with self._cond:
            pending = run.pending
            run.pending = []
        while pending:
            first, chunk = pending[0]
            n, end = 1, first + len(chunk)             # consecutive pieces go in as one
            while n < len(pending) and pending[n][0] == end:
                end += len(pending[n][1])
                n += 1
            values = log10_losses(np.concatenate([c for _, c in pending[:n]]))
            if not self._attempt(self.store.append_losses, run.id, first, values, run.lr):
                with self._cond:
                    run.pending = pending + run.pending
                return False
            pending = pending[n:]
        return True

    def _start_later(self, run: RecordedRun) -> None:
        run.id = self.store.start_run(*run.start_args)
        if run.on_id is not None:
            run.on_id(run.id)

    def _attempt(self, write, *args) -> bool:
        try:
            write(*args)
        except StoreRefusal as e:
            self.on_problem(str(e))         # said, and not tried again
            return True
        except StoreError as e:
            self._report(e)
            return False
        if self._failing:
            self._failing = False
            self.on_problem("The run store works again: the runs kept in memory are written.")
        return True

    def _report(self, e: StoreError) -> None:
        if not self._failing:
            self._failing = True
            self.on_problem(f"{e} Runs are kept in memory and written when it can be.")
