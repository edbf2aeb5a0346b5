"""The run store: every run the window, the command line and sweeps make, in one SQLite file.

Where: `--runs-db PATH`, else `$MAKEMORE_RUNS_DB`, else the data folder the window passes
(Qt's AppDataLocation), else `$XDG_DATA_HOME/makemore-playground/runs.sqlite3`
(`~/.local/share/...`). `RunStore.open_default(path=None, data_dir=None)` picks it.

Public API (stable; the sweeps and the window use it; every method is one short transaction,
any sqlite or file error becomes a `StoreError` whose message is one line):

    store = RunStore(path)                    # creates or migrates; marks dead owners' runs interrupted
    run_id = store.start_run(kind, name, config: dict, dataset: dict, engine, device,
                             sweep_id=None, sweep_name=None)   # status "running", owned by this process
    store.append_losses(run_id, first_step, log10_losses, lr=None)  # replaces steps from first_step on;
                                              # lr: the learning rate in effect after them
    store.truncate_losses(run_id, steps)      # the run took steps back (a divergence)
    store.set_status(run_id, status, steps=None)   # STATUSES; finished/diverged/interrupted release it;
                                              # steps never lowers the count (truncate_losses does)
    store.release(run_id)                     # no process owns it any more (a window closed)
    store.heartbeat(run_id)                   # "still alive" for crash detection
    store.record_split_loss(run_id, split, loss, step)
    store.record_live_change(run_id, step, setting, old, new)
    store.record_samples(run_id, names, step=None)
    store.save_weights(run_id, checkpoint_bytes, step=None) / store.load_weights(run_id) -> bytes | None
    store.list_runs(kind=None, status=None, sweep_id=None, name=None, dataset=None, limit=None)
        -> [StoredRun], newest first (reference rows last)
    store.get_run(run_id) -> StoredRun | None;  store.losses(run_id) -> float32 log10 per step
    store.live_changes(run_id), store.split_losses(run_id), store.samples(run_id)
    store.rename_run(run_id, name);  store.delete_run(run_id)   # reference rows are read-only

Kinds: KINDS ("window", "headless", "loss-log", "sweep-trial", "reference"). A `StoredRun`'s
train/val/test are the latest split loss of each split with the step it was measured at.

Crashes: a run has an owner (pid, host) and a heartbeat while a process trains it. Opening
a store marks "interrupted" every owned running/paused run whose process is gone (same host,
pid dead) or whose heartbeat is older than STALE_AFTER seconds (another host).

Faults: `open_store(path)` moves a file that is not a SQLite database aside as
`NAME.corrupt-YYYYMMDD-HHMMSS` and starts a new store, saying so in `store.notice`.
Writers that must never stop training use `core.runs.recorder.RunRecorder`.
"""
from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.runs.reference import REFERENCES

RUNS_DB_ENV = "MAKEMORE_RUNS_DB"
APP_FOLDER = "makemore-playground"
FILE_NAME = "runs.sqlite3"
KINDS = ("window", "headless", "loss-log", "sweep-trial", "reference")
STATUSES = ("running", "paused", "finished", "diverged", "interrupted")
RELEASING = ("finished", "diverged", "interrupted")
STALE_AFTER = 300.0     # seconds without a heartbeat before another host's run counts as dead
BUSY_TIMEOUT_MS = 5000
SCHEMA_VERSION = 1

_SCHEMA_1 = """
CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, kind TEXT NOT NULL,
    status TEXT NOT NULL, sweep_id TEXT, sweep_name TEXT, config TEXT NOT NULL,
    dataset TEXT NOT NULL, engine TEXT, device TEXT, started REAL NOT NULL,
    updated REAL NOT NULL, steps INTEGER NOT NULL DEFAULT 0, lr REAL,
    owner_pid INTEGER, owner_host TEXT, heartbeat REAL, note TEXT);
CREATE INDEX runs_sweep ON runs(sweep_id);
CREATE TABLE losses (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    first_step INTEGER NOT NULL, log10 BLOB NOT NULL, PRIMARY KEY (run_id, first_step));
CREATE TABLE split_losses (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    split TEXT NOT NULL, loss REAL NOT NULL, step INTEGER NOT NULL, at REAL NOT NULL);
CREATE INDEX split_losses_run ON split_losses(run_id);
CREATE TABLE live_changes (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    step INTEGER NOT NULL, setting TEXT NOT NULL, old TEXT, new TEXT);
CREATE INDEX live_changes_run ON live_changes(run_id);
CREATE TABLE samples (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    step INTEGER, names TEXT NOT NULL, at REAL NOT NULL);
CREATE TABLE weights (
    run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
    step INTEGER, checkpoint BLOB NOT NULL, saved REAL NOT NULL);
"""
# MIGRATIONS[v] takes a store from schema v to v + 1; append, never edit.
MIGRATIONS = {0: _SCHEMA_1}


