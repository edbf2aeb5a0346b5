"""Slow motion: the worker takes one step, publishes it, and takes the next only once the
window has drawn it and the pace's interval has passed, so every step is seen."""
from __future__ import annotations

import threading
import time

WAIT_S = 0.01     # the longest a paced worker waits before looking at its commands again


class Pace:
    """Set by the worker (a SetPace command), told by the GUI thread which step it has drawn."""

    def __init__(self):
        self.steps_per_second: float | None = None    # None: flat out
        self.until_step: int | None = None
        self._next_at = 0.0
        self._drawn = (0, -1)              # (run id, steps taken) of the last frame the window drew
        self._lock = threading.Lock()
        self._woken = threading.Event()

    def set(self, steps_per_second: float | None, until_step: int | None = None) -> None:
        if steps_per_second is not None and not steps_per_second > 0:
            raise ValueError("A pace must be more than 0 steps a second (or flat out).")
        self.steps_per_second, self.until_step = steps_per_second, until_step
        self._next_at = 0.0

    def active(self, step: int) -> bool:
        """Whether step `step` is to be taken in slow motion."""
        return self.steps_per_second is not None and (self.until_step is None or step < self.until_step)

    def holding(self) -> bool:
        """Whether the worker paces itself: in slow motion, and at the end of a
        slow start until its last slow step is on screen (the flat-out chunk after it would
        replace that step's snapshot before the window takes it)."""
        return self.steps_per_second is not None

    def finish(self) -> None:
        """The slow start is over: flat out from now on."""
        self.steps_per_second = self.until_step = None

    def drawn(self, run_id: int, step: int) -> None:
        """The window has drawn run `run_id` after `step` steps (any thread)."""
        with self._lock:
            self._drawn = (run_id, step)
        self._woken.set()

    def ready(self, run_id: int, step: int) -> bool:
        """The next step may be taken: the last one is on screen and its interval has passed."""
        with self._lock:
            seen = self._drawn == (run_id, step) or step == 0
        return seen and time.perf_counter() >= self._next_at

    def took_step(self) -> None:
        self._next_at = time.perf_counter() + 1 / self.steps_per_second

    def wait(self) -> None:
        """Until the window draws something or a little while has passed."""
        self._woken.wait(WAIT_S)
        self._woken.clear()
