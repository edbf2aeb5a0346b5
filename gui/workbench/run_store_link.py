"""RunStoreLink: the window's side of the run store (core.runs.store). It loads the runs of
earlier sessions and the reference rows into the runs table's log, loads a past run's curve
when it is first drawn, and records the window's runs through a RunRecorder, whose thread
does every write: the GUI thread only reads (WAL readers never wait for a writer) and hands
over copies. A store that fails says so once in the status bar; the runs stay in the table."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, Signal

from core.config import Config, ConfigError
from core.runs.recorder import RecordedRun, RunRecorder
from core.runs.records import RunLog, RunRecord
from core.runs.store import StoredRun, StoreError
from gui.bridge import commands

LIVE_SETTINGS = ("lr", "lr_decay_step", "lr_after", "batch_size", "max_steps")


def status_of(s) -> str:
    """A window Status in the store's words."""
    if s.diverged_at is not None:
        return "diverged"
    return "finished" if s.done else "running" if s.running else "paused"


class RunStoreLink(QObject):
    problem = Signal(str)       # one line, from any thread: the store could not be used
    numbered = Signal(int)      # a record (its window id) got its number in the store

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        data_dir = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
        self.opening_notes: list[str] = []              # what opening the store said (nobody listens yet)
        self.recorder = RunRecorder.open(data_dir=data_dir or None, on_problem=self.opening_notes.append)
        self.recorder.on_problem = self.problem.emit
        self.handles: dict[int, RecordedRun] = {}      # record id -> its run in the store
        self._folder: str | None = None                 # checkpoints on their way into the store

    @property
    def store(self):
        return self.recorder.store

    # -- past runs -------------------------------------------------------------------------
    def load_past(self, log: RunLog) -> None:
        """Every run in the store into `log`: the runs oldest first, the reference rows apart."""
        if self.store is None:
            return
        try:
            stored = self.store.list_runs()
        except StoreError as e:
            self.problem.emit(str(e))
            return
        for s in reversed(stored):
            record = self._record(log.new_id(), s)
            self.handles[record.run_id] = RunRecorder.existing(s.id, s.kind, s.name)
            (log.references if s.kind == "reference" else log.runs).append(record)
        log.references.reverse()          # as the store lists them

    def past_run(self, log: RunLog, number: int) -> RunRecord | None:
        """The stored run `number` (written by someone else: a sweep's trial) as a record of `log`,
        not yet in its list; None if the store has no such run."""
        if self.store is None:
            return None
        try:
            s = self.store.get_run(number)
        except StoreError as e:
            self.problem.emit(str(e))
            return None
        if s is None:
            return None
        record = self._record(log.new_id(), s)
        self.handles[record.run_id] = RunRecorder.existing(s.id, s.kind, s.name)
        return record

    @staticmethod
    def _record(key: int, s: StoredRun) -> RunRecord:
        try:
            config = Config.from_dict(s.config) if s.config else None
        except (ConfigError, TypeError, ValueError):
            config = None
        return RunRecord(key, s.name, config, started=s.started, train_loss=s.train, val_loss=s.val,
                         test_loss=s.test, kind=s.kind, status=s.status, number=s.id, lr_now=s.lr,
                         stored_steps=s.steps, data=s.dataset.get("path") or s.dataset.get("source", ""),
                         past=True)

    def load_curve(self, record: RunRecord) -> None:
        """A past run's loss curve, read the first time it is drawn."""
        if not record.past or record.curve.n or not record.stored_steps or self.store is None:
            return
        try:
            record.curve.extend_log10(self.store.losses(record.number))
        except StoreError as e:
            self.problem.emit(str(e))

    def weights(self, record: RunRecord) -> Path | None:
        """A stored run's weights as a checkpoint file (for File ▸ Open checkpoint's path)."""
        if record.number is None or self.store is None:
            return None
        data = self.store.load_weights(record.number)
        if data is None:
            return None
        path = Path(self._temp_folder()) / f"run {record.number}.checkpoint"
        path.write_bytes(data)
        return path

    # -- the window's runs ---------------------------------------------------------------------
    def handle(self, record: RunRecord) -> RecordedRun | None:
        return self.handles.get(record.run_id)

    def begin(self, record: RunRecord, dataset: dict, engine: str, device: str) -> RecordedRun:
        key = record.run_id
        handle = self.recorder.start(record.kind, record.name, record.config.to_dict(), dataset, engine, device,
                                     wait=False, on_id=lambda _id: self.numbered.emit(key))
        self.handles[record.run_id] = handle
        return handle

    def finish(self, record: RunRecord) -> None:
        if (h := self.handles.get(record.run_id)) is not None:
            self.recorder.finish(h)

    def record_losses(self, record: RunRecord, info, status, losses) -> None:
        """The window's run took steps (`losses`, already in its curve); its first makes it a run
        in the store."""
        handle = self.handles.get(record.run_id)
        if handle is None:
            engine = status.engine if status is not None and status.engine else record.config.engine
            handle = self.begin(record, info.dataset, engine, record.config.device)
            record.status = "running"
        self.recorder.add_losses(handle, record.steps - len(losses), losses)

    def record_rewind(self, record: RunRecord, losses) -> None:
        if (h := self.handles.get(record.run_id)) is not None:
            self.recorder.replace_losses(h, losses)

    def record_status(self, record: RunRecord, before, s) -> bool:
        """The run's status, live changes and learning rate now, in its record and the store;
        True when its status changed."""
        handle = self.handles.get(record.run_id)
        if s.step == 0 or handle is None:
            return False
        record.lr_now, handle.lr = s.lr, s.lr
        if before is not None:
            for k in LIVE_SETTINGS:
                old, new = getattr(before.cfg, k), getattr(s.cfg, k)
                if old != new:
                    self.recorder.live_change(handle, s.step, k, old, new)
        record.config = s.cfg
        status = status_of(s)
        if status == record.status:
            return False
        record.status = status
        self.recorder.status(handle, status, s.step)
        return True

    def record_split_losses(self, record: RunRecord, losses: dict, step: int) -> None:
        if (h := self.handles.get(record.run_id)) is not None:
            for split, loss in losses.items():
                self.recorder.split_loss(h, split, loss, step)

    def record_samples(self, record: RunRecord, samples) -> None:
        if (h := self.handles.get(record.run_id)) is not None:
            self.recorder.samples(h, [s.notebook_line for s in samples], record.steps)

    def save_weights(self, record: RunRecord, session) -> None:
        """The run's weights into the store: a checkpoint the worker writes to a temporary
        file, which the recorder's thread reads in (a failure keeps the previous stop's)."""
        handle = self.handles.get(record.run_id)
        if handle is None:
            return
        path = Path(self._temp_folder()) / f"record-{record.run_id}-{record.steps}.checkpoint"
        session.command(commands.SaveCheckpoint(path),
                        on_result=lambda step: self.recorder.weights_file(handle, path, step),
                        on_error=lambda message: None)

    def sync_number(self, record: RunRecord) -> None:
        h = self.handles.get(record.run_id)
        if h is not None and h.id is not None:
            record.number = h.id

    def forget(self, record: RunRecord) -> None:
        """The record left the table: its stored run goes too (the reference rows never)."""
        h = self.handles.pop(record.run_id, None)
        if h is not None and record.kind != "reference":
            self.recorder.delete(h)

    def rename(self, record: RunRecord) -> None:
        h = self.handles.get(record.run_id)
        if h is not None:
            self.recorder.rename(h, record.name)

    def _temp_folder(self) -> str:
        if self._folder is None:
            self._folder = tempfile.mkdtemp(prefix="makemore-runs-")
        return self._folder

    def close(self) -> None:
        if self.recorder.closed:
            return
        self.recorder.close(timeout=3.0)
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None
