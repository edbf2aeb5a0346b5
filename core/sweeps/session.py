"""Opening a sweep for the command line or the window: its words, the run store, Optuna's study
beside it, and where the trials run (a refused cluster address is refused here, before anything)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from core.config import ConfigError
from core.data import words_from_source
from core.runs.store import RunStore
from core.sweeps.local_runner import LocalRunner
from core.sweeps.records import TrialRecords, journal_beside
from core.sweeps.search import open_study, sweep_id
from core.sweeps.spec import SweepSpec
from core.sweeps.sweep import Sweep


@dataclass
class OpenSweep:
    sweep: Sweep
    runner: object
    store: RunStore

    def close(self) -> None:
        self.runner.close()
        self.store.close()


def open_sweep(spec: SweepSpec, workers: int | None = None, cluster: str | None = None,
               resume: bool | None = False, store_path=None,
               on_report: Callable[[int, int, float], None] | None = None) -> OpenSweep:
    """resume: False refuses a name already run, True needs one, None takes either."""
    if cluster and workers:
        raise ConfigError("--workers is for this machine; a cluster's workers are its `dask worker` processes.")
    if cluster:
        from core.sweeps.cluster_runner import ClusterRunner
        runner = ClusterRunner(cluster)
    else:
        runner = LocalRunner(workers, on_report=on_report)
    try:
        words = tuple(words_from_source(spec.base.data))
        store = RunStore.open_default(store_path)
    except BaseException:
        runner.close()
        raise
    try:
        study = open_study(journal_beside(store), spec, resume)
        records = TrialRecords(store, sweep_id(study), spec.name, words, spec.base.data)
    except BaseException:
        runner.close()
        store.close()
        raise
    return OpenSweep(Sweep(spec, study, runner, records, words=words), runner, store)
