"""Helpers for the fault tests: what the run looks like now, to compare after a refused input,
and waiting until the worker has answered everything the window asked."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import Qt
from window_helpers import WAIT_MS, inspect, wait_idle, wait_status

BAD_WORD_LISTS = {
    # id: (file contents, or a callable making the path; words the message must contain)
    "empty": (b"", ["empty"]),
    "blank-lines": (b"\n\n   \n\t\n\r\n", ["blank lines"]),
    "binary": (b"emma\x00\x00\x01\x02olivia\n" * 20, ["binary", "NUL"]),
    "latin-1": ("ren\u00e9e\nzo\u00eb\n".encode("latin-1") * 10, ["not UTF-8", "0xe9"]),
    "single-word": (b"emma\n", ["only 1 word"]),
}


def write_word_list(folder, name: str, words: list[str], newline: str = "\n", bom: bool = False):
    path = folder / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + (newline.join(words) + newline).encode("utf-8"))
    return path


def big_word_list(path, lines: int = 500_000):
    """`lines` random 9-letter words: 5 MB for 500,000."""
    rng = np.random.default_rng(0)
    letters = np.frombuffer(b"abcdefghijklmnopqrstuvwxyz", dtype=np.uint8)
    body = letters[rng.integers(0, 26, size=(lines, 9))]
    rows = np.concatenate([body, np.full((lines, 1), ord("\n"), dtype=np.uint8)], axis=1)
    path.write_bytes(rows.tobytes())
    return path


@dataclass
class RunState:
    """Everything a refused input must leave as it was."""
    run_id: int                 # the trainer (a new one is a new run)
    step: int
    cfg: object
    weights: dict[str, np.ndarray]
    plotted: int
    title: str


def run_state(qtbot, window) -> RunState:
    t = inspect(qtbot, window)
    assert t.run_id == window.run.info.run_id
    return RunState(t.run_id, t.step, t.cfg, dict(t.tensors), window.live.loss_plot.curve.n, window.windowTitle())


def type_into(qtbot, box, text: str) -> None:
    """Select a spin box's text, type over it and press Enter, as a person would."""
    box.setFocus()
    box.lineEdit().selectAll()
    qtbot.keyClicks(box.lineEdit(), text)
    qtbot.keyClick(box.lineEdit(), Qt.Key.Key_Return)


def wait_answered(qtbot, window, timeout=WAIT_MS) -> None:
    """Until every command sent has been answered (see window_helpers.wait_idle)."""
    wait_idle(qtbot, window, timeout)


def assert_intact(qtbot, window, before: RunState) -> None:
    """The run that was there before goes on: same trainer, step, settings, weights and plot,
    the panels show it, and it still takes a step."""
    t = inspect(qtbot, window)
    assert t.run_id == before.run_id and window.run.info.run_id == before.run_id
    assert t.step == before.step and t.cfg == before.cfg
    assert t.tensors.keys() == before.weights.keys()
    for name, then in before.weights.items():
        assert np.array_equal(t.tensors[name], then), name
    assert window.live.loss_plot.curve.n == before.plotted and window.windowTitle() == before.title
    assert window.setup.model.data == t.cfg.data
    assert window.setup.training.values() == {k: getattr(t.cfg, k) for k in window.setup.training.values()}
    assert window.session.thread.isRunning()
    window.step_action.trigger()
    wait_status(qtbot, window, lambda s: s.step == before.step + 1)
    def check():
        assert window.live.loss_plot.curve.n == before.plotted + 1, f"{window.live.loss_plot.curve.n} steps plotted"
    qtbot.waitUntil(check, timeout=WAIT_MS)


def shown_error(window) -> str:
    """The message bar's text (empty if hidden); the status bar must say it too."""
    return window.message_bar.text
