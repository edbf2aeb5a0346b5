"""Trials on this machine's threads: each trains one trial on the fast engine, whose kernel runs
without the GIL, so two threads on two cores train about twice as many steps as one."""
from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from core.sweeps.trial import TrialOutcome, TrialTask, run_trial


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


class LocalRunner:
    where = "this machine"

    def __init__(self, workers: int | None = None, on_report: Callable[[int, int, float], None] | None = None):
        """on_report(trial number, step, metric) is called on the trial's thread at each report."""
        self.workers = workers or default_workers()
        self.on_report = on_report
        self.stopping = threading.Event()
        self.pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="sweep-trial")

    def slots(self) -> int:
        return self.workers

    def submit(self, task: TrialTask) -> Future:
        return self.pool.submit(run_trial, task, self.stopping.is_set, self.on_report)

    def wait(self, handles: list[Future], timeout: float) -> list[tuple[Future, TrialOutcome | BaseException]]:
        done, _ = wait(handles, timeout=timeout, return_when=FIRST_COMPLETED)
        return [(f, f.exception() or f.result()) for f in done]

    def retry(self, handle: Future, task: TrialTask, error: BaseException) -> Future | None:
        """A trial that raised here is a bug, not a lost machine: no second try."""
        return None

    def stop(self, handles: list[Future]) -> list[Future]:
        """Ask the running trials to stop at their next report; they come back INTERRUPTED, so
        none is abandoned."""
        self.stopping.set()
        return []

    def close(self) -> None:
        self.stopping.set()
        self.pool.shutdown(wait=True, cancel_futures=True)
