"""Trials on a Dask distributed cluster the user started:

    dask scheduler                                   # prints tcp://HOST:8786
    dask worker tcp://HOST:8786 --nthreads 1         # on each machine, as many as it has cores
    python main.py sweep SPEC.toml --cluster tcp://HOST:8786

Each trial is one task (`core.sweeps.trial.run_trial`, its words travelling with it); a worker
that dies has its trial run again once, elsewhere. Dask is the optional extra `cluster`.
"""
from __future__ import annotations

import time

from core.config import ConfigError
from core.sweeps.trial import TrialOutcome, TrialTask, run_trial

CONNECT_TIMEOUT_S = 5
POLL_S = 0.02


class ClusterError(ConfigError):
    """The cluster cannot be used, in one line."""


def _lost_worker(error: BaseException) -> bool:
    from distributed.comm.core import CommClosedError
    from distributed.scheduler import KilledWorker
    return isinstance(error, KilledWorker | CommClosedError | ConnectionError)


class ClusterRunner:
    def __init__(self, address: str):
        try:
            from distributed import Client
        except ImportError:
            raise ClusterError("--cluster needs Dask: install the cluster extra (pip install '.[cluster]').") from None
        if "://" not in address:
            address = f"tcp://{address}"
        self.where = address
        try:
            self.client = Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as e:
            raise ClusterError(f"Cannot reach the Dask scheduler at {address}: {str(e).splitlines()[0]}") from None
        self.retried: set[int] = set()

    def slots(self) -> int:
        """One trial per worker thread (at least one, so tasks wait for the first worker)."""
        try:
            return max(1, sum(self.client.nthreads().values()))
        except (OSError, TimeoutError):
            return 1

    def submit(self, task: TrialTask):
        return self.client.submit(run_trial, task, pure=False, key=f"sweep-trial-{task.number}-{id(task)}")

    def wait(self, handles: list, timeout: float) -> list[tuple[object, TrialOutcome | BaseException]]:
        deadline = time.monotonic() + timeout
        while not (done := [f for f in handles if f.done()]) and time.monotonic() < deadline:
            time.sleep(POLL_S)
        out = []
        for f in done:
            if f.status == "finished":
                out.append((f, f.result()))
            else:
                out.append((f, f.exception() or RuntimeError(f"the task ended as {f.status}")))
        return out

    def retry(self, handle, task: TrialTask, error: BaseException):
        """A trial whose worker died runs once more; None when it already had its second try."""
        if not _lost_worker(error) or task.number in self.retried:
            return None
        self.retried.add(task.number)
        return self.submit(task)

    def stop(self, handles: list) -> list:
        """Running tasks cannot be told to stop: cancel them; they are all abandoned."""
        if handles:
            self.client.cancel(handles)
        return list(handles)

    def close(self) -> None:
        self.client.close()
