"""The one doubling mechanism of the bounded histories: which window a step is in, which step
is due next, and what doubling the width does to both."""
import numpy as np

from core.runs.step_windows import StepWindows
from core.runs.timeline import first_of_each_window


def offered(windows, steps):
    """The steps a history would keep, offered in order."""
    kept = []
    for s in steps:
        if windows.due(s):
            windows.taken(s)
            kept.append(s)
    return kept


def test_one_step_is_due_per_window_and_doubling_widens_the_windows():
    w = StepWindows()
    assert offered(w, range(10)) == list(range(10))          # width 1: every step
    w.double()
    w.double()
    assert w.width == 4 and w.of(np.array([3, 4, 11])).tolist() == [0, 1, 2]
    # step 10 lies in the window (8..11) of step 9, already taken: the next due is 12
    assert offered(w, range(10, 30)) == [12, 16, 20, 24, 28]
    assert w.end(28) == 32 and w.middles(3).tolist() == [1.5, 5.5, 9.5]


def test_thinning_keeps_the_first_item_of_each_wider_window():
    w = StepWindows()
    steps = np.array([0, 1, 3, 4, 6, 7, 9, 12])
    assert offered(w, steps) == steps.tolist()
    keep = first_of_each_window(w, steps, limit=4)
    # width 2 leaves 6 items, width 4 leaves 0, 4, 9, 12, width 8 leaves 0 and 9
    assert steps[keep].tolist() == [0, 9] and w.width == 8
    assert not w.due(15) and w.due(16)                          # 12 took the window 8..15