class StoreError(Exception):
    """The run store cannot be read or written; the message is one line for a person."""


class StoreRefusal(StoreError):
    """The store works, but will not do this: no such run, or a read-only reference row."""


@dataclass
class StoredRun:
    id: int
    name: str
    kind: str
    status: str
    config: dict
    dataset: dict
    engine: str | None
    device: str | None
    started: float
    updated: float
    steps: int
    lr: float | None = None           # the learning rate in effect at the last step recorded
    sweep_id: str | None = None
    sweep_name: str | None = None
    note: str | None = None
    splits: dict = field(default_factory=dict)   # split -> (loss, step), the latest of each

    def loss(self, split: str) -> float | None:
        return self.splits[split][0] if split in self.splits else None

    @property
    def train(self) -> float | None:
        return self.loss("train")

    @property
    def val(self) -> float | None:
        return self.loss("val")

    @property
    def test(self) -> float | None:
        return self.loss("test")

    def summary(self) -> dict:
        """What `runs list --json` prints of it."""
        return {"id": self.id, "name": self.name, "kind": self.kind, "status": self.status,
                "steps": self.steps, "train": self.train, "val": self.val, "test": self.test,
                "lr": self.lr, "engine": self.engine, "device": self.device, "started": self.started,
                "updated": self.updated, "sweep_id": self.sweep_id, "sweep_name": self.sweep_name,
                "dataset": self.dataset, "config": self.config}


def default_path(data_dir: str | os.PathLike | None = None) -> Path:
    if os.environ.get(RUNS_DB_ENV):
        return Path(os.environ[RUNS_DB_ENV]).expanduser()
    if data_dir:
        return Path(data_dir) / FILE_NAME
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / APP_FOLDER / FILE_NAME


def one_line(e: BaseException) -> str:
    text = getattr(e, "strerror", None) or str(e) or type(e).__name__
    return " ".join(str(text).split())


