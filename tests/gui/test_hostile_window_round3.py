"""Hostile input, round 3 (issue 19): the window's side of it."""
from __future__ import annotations

import os

import pytest
from window_helpers import WAIT_MS, wait_idle, wait_status, wait_ticks

from gui.workbench.export import ExportError


def fill(folder) -> None:
    """Write into folder until the disk is full."""
    with open(folder / "filler", "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 4096)
        except OSError:
            pass


def test_an_svg_export_on_a_full_disk_keeps_the_previous_file(qtbot, window, small_filesystem):
    """item 9: the SVG was written straight onto the target, so a full disk destroyed it."""
    folder = small_filesystem("256k")
    path = folder / "loss.svg"
    before = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">the previous drawing</svg>'
    path.write_bytes(before)
    fill(folder)
    with pytest.raises(ExportError, match="No space left on device"):
        window.workbench.files.export_plot(next(iter(window.workbench.plots())), path)
    assert path.read_bytes() == before
    assert sorted(os.listdir(folder)) == ["filler", "loss.svg"]     # no temporary left behind


@pytest.fixture
def slow_sampling(monkeypatch):
    """Each name takes 10 ms more to draw (10,000 names: 100 s, as a deep net's do); `started`
    is set once the first name is drawn."""
    import threading

    import core.model.sample as sample_module
    started, draw = threading.Event(), sample_module._draw

    def slow_draw(*args, **kwargs):
        for name in draw(*args, **kwargs):
            started.set()
            threading.Event().wait(0.01)
            yield name
    monkeypatch.setattr(sample_module, "_draw", slow_draw)
    return started


def test_closing_while_sampling_ends_the_process_at_once(qtbot, window, slow_sampling):
    """item 5: the window froze 3 s on close and the process lived on until the sample ended."""
    window.samples.count.setValue(10_000)
    window.sample_action.trigger()
    qtbot.waitUntil(slow_sampling.is_set, timeout=WAIT_MS)
    window.close()
    assert window.session.is_stopped            # within the close itself, not after 100 s


def test_a_long_sample_can_be_stopped_and_keeps_the_names_drawn(qtbot, window, slow_sampling):
    window.samples.count.setValue(10_000)
    window.sample_action.trigger()
    qtbot.waitUntil(slow_sampling.is_set, timeout=WAIT_MS)
    assert window.samples.button.text() == "Stop"
    window.samples.button.click()
    def check():
        assert window.samples.button.text() == "Sample"
    qtbot.waitUntil(check, timeout=WAIT_MS)
    assert 0 < window.samples.names.count() < 10_000
    assert "Sampling stopped after" in window.statusBar().currentMessage()
    window.step_action.trigger()                 # the worker is free again
    wait_status(qtbot, window, lambda s: s.step == 1)
    window.samples.count.setValue(3)             # and the next sample is whole
    window.sample_action.trigger()
    def check():
        assert window.samples.names.count() == 3
    qtbot.waitUntil(check, timeout=WAIT_MS)


def test_a_loaded_checkpoint_leaves_the_paused_window_idle(qtbot, window, tmp_path):
    """item 6: a loaded trainer has no last step, and the window asked for its detail every
    frame, for good (24 commands a second; `idle` never fired)."""
    wb = window.workbench
    window.step100_action.trigger()
    wait_status(qtbot, window, lambda s: s.step == 100)
    with qtbot.waitSignal(wb.files.checkpoint_saved, timeout=WAIT_MS):
        wb.files.save_checkpoint(tmp_path / "run.pt")
    for i in range(window.tabs.count()):
        window.tabs.setCurrentIndex(i)                 # each tab asks for what it shows
        with qtbot.waitSignal(wb.files.checkpoint_loaded, timeout=WAIT_MS):
            wb.files.load_checkpoint(tmp_path / "run.pt")
        wait_idle(qtbot, window)
        sent = window.session.sent
        wait_ticks(qtbot, window, 10)
        assert window.session.sent == sent and not window.session.pending, window.tabs.tabText(i)


def test_a_preset_chosen_while_a_checkpoint_loads_is_what_the_panels_show(qtbot, window, tmp_path):
    """item 8: the checkpoint's reply set the panels to its net while the preset's trained,
    with "Pending until Reset" changes nobody made (and Reset would have built the checkpoint's)."""
    wb = window.workbench
    window.step_action.trigger()
    wait_status(qtbot, window, lambda s: s.step == 1)
    with qtbot.waitSignal(wb.files.checkpoint_saved, timeout=WAIT_MS):
        wb.files.save_checkpoint(tmp_path / "run.pt")
    wb.files.load_checkpoint(tmp_path / "run.pt")
    window.control.apply_preset("lecture-deep")                # before the checkpoint has loaded
    def check():
        assert window.run.info.cfg.n_layers > 1
    qtbot.waitUntil(check, timeout=WAIT_MS)
    wait_idle(qtbot, window)
    assert window.setup.config() == window.run.info.cfg
    assert not window.setup.pending.isVisibleTo(window)


def test_the_window_fits_an_800_by_600_screen(qtbot, window):
    """item 11: at its minimum of 960 x 640 the Samples/Evaluate column and the status bar were
    off an 800 x 600 screen, and the setup column clipped its buttons with no way to scroll."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QScrollArea
    assert window.minimumWidth() <= 780 and window.minimumHeight() <= 560   # room for a frame and a panel
    window.resize(800, 600)
    def check():
        assert (window.width(), window.height()) == (800, 600)
    qtbot.waitUntil(check)
    for panel in (window.samples, window.evaluation):       # the right column: whole, on the window
        right = panel.mapTo(window, panel.rect().topRight())
        assert right.x() < 800 and panel.width() >= panel.minimumSizeHint().width()
    status = window.statusBar().geometry()
    assert status.bottom() < 600 and status.right() < 800
    scroll_areas = [a for a in window.findChildren(QScrollArea) if a.widget() is window.setup]
    assert scroll_areas and scroll_areas[0].horizontalScrollBarPolicy() != Qt.ScrollBarPolicy.ScrollBarAlwaysOff
