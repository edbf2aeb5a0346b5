"""One trial, wherever it runs (a local thread or a Dask worker process): the plain run's Trainer on
the same setup and seed, so its numbers are the plain run's bit for bit, with the metric measured
every `report_every` steps and a pruner asked whether to go on.

Everything going in (TrialTask) and coming out (TrialOutcome) is plain data, so a task can be
pickled to another machine: the words travel with it, and each process builds a dataset once.
"""
from __future__ import annotations

import hashlib
import io
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from core.config import Config, ConfigError
from core.data import DataError, Dataset

COMPLETE, PRUNED, FAILED, INTERRUPTED = "complete", "pruned", "failed", "interrupted"


@dataclass(frozen=True)
class PastTrial:
    """What a pruner needs to know of a finished trial."""
    state: str                          # COMPLETE or PRUNED
    value: float | None
    reports: dict[int, float]           # step -> metric
    rungs: dict[str, float] = field(default_factory=dict)   # successive halving's promotions


@dataclass(frozen=True)
class TrialTask:
    number: int
    config: dict                        # a Config's fields
    words: tuple[str, ...]              # the word list itself: the worker may have no such file
    metric: str = "val"
    report_every: int = 1000
    pruning: str = "none"
    past: tuple[PastTrial, ...] = ()    # the sweep's finished trials when this one started

    @property
    def words_key(self) -> str:
        return hashlib.sha1("\n".join(self.words).encode()).hexdigest()


@dataclass
class TrialOutcome:
    number: int
    state: str
    value: float | None = None
    steps: int = 0
    reports: dict[int, float] = field(default_factory=dict)
    rungs: dict[str, float] = field(default_factory=dict)
    log10_losses: np.ndarray = field(default_factory=lambda: np.empty(0, np.float32))
    split_losses: dict[str, float] = field(default_factory=dict)
    reason: str | None = None
    weights: bytes | None = None        # a checkpoint (core.checkpoint's format) of the trial's end
    engine: str = ""
    seconds: float = 0.0


_datasets: dict[tuple[str, int], Dataset] = {}
_datasets_lock = threading.Lock()


def dataset_for(task: TrialTask, block_size: int, source: str) -> Dataset:
    """The task's words split and cut as the plain run does, built once per process."""
    key = (task.words_key, block_size)
    with _datasets_lock:
        if key not in _datasets:
            if len(_datasets) > 8:
                _datasets.clear()
            _datasets[key] = Dataset.from_words(list(task.words), block_size, source=source)
        return _datasets[key]


def run_trial(task: TrialTask, cancelled: Callable[[], bool] | None = None,
              on_report: Callable[[int, int, float], None] | None = None) -> TrialOutcome:
    """Train the task's setup to its max_steps, measuring the metric every report_every steps
    (on_report(trial number, step, value) hears each where the trial runs in this process).
    Stops early when the pruner says so (PRUNED) or `cancelled()` turns true (INTERRUPTED);
    a run that diverges or cannot start is FAILED with the reason."""
    torch.set_num_threads(1)    # the plain run's setting: the evaluation's sums then match it bit for bit
    began = time.perf_counter()
    try:
        cfg = Config.from_dict(task.config).validate()
        from core.training.trainer import Trainer
        trainer = Trainer(cfg, dataset_for(task, cfg.block_size, cfg.data))
    except (ConfigError, DataError, ValueError) as e:
        return TrialOutcome(task.number, FAILED, reason=str(e), seconds=time.perf_counter() - began)
    pruner = PruneCheck(task.pruning, task.report_every, task.past)
    out = TrialOutcome(task.number, COMPLETE, engine=trainer.engine_name)
    while not trainer.done:
        trainer.train(task.report_every - trainer.step % task.report_every)
        if trainer.divergence:
            out.state, out.reason = FAILED, trainer.divergence
            break
        if cancelled is not None and cancelled():
            out.state, out.reason = INTERRUPTED, "The sweep was stopped before this trial ended."
            break
        value = trainer.split_loss(task.metric)
        out.reports[trainer.step] = value
        if on_report is not None:
            on_report(task.number, trainer.step, value)
        if not trainer.done and pruner.should_prune(trainer.step, value):
            out.state = PRUNED
            break
    out.steps = trainer.step
    with np.errstate(divide="ignore"):
        out.log10_losses = np.log10(trainer.losses.astype(np.float32))
    out.rungs = pruner.rungs()
    if out.state in (COMPLETE, PRUNED):
        out.split_losses = {task.metric: out.reports[trainer.step]} if trainer.step in out.reports else {}
        for split in ("train", "val"):
            if split not in out.split_losses:
                out.split_losses[split] = trainer.split_loss(split)
        out.value = out.split_losses[task.metric]
        if not math.isfinite(out.value):
            out.state, out.value = FAILED, None
            out.reason = f"The {task.metric} loss is not finite at the end of the trial."
    out.weights = checkpoint_bytes(trainer, task.words)
    out.seconds = time.perf_counter() - began
    return out


def checkpoint_bytes(trainer, words: tuple[str, ...]) -> bytes:
    """What save_checkpoint writes, as bytes: the window and `--load` open it."""
    from core.checkpoint import MAGIC, VERSION
    buffer = io.BytesIO()
    torch.save({"magic": MAGIC, "version": VERSION, "trainer": trainer.state(), "words": list(words),
                "source": trainer.dataset.source}, buffer)
    return buffer.getvalue()


class PruneCheck:
    """Optuna's pruner, asked in the process that trains: an in-memory study holding the sweep's
    finished trials (as they were when this trial started) and this one, reported as it goes."""

    def __init__(self, pruning: str, report_every: int, past: tuple[PastTrial, ...]):
        self.study = self.trial = None
        if pruning == "none":
            return
        import optuna
        from optuna.trial import TrialState, create_trial

        from core.sweeps.search import make_pruner
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.study = optuna.create_study(direction="minimize", pruner=make_pruner(pruning, report_every))
        states = {COMPLETE: TrialState.COMPLETE, PRUNED: TrialState.PRUNED}
        self.study.add_trials([
            create_trial(state=states[p.state], value=p.value if p.state == COMPLETE else None,
                         intermediate_values=p.reports, system_attrs=p.rungs)
            for p in past if p.state in states])
        self.trial = self.study.ask()

    def should_prune(self, step: int, value: float) -> bool:
        if self.trial is None:
            return False
        self.trial.report(value, step)
        return self.trial.should_prune()

    def rungs(self) -> dict[str, float]:
        if self.trial is None:
            return {}
        attrs = self.study.get_trials(deepcopy=False)[-1].system_attrs
        return {k: v for k, v in attrs.items() if k.startswith("completed_rung_")}
