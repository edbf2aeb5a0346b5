"""The sweep's loop, wherever its trials run: ask Optuna for a trial, start it on a free slot,
tell Optuna how it ended, until the spec's number of trials has finished or `stop` is set.

Finished trials are in the journal the moment they end, so a sweep stopped (Ctrl+C, a closed
window) or killed goes on with `resume`: trials that were running when it stopped are run again
with the same settings, finished ones never.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import optuna
from optuna.trial import FrozenTrial, TrialState

from core.config import ConfigError
from core.data import words_from_source
from core.sweeps.records import TrialRecords
from core.sweeps.search import distributions, finished
from core.sweeps.spec import SweepSpec
from core.sweeps.trial import COMPLETE, FAILED, INTERRUPTED, PRUNED, PastTrial, TrialOutcome, TrialTask

WAIT_S = 0.2


@dataclass
class TrialRow:
    """One trial as the table, the plots and `--json` show it."""
    number: int
    state: str                          # running, complete, pruned, failed, interrupted
    params: dict
    val: float | None = None            # the spec's metric at the end
    run_id: int | None = None
    steps: int = 0
    reason: str | None = None
    reports: dict[int, float] = field(default_factory=dict)
    seconds: float | None = None

    def to_json(self) -> dict:
        return {"number": self.number, "state": self.state, "params": self.params, "val": self.val,
                "run_id": self.run_id, "steps": self.steps, "reason": self.reason, "seconds": self.seconds,
                "reports": {str(k): v for k, v in sorted(self.reports.items())}}


def row_of(t: FrozenTrial) -> TrialRow:
    a = t.user_attrs
    state = {TrialState.COMPLETE: COMPLETE, TrialState.PRUNED: PRUNED, TrialState.RUNNING: "running",
             TrialState.WAITING: "waiting"}.get(t.state, FAILED)
    if a.get("interrupted"):
        state = INTERRUPTED
    return TrialRow(t.number, state, dict(t.params), t.value if t.state == TrialState.COMPLETE else None,
                    a.get("run_id"), a.get("steps", 0), a.get("reason"), dict(t.intermediate_values),
                    a.get("seconds"))


def trial_rows(study: optuna.Study, with_interrupted: bool = False) -> list[TrialRow]:
    return [row_of(t) for t in study.get_trials(deepcopy=False)
            if with_interrupted or not t.user_attrs.get("interrupted")]


@dataclass
class Running:
    trial: optuna.Trial
    task: TrialTask | None
    run_id: int | None


class Sweep:
    """on_event(kind, row): "started" when a trial starts, "finished" when it ends (any state),
    called on the thread that runs the sweep."""

    def __init__(self, spec: SweepSpec, study: optuna.Study, runner, records: TrialRecords | None = None,
                 on_event: Callable[[str, TrialRow], None] | None = None, words: tuple[str, ...] | None = None):
        self.spec, self.study, self.runner, self.records = spec, study, runner, records
        self.on_event = on_event or (lambda kind, row: None)
        self.words = words
        self.dists = distributions(spec)

    @property
    def total(self) -> int:
        return self.spec.trials

    def done(self) -> int:
        return sum(1 for t in self.study.get_trials(deepcopy=False) if finished(t))

    def run(self, stop: threading.Event) -> list[TrialRow]:
        self.recover()
        if self.words is None:
            self.words = tuple(words_from_source(self.spec.base.data))
        pending: dict[object, Running] = {}
        try:
            while True:
                while not stop.is_set() and len(pending) < self.runner.slots() and \
                        self.done() + len(pending) < self.total:
                    self._start(pending)
                if not pending:
                    break
                if stop.is_set():
                    for handle in self.runner.stop(list(pending)):
                        self._interrupted(pending.pop(handle))
                for handle, result in self.runner.wait(list(pending), WAIT_S):
                    self._ended(pending, handle, result)
        finally:
            for running in pending.values():       # only when the loop itself failed
                self._interrupted(running)
        return trial_rows(self.study)

    # -- one trial -----------------------------------------------------------------------
    def _start(self, pending: dict) -> None:
        trial = self.study.ask(self.dists)
        params = dict(trial.params)
        try:
            cfg = self.spec.config_for(params)
        except ConfigError as e:
            self._tell(Running(trial, None, None), TrialOutcome(trial.number, FAILED, reason=str(e)))
            return
        run_id = self.records.start(trial.number, params, cfg) if self.records else None
        trial.set_user_attr("run_id", run_id)
        task = TrialTask(trial.number, cfg.to_dict(), self.words, self.spec.metric, self.spec.report_every,
                         self.spec.pruning, self._past())
        pending[self.runner.submit(task)] = Running(trial, task, run_id)
        self.on_event("started", TrialRow(trial.number, "running", params, run_id=run_id))

    def _past(self) -> tuple[PastTrial, ...]:
        out = []
        for t in self.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED)):
            out.append(PastTrial(COMPLETE if t.state == TrialState.COMPLETE else PRUNED, t.value,
                                 dict(t.intermediate_values), dict(t.user_attrs.get("rungs", {}))))
        return tuple(out)

    def _ended(self, pending: dict, handle, result) -> None:
        running = pending.pop(handle)
        if isinstance(result, BaseException):
            again = self.runner.retry(handle, running.task, result)
            if again is not None:
                pending[again] = running
                return
            result = TrialOutcome(running.trial.number, FAILED, reason=f"The trial could not run on "
                                  f"{self.runner.where}: {type(result).__name__}: {result}")
        self._tell(running, result)

    def _interrupted(self, running: Running) -> None:
        self._tell(running, TrialOutcome(running.trial.number, INTERRUPTED,
                                         reason="The sweep was stopped before this trial ended."))

    def _tell(self, running: Running, outcome: TrialOutcome) -> None:
        trial = running.trial
        for step, value in sorted(outcome.reports.items()):
            trial.report(value, step)
        for key, value in (("steps", outcome.steps), ("reason", outcome.reason), ("rungs", outcome.rungs),
                           ("seconds", round(outcome.seconds, 3)), ("interrupted", outcome.state == INTERRUPTED)):
            trial.set_user_attr(key, value)
        # the run first, then the journal: a sweep killed between the two runs the trial again
        # (its run marked interrupted), never leaves a finished trial whose run has no losses
        if self.records and running.run_id is not None:
            self.records.finish(running.run_id, outcome)
        if outcome.state == COMPLETE:
            self.study.tell(trial, outcome.value)
        else:
            self.study.tell(trial, state=TrialState.PRUNED if outcome.state == PRUNED else TrialState.FAIL)
        self.on_event("finished", row_of(self.study.get_trials(deepcopy=False)[trial.number]))

    # -- resuming ------------------------------------------------------------------------
    def recover(self) -> None:
        """Trials left running by a sweep that was killed are interrupted; every interrupted trial
        whose settings no other trial has run (or will run) is queued again."""
        trials = self.study.get_trials(deepcopy=False)
        for t in trials:
            if t.state == TrialState.RUNNING:
                optuna.trial.Trial(self.study, t._trial_id).set_user_attr("interrupted", True)
                self.study.tell(t.number, state=TrialState.FAIL)
                if self.records and t.user_attrs.get("run_id") is not None:
                    self.records.interrupted(t.user_attrs["run_id"])
        trials = self.study.get_trials(deepcopy=False)
        covered = {_key(t.params) for t in trials if finished(t) or t.state == TrialState.WAITING}
        for t in trials:
            params = self._whole_params(t) if t.user_attrs.get("interrupted") else None
            if params and _key(params) not in covered:
                self.study.enqueue_trial(params)
                covered.add(_key(params))

    def _whole_params(self, t: FrozenTrial) -> dict | None:
        """The settings an interrupted trial is run again with. One killed while Optuna was still
        giving it settings has only some: a grid point then gets all of its own (Optuna counts
        that point as done), a random or TPE trial the rest sampled afresh."""
        grid_params = getattr(self.study.sampler, "grid_params", None)
        if grid_params is not None and set(t.params) != set(self.dists):
            return grid_params(t)
        return dict(t.params)


def _key(params: dict) -> str:
    return repr(sorted(params.items()))
