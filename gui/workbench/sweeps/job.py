"""A sweep on a thread of its own, never the window's: what happens there reaches the window
through `events`, a queue the Sweeps tab drains on its timer. Cancel asks the running trials to
stop at their next report; finished trials stay in the journal, so Start goes on with them."""
from __future__ import annotations

import queue
import threading
import traceback

from core.config import ConfigError
from core.data import DataError
from core.runs.store import StoreError
from core.sweeps.search import importance
from core.sweeps.session import open_sweep
from core.sweeps.spec import SweepSpec
from core.sweeps.sweep import TrialRow, trial_rows

USER_ERRORS = (ConfigError, DataError, StoreError, ValueError, OSError)


class SweepJob:
    """events: ("begin", rows, total), ("started" | "finished", TrialRow), ("report", number, step,
    value), ("importance", {param: share}), ("error", message), and last ("ended", ran_to_the_end)."""

    def __init__(self, spec: SweepSpec, workers: int | None, cluster: str | None, store_path=None):
        self.spec, self.workers, self.cluster, self.store_path = spec, workers, cluster, store_path
        self.events: queue.Queue = queue.Queue()
        self.stop = threading.Event()
        self.ended = threading.Event()
        self.thread = threading.Thread(target=self._run, name="sweep", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def cancel(self) -> None:
        self.stop.set()

    @property
    def running(self) -> bool:
        return self.thread.is_alive() and not self.ended.is_set()

    def wait(self, timeout_s: float) -> bool:
        return self.ended.wait(timeout_s)

    def _run(self) -> None:
        completed = False
        try:
            opened = open_sweep(self.spec, None if self.cluster else self.workers, self.cluster, resume=None,
                                store_path=self.store_path,
                                on_report=lambda n, step, v: self.events.put(("report", n, step, v)))
        except USER_ERRORS as e:
            self.events.put(("error", str(e)))
            self._end(False)
            return
        except Exception as e:  # noqa: BLE001 - a bug: said in one line, the window goes on
            traceback.print_exc()
            self.events.put(("error", f"The sweep could not start: {type(e).__name__}: {e}"))
            self._end(False)
            return
        try:
            sweep = opened.sweep
            self._study = sweep.study
            sweep.on_event = self._on_event
            self.events.put(("begin", trial_rows(sweep.study), sweep.total))
            self.events.put(("importance", importance(sweep.study)))
            sweep.run(self.stop)
            completed = not self.stop.is_set() and sweep.done() >= sweep.total
        except USER_ERRORS as e:
            self.events.put(("error", str(e)))
        except Exception as e:  # noqa: BLE001
            traceback.print_exc()
            self.events.put(("error", f"The sweep stopped: {type(e).__name__}: {e}"))
        finally:
            opened.close()
            self._end(completed)

    def _on_event(self, kind: str, row: TrialRow) -> None:
        self.events.put((kind, row))
        if kind == "finished":
            self._sweep_importance()

    def _sweep_importance(self) -> None:
        """Computed here, off the window's thread (fANOVA takes a moment)."""
        self.events.put(("importance", importance(self._study)))

    def _end(self, completed: bool) -> None:
        self.ended.set()
        self.events.put(("ended", completed))
