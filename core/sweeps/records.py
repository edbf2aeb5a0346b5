"""Each trial is a run in the run store (kind "sweep-trial", with the sweep's id and name), so the
Runs table, `main.py runs list --json` and the window's Open show it like any other run."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from core.config import Config
from core.runs.recorder import dataset_identity
from core.runs.store import RunStore
from core.sweeps.search import JOURNAL_NAME
from core.sweeps.trial import COMPLETE, FAILED, INTERRUPTED, PRUNED, TrialOutcome

STATUS = {COMPLETE: "finished", PRUNED: "finished", INTERRUPTED: "interrupted"}


def journal_beside(store: RunStore) -> Path:
    """Optuna's journal of every sweep, in the run store's folder."""
    return store.path.with_name(JOURNAL_NAME)


def trial_name(sweep_name: str, number: int, params: dict) -> str:
    shown = " ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items())
    return f"{sweep_name} #{number}: {shown}"


class TrialRecords:
    def __init__(self, store: RunStore, sweep_id: str, sweep_name: str, words: tuple[str, ...], source: str):
        self.store, self.sweep_id, self.sweep_name = store, sweep_id, sweep_name
        self.dataset = dataset_identity(SimpleNamespace(words=words, source=source))

    def start(self, number: int, params: dict, cfg: Config) -> int:
        return self.store.start_run("sweep-trial", trial_name(self.sweep_name, number, params), cfg.to_dict(),
                                    self.dataset, cfg.engine, cfg.device, sweep_id=self.sweep_id,
                                    sweep_name=self.sweep_name)

    def finish(self, run_id: int, outcome: TrialOutcome) -> None:
        s = self.store
        if len(outcome.log10_losses):
            s.append_losses(run_id, 0, outcome.log10_losses)
        for split, loss in outcome.split_losses.items():
            s.record_split_loss(run_id, split, loss, outcome.steps)
        if outcome.weights is not None:
            s.save_weights(run_id, outcome.weights, outcome.steps)
        diverged = outcome.state == FAILED and outcome.reason and outcome.reason.startswith("The loss became")
        s.set_status(run_id, "diverged" if diverged else STATUS.get(outcome.state, "interrupted"), outcome.steps)

    def interrupted(self, run_id: int) -> None:
        self.store.set_status(run_id, "interrupted")

