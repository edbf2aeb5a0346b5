"""The window as a learner meets it (issue 18): what it shows is true, nothing hidden."""
from __future__ import annotations

import pytest
from PySide6.QtWidgets import QTableWidget, QWidget
from window_helpers import WAIT_MS, hold_kernel_preparation

from core.config import Config
from core.presets import preset_config


def test_add_bn_after_the_deep_net_trains_the_notebooks_net(qtbot, window, words_path):
    init = window.setup.init
    with qtbot.waitSignal(window.run.run_started, timeout=WAIT_MS):
        init.experiment_buttons["lecture-deep"].click()
    assert window.run.info.cfg.n_hidden == 100
    with qtbot.waitSignal(window.run.run_started, timeout=WAIT_MS):
        init.stage_buttons["add BN"].click()
    assert window.run.info.cfg == preset_config("add-bn", Config(data=str(words_path)))
    assert window.run.info.cfg.n_hidden == 200
    with qtbot.waitSignal(window.run.run_started, timeout=WAIT_MS):
        init.seed_button.click()
    assert window.run.info.cfg == Config(data=str(words_path))


def _wheel(widget, notches: int = -1) -> None:
    from PySide6.QtCore import QPoint, QPointF, Qt
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication
    centre = QPointF(widget.rect().center())
    event = QWheelEvent(centre, QPointF(widget.mapToGlobal(centre.toPoint())), QPoint(0, 0),
                        QPoint(0, 120 * notches), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def test_the_wheel_scrolls_the_panel_past_settings_it_has_not_focused(qtbot, window):
    model, training = window.setup.model, window.setup.training
    fields = [(model.activation, model.activation.currentText), (model.style, model.style.currentText),
              (model.n_hidden, model.n_hidden.value), (training.lr, training.lr.value),
              (training.batch_size, training.batch_size.value)]
    before = [read() for _, read in fields]
    for widget, _ in fields:
        _wheel(widget, -1)     # one notch down: the next item, a smaller number
    assert [read() for _, read in fields] == before
    # once focused (clicked or tabbed to), the wheel does change it
    window.activateWindow()
    model.n_hidden.setFocus()
    qtbot.waitUntil(model.n_hidden.hasFocus)
    _wheel(model.n_hidden, +1)
    assert model.n_hidden.value() != before[2]


@pytest.mark.parametrize("size", [(1280, 800), (1366, 768)])
def test_the_training_group_is_in_view_without_scrolling(qtbot, window, size):
    window.resize(*size)
    def check():
        assert window.width() == size[0]
    qtbot.waitUntil(check)
    training = window.setup.training
    area = window.setup.parentWidget().parentWidget()      # the scroll area's viewport, then the area
    viewport = area.viewport()
    for field in (training.lr, training.batch_size, training.max_steps):
        bottom = field.mapTo(viewport, field.rect().bottomLeft()).y()
        assert 0 <= bottom <= viewport.height()


def test_the_pending_banner_names_settings_as_the_panel_labels_them(window):
    setup = window.setup
    setup.init.boxes["fix_b2"].setChecked(False)
    setup.model.gain.setValue(1.5)
    setup.model.style.setCurrentText("lecture")
    text = setup.pending.text()
    assert "b2 × 0 on → off" in text and "gain 5/3 → 1.5" in text and "layer style seed → lecture" in text
    assert not any(name in text for name in ("fix_b2", "w1_gain", "layer_style"))


def _main_py(args: list[str], env_changes: dict, timeout: float = 90):
    """`python main.py args` in a child process; a window that opens instead of refusing never returns."""
    import os
    import subprocess
    import sys
    from pathlib import Path
    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env.update(PYTHONPATH=str(root), **env_changes)
    try:
        return subprocess.run([sys.executable, str(root / "main.py"), *args], env=env, capture_output=True,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"main.py {' '.join(args)} opened the window instead of refusing")


@pytest.mark.skipif(not __import__("sys").platform.startswith("linux"), reason="X11 and Wayland are Linux's")
def test_without_a_display_the_window_says_so_in_one_line_and_points_to_headless():
    done = _main_py([], {})
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "no display" in done.stderr and "--headless" in done.stderr


def test_an_unknown_option_is_refused_with_argparses_message():
    done = _main_py(["--stesp", "1000"], {"QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 2
    assert "unrecognized arguments: --stesp 1000" in done.stderr and done.stderr.count("\n") <= 2


def test_the_window_takes_the_headless_options_for_its_first_run(qtbot, make_window, words_path):
    from gui.app import apply_window_options, initial_config, parse_args
    from gui.settings import open_settings
    args, qt_args = parse_args(["--preset", "lecture-deep", "--lr", "0.05", "--samples", "7",
                                "--data", str(words_path), "-platform", "offscreen"])
    assert qt_args == ["-platform", "offscreen"]
    cfg = initial_config(args, open_settings())
    window = make_window(**cfg.to_dict())
    apply_window_options(window, args)
    assert (window.run.info.cfg.n_layers, window.run.info.cfg.n_hidden, window.run.info.cfg.lr) == (5, 100, 0.05)
    assert window.setup.training.lr.value() == 0.05 and window.samples.count.value() == 7


def test_a_loaded_checkpoint_is_drawn_before_any_step(qtbot, make_window, tmp_path):
    from window_helpers import wait_status
    first = make_window()
    first.step100_action.trigger()
    wait_status(qtbot, first, lambda s: s.step == 100)
    path = tmp_path / "at-100.pt"
    files = first.workbench.files
    with qtbot.waitSignal(files.checkpoint_saved, timeout=WAIT_MS):
        files.save_checkpoint(path)
    def check():
        assert first.run.snapshot is not None and first.run.snapshot.step == 99
    qtbot.waitUntil(check)
    shown = first.run.snapshot
    second = make_window()
    with qtbot.waitSignal(second.workbench.files.checkpoint_loaded, timeout=WAIT_MS):
        second.workbench.files.load_checkpoint(path)
    def check():
        assert second.run.status.step == 100 and second.run.snapshot is not None
    qtbot.waitUntil(check, timeout=WAIT_MS)
    s = second.run.snapshot
    assert s.step == 99 and s.saturation_mask.shape == shown.saturation_mask.shape
    assert second.live.saturation_plot.image.isVisible() and second.live.hpreact_plot.counts is not None
    assert second.run.status.step == 100 and second.run.status.loss == pytest.approx(shown.loss)


def _colour_pixels_in_view(plot, colour) -> int:
    from PySide6.QtGui import QColor
    image = plot.grab().toImage()
    rect = plot.mapFromScene(plot.view_box.sceneBoundingRect()).boundingRect()
    want = QColor(*colour).rgb()
    return sum(image.pixel(x, y) == want for x in range(max(rect.left(), 0), min(rect.right(), image.width()))
               for y in range(max(rect.top(), 0), min(rect.bottom(), image.height())))


def test_the_first_step_is_drawn_against_the_uniform_guess(qtbot, window):
    import math

    from window_helpers import wait_status

    from gui.plots.style import BLUE
    with qtbot.waitSignal(window.run.run_started, timeout=WAIT_MS):
        window.setup.init.stage_buttons["original"].click()
    window.step_action.trigger()
    wait_status(qtbot, window, lambda s: s.step == 1)
    plot = window.live.loss_plot
    def check():
        assert plot.curve.n == 1
    qtbot.waitUntil(check)
    (_, _), (y0, y1) = plot.view_box.viewRange()
    first, guide = math.log10(window.run.status.loss), math.log10(plot.uniform_loss)
    assert first > guide + 0.3                       # confidently wrong: far above the guide
    assert y0 < guide < first < y1                   # both in view
    assert _colour_pixels_in_view(plot, BLUE) > 0    # the step itself is drawn


def test_axes_end_near_the_last_step():
    from gui.plots.loss_plot import LossPlot
    from gui.workbench.plots import FollowX
    for last in (3_000, 32_000, 150_000, 199_999, 1_000_000):
        follow = FollowX()
        follow.update(last)
        assert follow.top <= 1.35 * last
        plot = LossPlot()
        plot.append([2.5] * last)
        plot.redraw()
        (x0, x1), _ = plot.view_box.viewRange()
        assert x1 <= 1.35 * last


def test_after_the_decay_step_the_panel_and_markers_say_which_rate_is_in_effect(qtbot, make_window):
    from window_helpers import wait_idle, wait_status
    window = make_window(lr_decay_step=50, lr=0.1, lr_after=0.01)
    training = window.setup.training
    assert training.rate_now.text().startswith("0.1 (learning rate")
    window.step100_action.trigger()
    wait_status(qtbot, window, lambda s: s.step == 100)
    qtbot.waitUntil(lambda: training.rate_now.text().startswith("0.01 (lr after decay"))
    # the learning-rate field no longer sets the rate: an edit to it says so on its marker
    training.lr.setValue(1.0)
    training.flush()
    wait_idle(qtbot, window)
    wait_status(qtbot, window, lambda s: s.applied == window.session.sent)
    assert window.run.status.lr == 0.01 and training.rate_now.text().startswith("0.01")
    def check():
        assert len(window.live.loss_plot.markers) == 1
    qtbot.waitUntil(check)
    assert window.live.loss_plot.markers[-1].toolTip() == "step 100: lr 0.1→1, rate now 0.01"
    # the field shown in effect takes effect as shown
    training.lr_after.setValue(0.05)
    training.flush()
    wait_idle(qtbot, window)
    wait_status(qtbot, window, lambda s: s.lr == 0.05)
    qtbot.waitUntil(lambda: training.rate_now.text().startswith("0.05 (lr after decay"))
    def check():
        assert len(window.live.loss_plot.markers) == 2
    qtbot.waitUntil(check)
    assert window.live.loss_plot.markers[-1].toolTip() == "step 100: lr_after 0.01→0.05"


def test_a_preset_or_reset_asks_before_discarding_unsaved_steps(qtbot, window, tmp_path):
    from window_helpers import wait_idle, wait_status

    from gui.run_control import CONFIRM_AFTER_STEPS
    for _ in range(CONFIRM_AFTER_STEPS // 100):
        window.step100_action.trigger()
    wait_status(qtbot, window, lambda s: s.step == CONFIRM_AFTER_STEPS)
    run_id = window.run.info.run_id
    original = window.setup.init.stage_buttons["original"]
    original.click()
    wait_idle(qtbot, window)
    assert window.run.info.run_id == run_id and window.run.status.step == CONFIRM_AFTER_STEPS
    assert f"discards this run's {CONFIRM_AFTER_STEPS:,} steps" in window.message_bar.text
    assert "Original" in window.message_bar.text and "click it again" in window.message_bar.text
    with qtbot.waitSignal(window.run.run_started, timeout=WAIT_MS):
        original.click()                           # asked once: the second click goes ahead
    assert not window.run.info.cfg.batchnorm
    # Reset asks too, unless the steps are saved
    for _ in range(CONFIRM_AFTER_STEPS // 100):
        window.step100_action.trigger()
    wait_status(qtbot, window, lambda s: s.step == CONFIRM_AFTER_STEPS)
    run_id = window.run.info.run_id
    window.reset_action.trigger()
    wait_idle(qtbot, window)
    assert window.run.info.run_id == run_id and "press Reset again" in window.message_bar.text
    files = window.workbench.files
    with qtbot.waitSignal(files.checkpoint_saved, timeout=WAIT_MS):
        files.save_checkpoint(tmp_path / "kept.pt")
    with qtbot.waitSignal(window.run.run_started, timeout=WAIT_MS):
        window.reset_action.trigger()              # nothing unsaved: at once
    # a few steps are quick to redo: no question
    window.step100_action.trigger()
    wait_status(qtbot, window, lambda s: s.step == 100)
    with qtbot.waitSignal(window.run.run_started, timeout=WAIT_MS):
        window.setup.init.seed_button.click()


def _deep_window(qtbot, make_window, words_path, preset: str):
    from window_helpers import wait_status
    cfg = preset_config(preset, Config(data=str(words_path))).replace(n_hidden=20)
    window = make_window(**cfg.to_dict())
    window.step_action.trigger()
    window.step_action.trigger()
    wait_status(qtbot, window, lambda s: s.step == 2)
    def check():
        assert window.run.snapshot is not None and window.run.snapshot.step == 1
    qtbot.waitUntil(check)
    return window


@pytest.mark.parametrize("preset, modules", [("lecture-deep", [2, 5, 8, 11, 14]), ("no-bn-gain-3", [1, 3, 5, 7, 9])])
def test_hidden_layers_have_one_name_on_every_tab(qtbot, make_window, words_path, preset, modules):
    window = _deep_window(qtbot, make_window, words_path, preset)
    view = window.workbench.layers.view
    view.write_legends()
    assert [line.split(":")[0] for line in view.activations.legend_lines] == [
        f"hidden layer {k} of 5 [{m} Tanh]" for k, m in enumerate(modules, start=1)]
    assert [line.split(":")[0] for line in view.gradients.legend_lines] == [f"hidden layer {k} of 5"
                                                                           for k in range(1, 6)]
    window.live.choose_layer(1)
    def check():
        assert window.live.hpreact_plot.plot_item.titleLabel.text.startswith("hidden layer 2 of 5:")
    qtbot.waitUntil(check)
    assert window.live.layer_box.currentText() == "2 of 5"


def test_a_linear_net_is_not_described_as_tanh(qtbot, make_window, words_path):
    window = _deep_window(qtbot, make_window, words_path, "linear-gain-5-3")
    live, view = window.live, window.workbench.layers.view
    view.write_legends()
    assert view.activations.legend_lines and not any("saturated" in x for x in view.activations.legend_lines)
    assert not view.saturation.values.any()                                   # nothing lights up
    titles = [p.plot_item.titleLabel.text for p in (live.hpreact_plot, live.h_plot, live.saturation_plot)]
    assert not any("tanh output" in t or "Saturated tanh" in t for t in titles)
    assert "tanh" not in window.live.h_plot.plot_item.getAxis("bottom").labelText
    def check():
        assert window.live.h_plot.note.toPlainText() == ""
    qtbot.waitUntil(check)
    s = window.run.snapshot
    assert s.h_edges[-1] > 1.0 and s.h_hist[[0, -1]].sum() < s.h_hist.max()  # not clipped: no pile at the ends
    (x0, x1), _ = window.live.h_plot.view_box.viewRange()
    assert x1 > 1.0
    assert not window.live.saturation_plot.image.isVisible()
    assert live.tanh is False


def test_the_two_saturation_thresholds_are_named_and_explained(qtbot, window):
    from window_helpers import wait_status
    window.step_action.trigger()
    wait_status(qtbot, window, lambda s: s.step == 1)
    def check():
        assert "saturated" in window.live.h_plot.note.toPlainText()
    qtbot.waitUntil(check)
    assert "|h| > 0.97" in window.live.h_plot.note.toPlainText()
    title = window.live.saturation_plot.plot_item.titleLabel.text
    assert "|h| > 0.99" in title and "0.97" in title
    assert "0.97" in window.live.h_plot.toolTip() and "0.99" in window.live.h_plot.toolTip()


def test_init_switches_that_do_nothing_are_disabled_and_the_kaiming_label_follows_the_gain(window):
    init, model = window.setup.init, window.setup.model
    boxes = init.boxes
    assert all(box.isEnabled() for box in boxes.values()) and model.gain.isEnabled()
    assert boxes["fix_w1"].text() == "W1 Kaiming (5/3)/√fan_in"
    model.gain.setValue(1.5)
    assert boxes["fix_w1"].text() == "W1 Kaiming (1.5)/√fan_in"
    boxes["fix_w1"].setChecked(False)          # the seed's layers take the gain only through Kaiming
    assert not model.gain.isEnabled() and "W1 Kaiming" in model.gain.toolTip()
    boxes["fix_w1"].setChecked(True)
    model.style.setCurrentText("lecture")
    assert [f for f, box in boxes.items() if not box.isEnabled()] == ["fix_b2", "fix_w1", "fix_b1"]
    assert "Not used by the lecture layers" in boxes["fix_b1"].toolTip()
    assert boxes["fix_w2"].text() == "last layer × 0.1" and boxes["batchnorm"].isEnabled()
    assert model.gain.isEnabled()
    model.style.setCurrentText("seed")
    assert all(box.isEnabled() for box in boxes.values()) and boxes["fix_w2"].text() == "W2 × 0.01"


def test_the_smoothing_slider_steps_through_short_weights_and_the_mean_stays_on_top(window):
    bar = window.workbench.smoothing
    slider = bar.slider.slider
    shown = []
    for t in range(slider.minimum(), slider.maximum() + 1):
        slider.setValue(t)
        shown.append(bar.slider.value.text())
    assert shown[0] == "off" and "0.99" in shown and "0.999" in shown and len(shown) <= 16
    assert all(len(text.split(".")[1]) <= 3 for text in shown[1:])          # two or three digits
    plot = window.live.loss_plot
    assert bar.curve.zValue() < plot.chunk_mean.zValue()                    # the red mean is not hidden
    assert bar.curve.pen().color().alpha() == 255 and bar.curve.pen().widthF() >= 2   # smoothed: strong
    assert plot.per_step.pen().color().alpha() < 60                         # raw: faded
    slider.setValue(0)
    assert plot.per_step.pen().color().alpha() >= 60                        # off: the steps as before


def test_the_fast_engine_is_prepared_as_the_window_opens_saying_how_long(qtbot, make_window, monkeypatch):
    release, prepared = hold_kernel_preparation(monkeypatch)
    window = make_window()          # nothing pressed: the kernel is prepared at once, in the background
    rate = window.status_bar.rate
    def check():
        assert rate.text().startswith("Preparing the fast engine: 0 s")
    qtbot.waitUntil(check, timeout=WAIT_MS)
    assert "compiled once per machine" in rate.text() and not window.run.status.engine_ready
    def check():  # it counts
        assert rate.text().startswith("Preparing the fast engine: 1 s")
    qtbot.waitUntil(check, timeout=WAIT_MS)
    release.set()
    def check():
        assert window.run.status.engine_ready and rate.text() == "paused"
    qtbot.waitUntil(check, timeout=WAIT_MS)
    assert prepared and window.run.status.step == 0


@pytest.mark.parametrize("size", [(1280, 800), (1366, 768)])
def test_the_twenty_samples_show_without_scrolling(qtbot, window, size):
    window.resize(*size)
    def check():
        assert window.width() == size[0]
    qtbot.waitUntil(check)
    window.step100_action.trigger()
    window.sample_action.trigger()
    names = window.samples.names
    def check():
        assert names.count() == 20
    qtbot.waitUntil(check, timeout=WAIT_MS)
    def check():
        assert names.verticalScrollBar().maximum() == 0
    qtbot.waitUntil(check)
    assert names.minimumHeight() >= 20 * names.sizeHintForRow(0)     # however the column is squeezed
    area = window.samples.parentWidget().parentWidget()       # the right column's scroll area viewport
    bottom = names.mapTo(area, names.rect().bottomLeft()).y()
    assert area.parentWidget().verticalScrollBar().value() == 0 and bottom <= area.height()   # in view as opened


def test_help_lists_every_keyboard_shortcut(qtbot, window):
    from PySide6.QtGui import QAction
    help_actions = [a.text() for a in window.menuBar().actions()]
    assert "&Help" in help_actions
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    shortcuts = next(a for a in menu.actions() if a.text() == "Keyboard shortcuts")
    shortcuts.trigger()
    dialog = next(d for d in window.findChildren(QWidget) if d.windowTitle() == "Keyboard shortcuts")
    qtbot.waitUntil(dialog.isVisible)
    table = dialog.findChild(QTableWidget)
    listed = {table.item(r, 0).text() for r in range(table.rowCount())}
    with_keys = {a.shortcut().toString() for a in window.findChildren(QAction) if not a.shortcut().isEmpty()}
    assert with_keys <= listed and {"Ctrl+R", "Space", "Alt+L"} <= listed
    dialog.close()


@pytest.mark.qt_log_ignore("propagateSizeHints")       # Qt's own dialog; the offscreen plugin has no window manager
def test_the_open_word_list_dialog_shows_every_column(qtbot, window, tmp_path, monkeypatch):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QFileDialog, QTreeView
    (tmp_path / "names.txt").write_text("anna\n")
    window.settings.setValue("data/last_folder", str(tmp_path))
    seen = []

    def look_then_cancel():
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QFileDialog):
            QTimer.singleShot(50, look_then_cancel)
            return
        tree = dialog.findChild(QTreeView, "treeView")
        if tree.model().rowCount(tree.rootIndex()) < 1 or not tree.isVisible():
            QTimer.singleShot(50, look_then_cancel)
            return
        header = tree.header()
        seen.append(([header.sectionSize(i) for i in range(header.count()) if not header.isSectionHidden(i)],
                     tree.viewport().width()))
        dialog.reject()

    QTimer.singleShot(0, look_then_cancel)
    window.open_action.trigger()          # modal: returns once the dialog was looked at and cancelled
    assert seen, "no file dialog opened"
    columns, width = seen[0]
    assert len(columns) >= 4 and sum(columns) <= width


def test_a_late_marker_is_not_cut_and_does_not_cover_the_uniform_guess_label(qtbot, window):
    from window_helpers import wait_idle, wait_status
    window.resize(1280, 800)
    window.control.step(190)              # near the right end of the axis (0 to 200)
    wait_status(qtbot, window, lambda s: s.step == 190)
    window.setup.training.lr.setValue(0.05)
    window.setup.training.flush()
    wait_idle(qtbot, window)
    plot = window.live.loss_plot
    def check():
        assert len(plot.markers) == 1
    qtbot.waitUntil(check)
    def check():
        assert plot.curve.n == 190
    qtbot.waitUntil(check)
    plot.prepare()
    label, area = plot.markers[0].label.sceneBoundingRect(), plot.view_box.sceneBoundingRect()
    assert area.contains(label), (label, area)
    assert not label.intersects(plot.guide.label.sceneBoundingRect())
