"""Calibrate BatchNorm: BN's running mean/std measured over the whole training split, with
the val loss before and after."""
import numpy as np
import torch
from window_helpers import inspect, replica, wait_status

from core.diagnostics.calibration import Calibration


def test_calibration_changes_the_bn_statistics_and_reports_both_losses(qtbot, window):
    window.step100_action.trigger()
    wait_status(qtbot, window, lambda s: s.step == 100)
    before = inspect(qtbot, window)
    mean_before, std_before = before.tensors["bnmean_running"], before.tensors["bnstd_running"]
    val_before = replica(before).split_loss("val")     # the worker's weights, evaluated here
    assert window.workbench.calibrate_action.isEnabled()
    assert window.workbench.calibrate_action.shortcut().toString() == "Ctrl+B"
    with qtbot.waitSignal(window.workbench.runs.calibrated, timeout=10_000) as signal:
        window.workbench.calibrate_action.trigger()
    c: Calibration = signal.args[0]
    after = inspect(qtbot, window)
    trainer = replica(after)
    mean, std = (torch.from_numpy(after.tensors[n].copy()) for n in ("bnmean_running", "bnstd_running"))
    x, _ = trainer.splits["train"]
    raw = trainer.model.forward(x, training=False).raws[0]
    assert torch.equal(mean, raw.mean(0, keepdim=True))       # over the whole split
    assert torch.equal(std, raw.std(0, keepdim=True))
    assert not np.array_equal(mean.numpy(), mean_before) and not np.array_equal(std.numpy(), std_before)
    assert c.val_before == val_before and c.val_after == trainer.split_loss("val") and c.step == 100
    text = window.message_bar.text
    assert f"{c.val_before:.4f} → {c.val_after:.4f}" in text and "val loss" in text
    assert any("calibrated" in e for _, e in after.events)
    def check():
        assert len(window.live.loss_plot.markers) == 1   # a marker on the loss plot
    qtbot.waitUntil(check)


def test_without_batchnorm_calibration_is_off(qtbot, make_window):
    window = make_window(batchnorm=False)
    assert not window.workbench.calibrate_action.isEnabled()
    window.workbench.runs.calibrate()
    assert "BatchNorm is off" in window.message_bar.text
