"""Optuna is the search: a study per sweep in a journal file beside the run store (so a closed or
killed sweep goes on where it stopped), its Grid, Random and TPE samplers, its Median and
SuccessiveHalving pruners, its parameter importance."""
from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import optuna
from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend
from optuna.storages.journal._file import BaseJournalFileLock  # the documented base of a journal lock
from optuna.trial import FrozenTrial, TrialState

from core.sweeps.spec import Choice, SpecError, SweepSpec

optuna.logging.set_verbosity(optuna.logging.WARNING)
JOURNAL_NAME = "sweeps.optuna-journal"
MEDIAN_STARTUP_TRIALS = 2       # the median of fewer finished trials says little


def distributions(spec: SweepSpec) -> dict[str, BaseDistribution]:
    out: dict[str, BaseDistribution] = {}
    for name, p in spec.params.items():
        if isinstance(p, Choice):
            out[name] = CategoricalDistribution(list(p.values))
        elif p.is_int:
            out[name] = IntDistribution(p.low, p.high, log=p.log)
        else:
            out[name] = FloatDistribution(float(p.low), float(p.high), log=p.log)
    return out


class GridSampler(optuna.samplers.GridSampler):
    """Optuna's grid, driven by ask/tell: the sweep counts its trials itself (the grid's own
    end-of-grid `study.stop()` only works inside `study.optimize`)."""

    def after_trial(self, study, trial, state, values) -> None:
        pass

    def grid_params(self, trial: FrozenTrial) -> dict | None:
        """Every setting of the grid point `trial` was given (None if it was given none): a trial
        killed while Optuna was still filling in its settings holds only some of them."""
        grid_id = trial.system_attrs.get("grid_id")
        if grid_id is None:
            return None
        return dict(zip(self._param_names, self._all_grids[grid_id], strict=True))


def make_sampler(spec: SweepSpec) -> optuna.samplers.BaseSampler:
    if spec.method == "grid":
        return GridSampler({k: list(p.values) for k, p in spec.params.items()},
                                           seed=spec.sampler_seed)
    if spec.method == "random":
        return optuna.samplers.RandomSampler(seed=spec.sampler_seed)
    return optuna.samplers.TPESampler(seed=spec.sampler_seed)


def make_pruner(pruning: str, report_every: int) -> optuna.pruners.BasePruner:
    if pruning == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=MEDIAN_STARTUP_TRIALS, n_warmup_steps=0)
    if pruning == "asha":
        return optuna.pruners.SuccessiveHalvingPruner(min_resource=report_every, reduction_factor=3)
    return optuna.pruners.NopPruner()


class FlockLock(BaseJournalFileLock):
    """The journal's lock as an flock on a file beside it: the system lets go of it when the
    process holding it dies, so a sweep killed mid-write does not leave Optuna's own lock file
    behind (which a resumed sweep then waited 30 s for, before breaking it)."""

    def __init__(self, path: str):
        self.path, self.fd = path, None

    def acquire(self) -> bool:
        import fcntl
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return True

    def release(self) -> None:
        import fcntl
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


def journal_storage(path: Path) -> JournalStorage:
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FlockLock(str(path) + ".flock") if os.name == "posix" else None    # elsewhere Optuna's own
    return JournalStorage(JournalFileBackend(str(path), lock_obj=lock))


def _space(spec: SweepSpec) -> str:
    """What must not change between a sweep and its resumption."""
    return json.dumps({"method": spec.method, "steps": spec.steps, "metric": spec.metric,
                       "params": {k: repr(p) for k, p in spec.params.items()},
                       "base": spec.base.to_dict()}, sort_keys=True)


def open_study(journal: Path, spec: SweepSpec, resume: bool | None) -> optuna.Study:
    """The spec's study in `journal`: a new one (resume False: refused if the name is taken), the
    earlier one (resume True: refused if there is none or its spec differs), or whichever (None)."""
    storage = journal_storage(journal)
    names = {s.study_name for s in optuna.get_all_study_summaries(storage, include_best_trial=False)}
    exists = spec.name in names
    if exists and resume is False:
        raise SpecError(f"A sweep named {spec.name!r} was already run; add --resume to go on with it, "
                        "or give the spec another name.")
    if not exists and resume is True:
        raise SpecError(f"--resume: there is no sweep named {spec.name!r} to go on with (in {journal}).")
    study = optuna.create_study(study_name=spec.name, storage=storage, load_if_exists=True,
                                direction="minimize", sampler=make_sampler(spec),
                                pruner=make_pruner(spec.pruning, spec.report_every))
    if not exists:
        study.set_user_attr("space", _space(spec))
        study.set_user_attr("sweep_id", uuid.uuid4().hex[:12])
        study.set_user_attr("spec", spec.to_toml())
    elif study.user_attrs.get("space") != _space(spec):
        raise SpecError(f"The sweep {spec.name!r} was run with other params, steps or base settings; "
                        "give the changed spec another name.")
    return study


def sweep_id(study: optuna.Study) -> str:
    return study.user_attrs["sweep_id"]


def importance(study: optuna.Study) -> dict[str, float]:
    """How much each parameter decides whether a trial is among the best (Optuna's PED-ANOVA; its
    fANOVA needs scikit-learn, which this app does not install), shares summing to 1; {} while
    there are too few complete trials to tell. The "best" are the best tenth, or the best three
    of a small sweep (a tenth of nine trials is less than one)."""
    trials = [t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))]
    if len(trials) < 2:
        return {}
    varied = [k for k in trials[0].params if len({repr(t.params.get(k)) for t in trials}) > 1]
    if not varied:
        return {}
    best = min(0.5, max(0.1, 3.5 / len(trials)))      # a fraction that holds three trials, not 2.99
    evaluator = optuna.importance.PedAnovaImportanceEvaluator(target_quantile=best)
    try:
        return dict(optuna.importance.get_param_importances(study, evaluator=evaluator, params=varied))
    except (RuntimeError, ValueError):
        return {}


def finished(trial: FrozenTrial) -> bool:
    """A trial that counts: it ran to its end, was pruned, or failed on its own (not interrupted)."""
    return trial.state.is_finished() and not trial.user_attrs.get("interrupted", False)
