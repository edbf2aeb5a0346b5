"""Every control explains itself, and the keyboard drives the window."""
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QAbstractSpinBox, QToolButton
from window_helpers import wait_paused, wait_status


def test_every_control_has_a_tooltip(window):
    controls = window.findChildren(QAbstractButton) + window.findChildren(QAbstractSpinBox)
    assert len(controls) > 20
    ours = [c for c in controls if not c.objectName().startswith("qt_")]   # not Qt's own corner buttons
    explained = lambda c: c.toolTip() or (isinstance(c, QToolButton) and c.defaultAction()
                                          and c.defaultAction().toolTip())
    missing = [f"{type(c).__name__} {getattr(c, 'text', lambda: '')()}" for c in ours if not explained(c)]
    assert not missing
    for plot in (window.live.loss_plot, window.live.hpreact_plot, window.live.h_plot, window.live.saturation_plot):
        assert plot.toolTip()


@pytest.mark.parametrize("action, keys", [
    ("start_action", "Space"), ("step_action", "S"), ("step100_action", "Shift+S"), ("reset_action", "Ctrl+R"),
    ("evaluate_action", "Ctrl+E"), ("sample_action", "Ctrl+G"), ("open_action", "Ctrl+O"),
])
def test_shortcuts(window, action, keys):
    assert getattr(window, action).shortcut().toString() == keys


def test_keys_start_pause_and_step(qtbot, window):
    window.activateWindow()
    def check():
        assert window.isActiveWindow()
    qtbot.waitUntil(check)
    qtbot.keyClick(window, Qt.Key.Key_S)
    wait_status(qtbot, window, lambda s: s.step == 1)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    wait_status(qtbot, window, lambda s: s.running and s.step > 10)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    wait_paused(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier)
    def check():
        assert window.samples.names.count() == 20
    qtbot.waitUntil(check)


def test_plots_can_be_exported(qtbot, window, tmp_path):
    import pyqtgraph.exporters
    window.step100_action.trigger()
    wait_status(qtbot, window, lambda s: s.step == 100)
    def check():
        assert window.run.snapshot is not None
    qtbot.waitUntil(check)
    for name in ("loss_plot", "hpreact_plot", "h_plot", "saturation_plot"):
        path = tmp_path / f"{name}.png"
        pyqtgraph.exporters.ImageExporter(getattr(window.live, name).plot_item).export(str(path))
        assert path.stat().st_size > 1000