def _why(path: Path, e: BaseException) -> str:
    """What keeps a store from opening, in words: sqlite's "unable to open" says little."""
    try:
        if os.statvfs(path.parent).f_flag & os.ST_RDONLY:
            return "its folder is on a Read-only file system"
    except OSError:
        pass
    return one_line(e)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class RunStore:
    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.notice: str | None = None         # set by open_store when it had to move a file aside
        self._lock = threading.Lock()
        self._host, self._pid = socket.gethostname(), os.getpid()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                                       check_same_thread=False)
        except (OSError, sqlite3.Error) as e:
            raise StoreError(f"Cannot open the run store {self.path}: {_why(self.path, e)}.") from None
        try:
            self._execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS:d}")
            self._execute("PRAGMA foreign_keys = ON")
            self._execute("PRAGMA journal_mode = WAL")
            self._migrate()
            self.mark_interrupted()
        except StoreError:
            self._db.close()
            raise

    @classmethod
    def open_default(cls, path: str | os.PathLike | None = None,
                     data_dir: str | os.PathLike | None = None) -> RunStore:
        return open_store(path or default_path(data_dir))

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- plumbing ----------------------------------------------------------------------
    def _execute(self, sql: str, args=(), many=False) -> list:
        with self._lock:
            try:
                cur = self._db.executemany(sql, args) if many else self._db.execute(sql, args)
                return cur.fetchall()
            except sqlite3.Error as e:
                raise StoreError(f"The run store {self.path} cannot be used: {one_line(e)}.") from None

    def _transaction(self, statements) -> None:
        """[(sql, args)] in one short write transaction."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    for sql, args in statements:
                        self._db.execute(sql, args)
                    self._db.execute("COMMIT")
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
            except sqlite3.Error as e:
                raise StoreError(f"The run store {self.path} cannot be written: {one_line(e)}.") from None

    def _migrate(self) -> None:
        version = self._execute("PRAGMA user_version")[0][0]
        if version > SCHEMA_VERSION:
            raise StoreError(f"The run store {self.path} was written by a newer version of the app "
                             f"(schema {version}, this one reads up to {SCHEMA_VERSION}).")
        while version < SCHEMA_VERSION:
            with self._lock:
                try:
                    self._db.execute("BEGIN IMMEDIATE")
                    now = self._db.execute("PRAGMA user_version").fetchone()[0]
                    if now == version:          # another process may have migrated meanwhile
                        for sql in MIGRATIONS[version].split(";"):
                            if sql.strip():
                                self._db.execute(sql)
                        if version == 0:
                            self._add_references()
                        self._db.execute(f"PRAGMA user_version = {version + 1}")
                    self._db.execute("COMMIT")
                except sqlite3.Error as e:
                    if self._db.in_transaction:
                        self._db.execute("ROLLBACK")
                    raise StoreError(f"The run store {self.path} cannot be set up: {one_line(e)}.") from None
            version = self._execute("PRAGMA user_version")[0][0]

    def _add_references(self) -> None:
        now = time.time()
        for r in REFERENCES:
            cur = self._db.execute(
                "INSERT INTO runs (name, kind, status, config, dataset, started, updated, steps, note) "
                "VALUES (?, 'reference', 'finished', '{}', ?, ?, ?, ?, ?)",
                (r.name, json.dumps({"source": r.source}), now, now, r.steps, r.about))
            for split, loss in (("train", r.train), ("val", r.val)):
                self._db.execute("INSERT INTO split_losses VALUES (?, ?, ?, ?, ?)",
                                 (cur.lastrowid, split, loss, r.steps, now))

    # -- writing -----------------------------------------------------------------------
    def start_run(self, kind: str, name: str, config: dict, dataset: dict, engine: str | None,
                  device: str | None, sweep_id: str | None = None, sweep_name: str | None = None) -> int:
        if kind not in KINDS or kind == "reference":
            raise ValueError(f"Unknown run kind {kind!r}: use one of {', '.join(KINDS[:-1])}.")
        now = time.time()
        with self._lock:
            try:
                cur = self._db.execute(
                    "INSERT INTO runs (name, kind, status, sweep_id, sweep_name, config, dataset, engine, "
                    "device, started, updated, lr, owner_pid, owner_host, heartbeat) "
                    "VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (name, kind, sweep_id, sweep_name, json.dumps(config), json.dumps(dataset), engine,
                     device, now, now, config.get("lr"), self._pid, self._host, now))
                return int(cur.lastrowid)
            except sqlite3.Error as e:
                raise StoreError(f"The run store {self.path} cannot be written: {one_line(e)}.") from None

    def append_losses(self, run_id: int, first_step: int, log10_losses, lr: float | None = None) -> None:
        """log10 minibatch losses of steps first_step, first_step + 1, ...; steps from
        first_step on that were stored before are replaced."""
        values = np.ascontiguousarray(log10_losses, dtype=np.float32)
        end = first_step + len(values)
        now = time.time()
        statements = self._cut_statements(run_id, first_step)
        if len(values):
            statements.append(("INSERT INTO losses VALUES (?, ?, ?)", (run_id, first_step, values.tobytes())))
        statements.append(("UPDATE runs SET steps = ?, updated = ?, heartbeat = ?, lr = COALESCE(?, lr) "
                           "WHERE id = ?", (end, now, now, lr, run_id)))
        self._transaction(statements)

    def truncate_losses(self, run_id: int, steps: int) -> None:
        self._transaction(self._cut_statements(run_id, steps)
                          + [("UPDATE runs SET steps = ?, updated = ? WHERE id = ?", (steps, time.time(), run_id))])

    def _cut_statements(self, run_id: int, steps: int) -> list:
        """Statements that drop every stored loss of step `steps` and after."""
        out = [("DELETE FROM losses WHERE run_id = ? AND first_step >= ?", (run_id, steps))]
        row = self._execute("SELECT first_step, log10 FROM losses WHERE run_id = ? AND first_step < ? "
                            "ORDER BY first_step DESC LIMIT 1", (run_id, steps))
        if row and row[0][0] + len(row[0][1]) // 4 > steps:
            first, blob = row[0]
            out.append(("UPDATE losses SET log10 = ? WHERE run_id = ? AND first_step = ?",
                        (blob[: (steps - first) * 4], run_id, first)))
        return out

    def set_status(self, run_id: int, status: str, steps: int | None = None) -> None:
        if status not in STATUSES:
            raise ValueError(f"Unknown run status {status!r}: use one of {', '.join(STATUSES)}.")
        owner = "owner_pid = NULL, owner_host = NULL" if status in RELEASING else "owner_pid = ?, owner_host = ?"
        args = () if status in RELEASING else (self._pid, self._host)
        now = time.time()
        self._transaction([(f"UPDATE runs SET status = ?, updated = ?, heartbeat = ?, {owner}, "
                            "steps = MAX(steps, COALESCE(?, steps)) WHERE id = ? AND kind != 'reference'",
                            (status, now, now, *args, steps, run_id))])

    def release(self, run_id: int) -> None:
        self._transaction([("UPDATE runs SET owner_pid = NULL, owner_host = NULL, "
                            "status = CASE status WHEN 'running' THEN 'paused' ELSE status END "
                            "WHERE id = ?", (run_id,))])

    def heartbeat(self, run_id: int) -> None:
        self._transaction([("UPDATE runs SET heartbeat = ? WHERE id = ?", (time.time(), run_id))])

    def record_split_loss(self, run_id: int, split: str, loss: float, step: int) -> None:
        self._transaction([("INSERT INTO split_losses VALUES (?, ?, ?, ?, ?)",
                            (run_id, split, float(loss), int(step), time.time()))])

    def record_live_change(self, run_id: int, step: int, setting: str, old, new) -> None:
        """A setting changed while training, before step `step` (the rate in effect reaches
        the row with the next append_losses' `lr`)."""
        self._transaction([("INSERT INTO live_changes VALUES (?, ?, ?, ?, ?)",
                            (run_id, int(step), setting, json.dumps(old), json.dumps(new)))])

    def record_samples(self, run_id: int, names, step: int | None = None) -> None:
        self._transaction([("INSERT INTO samples VALUES (?, ?, ?, ?)",
                            (run_id, step, json.dumps(list(names)), time.time()))])

    def save_weights(self, run_id: int, checkpoint_bytes: bytes, step: int | None = None) -> None:
        self._transaction([("INSERT OR REPLACE INTO weights VALUES (?, ?, ?, ?)",
                            (run_id, step, sqlite3.Binary(checkpoint_bytes), time.time()))])

    def rename_run(self, run_id: int, name: str) -> None:
        self._check_editable(run_id)
        self._transaction([("UPDATE runs SET name = ?, updated = ? WHERE id = ?", (name, time.time(), run_id))])

    def delete_run(self, run_id: int) -> None:
        """The run, its losses, split losses, live changes, samples and weights."""
        self._check_editable(run_id)
        self._transaction([("DELETE FROM runs WHERE id = ?", (run_id,))])

    def _check_editable(self, run_id: int) -> None:
        row = self._execute("SELECT kind FROM runs WHERE id = ?", (run_id,))
        if not row:
            raise StoreRefusal(f"There is no run {run_id} in the run store.")
        if row[0][0] == "reference":
            raise StoreRefusal(f"Run {run_id} is a reference row (the lectures' numbers); it cannot be changed.")

    def mark_interrupted(self) -> list[int]:
        """Runs whose owning process is gone become "interrupted"; their ids."""
        rows = self._execute("SELECT id, owner_pid, owner_host, heartbeat FROM runs "
                             "WHERE status IN ('running', 'paused') AND owner_pid IS NOT NULL")
        now = time.time()
        dead = [rid for rid, pid, host, beat in rows
                if (host == self._host and pid != self._pid and not _pid_alive(pid))
                or (host != self._host and (beat or 0) < now - STALE_AFTER)]
        if dead:
            self._transaction([("UPDATE runs SET status = 'interrupted', owner_pid = NULL, owner_host = NULL "
                                "WHERE id = ? AND owner_pid IS NOT NULL", (rid,)) for rid in dead])
        return dead

    # -- reading -----------------------------------------------------------------------
    _COLUMNS = ("id, name, kind, status, config, dataset, engine, device, started, updated, steps, lr, "
                "sweep_id, sweep_name, note")

    def list_runs(self, kind: str | None = None, status: str | None = None, sweep_id: str | None = None,
                  name: str | None = None, dataset: str | None = None, limit: int | None = None) -> list[StoredRun]:
        """Newest first, the reference rows last; `name` and `dataset` match any part, any case."""
        where, args = [], []
        for column, value in (("kind", kind), ("status", status), ("sweep_id", sweep_id)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        for column, value in (("name", name), ("dataset", dataset)):
            if value:
                where.append(f"{column} LIKE ? ESCAPE '\\'")
                args.append("%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
        sql = (f"SELECT {self._COLUMNS} FROM runs" + (" WHERE " + " AND ".join(where) if where else "")
               + " ORDER BY kind = 'reference', started DESC, id DESC" + (f" LIMIT {int(limit)}" if limit else ""))
        runs = [self._run(row) for row in self._execute(sql, args)]
        by_id = {r.id: r for r in runs}
        if by_id:
            marks = ",".join("?" * len(by_id))
            for rid, split, loss, step in self._execute(
                    f"SELECT run_id, split, loss, step FROM split_losses WHERE run_id IN ({marks}) "
                    "ORDER BY at, rowid", list(by_id)):
                by_id[rid].splits[split] = (loss, step)
        return runs

    def get_run(self, run_id: int) -> StoredRun | None:
        row = self._execute(f"SELECT {self._COLUMNS} FROM runs WHERE id = ?", (run_id,))
        if not row:
            return None
        run = self._run(row[0])
        for split, loss, step in self._execute("SELECT split, loss, step FROM split_losses WHERE run_id = ? "
                                               "ORDER BY at, rowid", (run_id,)):
            run.splits[split] = (loss, step)
        return run

    @staticmethod
    def _run(row) -> StoredRun:
        (rid, name, kind, status, config, dataset, engine, device, started, updated, steps, lr,
         sweep_id, sweep_name, note) = row
        return StoredRun(rid, name, kind, status, json.loads(config), json.loads(dataset), engine, device,
                         started, updated, steps, lr, sweep_id, sweep_name, note)

    def losses(self, run_id: int) -> np.ndarray:
        """The log10 loss of every step stored, in step order (NaN where a step is missing)."""
        rows = self._execute("SELECT first_step, log10 FROM losses WHERE run_id = ? ORDER BY first_step", (run_id,))
        if not rows:
            return np.empty(0, dtype=np.float32)
        end = max(first + len(blob) // 4 for first, blob in rows)
        out = np.full(end, np.nan, dtype=np.float32)
        for first, blob in rows:
            chunk = np.frombuffer(blob, dtype=np.float32)
            out[first:first + len(chunk)] = chunk
        return out

    def split_losses(self, run_id: int) -> list[tuple[str, float, int]]:
        return [tuple(r) for r in self._execute(
            "SELECT split, loss, step FROM split_losses WHERE run_id = ? ORDER BY at, rowid", (run_id,))]

    def live_changes(self, run_id: int) -> list[tuple[int, str, object, object]]:
        return [(step, setting, json.loads(old), json.loads(new)) for step, setting, old, new in self._execute(
            "SELECT step, setting, old, new FROM live_changes WHERE run_id = ? ORDER BY rowid", (run_id,))]

    def samples(self, run_id: int) -> list[str]:
        """The names sampled last."""
        row = self._execute("SELECT names FROM samples WHERE run_id = ? ORDER BY rowid DESC LIMIT 1", (run_id,))
        return json.loads(row[0][0]) if row else []

    def load_weights(self, run_id: int) -> bytes | None:
        row = self._execute("SELECT checkpoint FROM weights WHERE run_id = ?", (run_id,))
        return bytes(row[0][0]) if row else None

    def integrity(self) -> str:
        return self._execute("PRAGMA integrity_check")[0][0]


def open_store(path: str | os.PathLike) -> RunStore:
    """A RunStore at `path`; a file there that is not a SQLite database is moved aside (never
    deleted) and a new store started, with `notice` saying where the old file went."""
    path = Path(path)
    try:
        return RunStore(path)
    except StoreError as e:
        if not _not_a_database(path, str(e)):
            raise
    aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
    try:
        os.replace(path, aside)
        for suffix in ("-wal", "-shm"):
            extra = path.with_name(path.name + suffix)
            if extra.exists():
                os.replace(extra, aside.with_name(aside.name + suffix))
    except OSError as e:
        raise StoreError(f"The run store {path} is corrupt and cannot be moved aside: {one_line(e)}.") from None
    store = RunStore(path)
    store.notice = f"The run store {path} was corrupt: moved aside to {aside.name}; a new store started."
    return store


def _not_a_database(path: Path, message: str) -> bool:
    return path.is_file() and ("not a database" in message or "malformed" in message)
