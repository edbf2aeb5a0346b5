"""A record of every run (Reset → training): its settings, loss curve and final losses —
the notebook's "loss log" as data that can be compared, exported and overlaid."""
from __future__ import annotations

import csv
import io
import json
import time
from dataclasses import dataclass, field

from core.config import Config
from core.runs.loss_curve import LossCurve

# what the runs table shows of each run's settings
TABLE_FIELDS = ("batchnorm", "fix_w2", "fix_b2", "fix_w1", "fix_b1", "w1_scale", "n_embed", "n_hidden",
                "block_size", "lr", "lr_decay_step", "lr_after", "batch_size",
                "n_layers", "w1_gain", "activation", "layer_style", "fuse", "bn_dims")


@dataclass
class RunRecord:
    run_id: int                    # this window's key for the run
    name: str
    config: Config | None          # None: a reference row (the lectures' numbers, no setup here)
    started: float = field(default_factory=time.time)
    curve: LossCurve = field(default_factory=LossCurve)
    train_loss: float | None = None
    val_loss: float | None = None
    test_loss: float | None = None
    kind: str = "window"           # core.runs.store.KINDS
    status: str = ""               # core.runs.store.STATUSES, "" before its first step
    number: int | None = None      # its id in the run store, once it is there
    lr_now: float | None = None    # the learning rate in effect at its last step (live changes included)
    stored_steps: int = 0          # a past run's steps as the store has them (its curve loads when drawn)
    past: bool = False             # loaded from the run store: an earlier session's run or a reference row
    data: str = ""                 # where its words came from

    @property
    def steps(self) -> int:
        return max(self.curve.n, self.stored_steps)

    def add_losses(self, losses) -> None:
        """Minibatch losses of the steps just taken (stored as log10, as the notebook's lossi)."""
        self.curve.extend(losses)

    def replace_losses(self, losses) -> None:
        """Start the curve again from a whole loss history (after training took steps back)."""
        self.curve.replace(losses)

    def set_split_losses(self, train: float | None, val: float | None, test: float | None = None) -> None:
        self.train_loss, self.val_loss, self.test_loss = train, val, test

    def row(self) -> dict:
        out = {"run": self.number, "name": self.name, "status": self.status, "kind": self.kind,
               "steps": self.steps, "train": self.train_loss, "val": self.val_loss, "test": self.test_loss}
        out.update({k: getattr(self.config, k) if self.config is not None else None for k in TABLE_FIELDS})
        if self.lr_now is not None:
            out["lr"] = self.lr_now
        out["data"] = self.config.data if self.config is not None else self.data
        return out

    def to_json(self) -> str:
        x, y = self.curve.xy()
        return json.dumps({
            "run": self.number if self.number is not None else self.run_id, "name": self.name,
            "kind": self.kind, "status": self.status, "started": self.started, "steps": self.steps,
            "train_loss": self.train_loss, "val_loss": self.val_loss, "test_loss": self.test_loss,
            "config": self.config.to_dict() if self.config is not None else None,
            "loss_curve": {"step": x.tolist(), "log10_loss": [round(float(v), 6) for v in y]},
        }, indent=1) + "\n"


class RunLog:
    """All runs, oldest first (an earlier session's from the run store, then this one's), and
    the reference rows apart."""

    def __init__(self):
        self.runs: list[RunRecord] = []
        self.references: list[RunRecord] = []
        self._next_id = 1

    def start(self, config: Config, name: str = "", curve: LossCurve | None = None) -> RunRecord:
        """A new run; `curve`: a loss store someone else feeds (the window's run state)."""
        run = RunRecord(self.new_id(), name or f"run {self._next_id}", config, curve=curve or LossCurve())
        self.runs.append(run)
        return run

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id - 1

    def get(self, run_id: int) -> RunRecord | None:
        return next((r for r in self.runs + self.references if r.run_id == run_id), None)

    def delete(self, run_id: int) -> None:
        self.runs = [r for r in self.runs if r.run_id != run_id]

    def to_csv(self) -> str:
        buf = io.StringIO()
        columns = ["run", "name", "status", "kind", "steps", "train", "val", "test", *TABLE_FIELDS, "data"]
        w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
        w.writeheader()
        for r in self.runs:
            w.writerow({k: ("" if v is None else v) for k, v in r.row().items()})
        return buf.getvalue()
